/**
 * CORS through the real worker: a browser on another origin can preflight the rerank route and
 * read the answer, its timing and cache headers, and the body of an error.
 */
import { describe, expect, it } from 'vitest'
import { callWorker, rerank } from './helpers'

const ORIGIN = { origin: 'https://search.example' }

describe('CORS on the public API', () => {
  it('answers a preflight for POST /v1/rerank with 204 and the headers the browser asked for', async () => {
    const res = await callWorker('/v1/rerank', undefined, {
      method: 'OPTIONS',
      headers: { ...ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type')
    expect(res.headers.get('access-control-max-age')).toBe('86400')
  })

  it('lets a cross-origin caller read the result and its Cache-Status, Server-Timing and X-Request-Id', async () => {
    const r = await rerank({ query: 'capital of France', documents: ['Paris is the capital of France.', 'Berlin is in Germany.'] }, { headers: ORIGIN })
    expect(r.status).toBe(200)
    expect(r.headers.get('access-control-allow-origin')).toBe('*')
    const exposed = (r.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase())
    for (const h of ['cache-status', 'server-timing', 'x-request-id', 'retry-after']) expect(exposed).toContain(h)
    for (const h of ['cache-status', 'server-timing', 'x-request-id']) expect(r.headers.get(h)).toBeTruthy()
  })

  it('lets a cross-origin caller read a 400 and its request id', async () => {
    const r = await rerank({ documents: ['a'] }, { headers: ORIGIN })
    expect(r.status).toBe(400)
    expect(r.headers.get('access-control-allow-origin')).toBe('*')
    expect(r.headers.get('x-request-id')).toBeTruthy()
    expect(r.text).toContain('query')
  })
})
