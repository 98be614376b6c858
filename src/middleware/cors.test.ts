import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../app-env'
import { ApiError } from '../errors'
import { cors, CORS_ALLOW_METHODS } from './cors'

function app() {
  const a = new Hono<AppEnv>()
  a.use('*', async (c, next) => {
    c.header('X-Request-Id', 'r1')
    await next()
  })
  a.use('*', cors({ exposeHeaders: ['Server-Timing', 'X-Request-Id'], maxAgeSeconds: 600 }))
  a.post('/json', (c) => c.json({ ok: true }, 200, { 'Server-Timing': 'total;dur=1' }))
  a.get('/html', (c) => c.body('<p>hi</p>', 200, { 'Content-Type': 'text/html' }))
  a.post('/fail', () => {
    throw new ApiError('invalid_request', 'query: required', { field: 'query' })
  })
  a.onError((e, c) => c.json({ error: String(e) }, 400))
  return a
}

describe('cors', () => {
  it('answers a preflight with 204, the allowed methods, the echoed headers and a max age, without running the route', async () => {
    const res = await app().request('/json', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toBe(CORS_ALLOW_METHODS)
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type, authorization')
    expect(res.headers.get('access-control-max-age')).toBe('600')
    expect(res.headers.get('vary')).toBe('Access-Control-Request-Headers')
  })

  it('omits Allow-Headers when the preflight asks for none', async () => {
    const res = await app().request('/json', { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST' } })
    expect(res.status).toBe(204)
    expect(res.headers.has('access-control-allow-headers')).toBe(false)
  })

  it.each([
    ['a non-ASCII character', 'x-jos\u00e9'],
    ['a control character', 'x-a\u0001'],
    ['a space inside a name', 'x rerank'],
    ['a separator', 'x-a;b'],
  ])('refuses a requested header list holding %s (400 naming it, nothing echoed)', async (_name, requested) => {
    const res = await app().request('/json', { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': requested } })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Access-Control-Request-Headers: expected a comma-separated list of header names')
    expect(res.headers.has('access-control-allow-headers')).toBe(false)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('echoes a list with empty elements and tabs (RFC 9110 §5.6.1)', async () => {
    const res = await app().request('/json', { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'a,,\tb , c' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-headers')).toBe('a,,\tb , c')
  })

  it("adds the origin and exposed headers to a route's own response, keeping the route's and earlier middleware's headers", async () => {
    const res = await app().request('/json', { method: 'POST', headers: { origin: 'https://app.example' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toBe('Server-Timing, X-Request-Id')
    expect(res.headers.get('server-timing')).toBe('total;dur=1')
    expect(res.headers.get('x-request-id')).toBe('r1')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/u)
  })

  it('keeps a non-JSON content type and adds the headers to c.body responses too', async () => {
    const res = await app().request('/html')
    expect(res.headers.get('content-type')).toBe('text/html')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('adds the headers to an error answered by the error handler, so a browser can read the 4xx body', async () => {
    const res = await app().request('/fail', { method: 'POST' })
    expect(res.status).toBe(400)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id')
  })
})
