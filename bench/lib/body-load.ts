/**
 * @module bench/body-load
 * Closed-loop keep-alive HTTP load whose body may change on every request (a real cache miss
 * needs fresh documents each call), with microsecond latency per request: `connections` lanes
 * each send the next request as soon as the previous answer is fully read, for a fixed number
 * of requests or a fixed duration.
 */
import { Agent, request } from 'node:http'

export interface BodyLoadOptions {
  url: string
  /** Called once per request (a string: the same body every time). */
  body: string | ((seq: number) => string)
  headers?: Record<string, string>
  connections: number
  /** Stop after this many requests in all… */
  requests?: number
  /** …or after this long (ms). */
  durationMs?: number
}

export interface BodyLoadResult {
  latencies: number[]
  requests: number
  failures: number
  elapsedMs: number
  rps: number
  /** Bytes of the last response body (to check the bare route answers the same size). */
  lastBytes: number
}

export async function bodyLoad(o: BodyLoadOptions): Promise<BodyLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections })
  const url = new URL(o.url)
  const latencies: number[] = []
  let failures = 0
  let issued = 0
  let lastBytes = 0
  const t0 = performance.now()
  const end = o.durationMs === undefined ? Number.POSITIVE_INFINITY : t0 + o.durationMs
  const limit = o.requests ?? Number.POSITIVE_INFINITY
  const one = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(o.headers ?? {}) } },
        (res) => {
          let bytes = 0
          res.on('data', (c: Buffer) => (bytes += c.length))
          res.on('end', () => {
            lastBytes = bytes
            resolve(res.statusCode ?? 0)
          })
          res.on('error', reject)
        }
      )
      req.on('error', reject)
      req.end(body)
    })
  const lane = async () => {
    while (issued < limit && performance.now() < end) {
      const seq = issued++
      const body = typeof o.body === 'string' ? o.body : o.body(seq)
      const s = performance.now()
      try {
        const status = await one(body)
        if (status < 200 || status >= 300) failures++
        else latencies.push(performance.now() - s)
      } catch {
        failures++
      }
    }
  }
  await Promise.all(Array.from({ length: o.connections }, lane))
  const elapsedMs = performance.now() - t0
  agent.destroy()
  const requests = latencies.length + failures
  return { latencies, requests, failures, elapsedMs, rps: requests / (elapsedMs / 1000), lastBytes }
}
