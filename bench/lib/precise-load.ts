/**
 * @module bench/precise-load
 * A closed-loop HTTP load generator with microsecond latency resolution, for comparisons where
 * the difference is below a millisecond (autocannon's latency histogram has 1 ms resolution).
 * `connections` keep-alive sockets each send the next request as soon as the previous answer is
 * fully read; latency is taken with `performance.now()` around each request.
 */
import { Agent, request } from 'node:http'
import { percentile } from './stats'

export interface PreciseLoadOptions {
  url: string
  body: string
  headers?: Record<string, string>
  connections: number
  durationMs: number
}

export interface PreciseLoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  /** Non-2xx answers and transport errors. */
  failures: number
}

function once(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        res.on('data', () => {})
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

export async function preciseLoad(options: PreciseLoadOptions): Promise<PreciseLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const url = new URL(options.url)
  const headers = options.headers ?? {}
  const latencies: number[] = []
  let failures = 0
  const t0 = performance.now()
  const end = t0 + options.durationMs
  const lane = async () => {
    while (performance.now() < end) {
      const s = performance.now()
      try {
        const status = await once(agent, url, options.body, headers)
        if (status < 200 || status >= 300) failures++
        else latencies.push(performance.now() - s)
      } catch {
        failures++
      }
    }
  }
  await Promise.all(Array.from({ length: options.connections }, lane))
  const elapsed = performance.now() - t0
  agent.destroy()
  return {
    rps: (latencies.length + failures) / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length + failures,
    failures,
  }
}
