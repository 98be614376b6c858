/**
 * @module bench/autocannon-run
 * One bounded autocannon run against a loopback URL, returning latency percentiles and
 * throughput. Bodies are sent as given; errors and non-2xx are counted.
 */
import autocannon from 'autocannon'

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  errors: number
  non2xx: number
}

export interface LoadOptions {
  url: string
  connections?: number
  durationSec?: number
  amount?: number
  method?: 'GET' | 'POST'
  body?: string
  /** Cycle through several bodies (one per request). */
  bodies?: string[]
  headers?: Record<string, string>
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const requests = options.bodies?.map((body) => ({ method: options.method ?? 'POST', body }))
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 8,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationSec ?? 5 }),
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(requests ? { requests } : {}),
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}
