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

  it('exposes X-Client-Request-Id, the echo of a caller\'s own X-Request-Id', async () => {
    const r = await rerank({ query: 'q', documents: ['a'] }, { headers: { ...ORIGIN, 'x-request-id': 'caller-id-1' } })
    expect(r.headers.get('x-client-request-id')).toBe('caller-id-1')
    expect(r.headers.get('x-request-id')).not.toBe('caller-id-1')
    expect(r.headers.get('x-request-id')).toBe(r.json.id)
    expect((r.headers.get('access-control-expose-headers') ?? '').toLowerCase()).toContain('x-client-request-id')
  })
})

describe('CORS: the headers that explain a 201, a 401/403 and a 405 are readable cross-origin', () => {
  const exposedOf = (r: Response) => (r.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase())

  it('Location on a 201 from POST /v1/experiments', async () => {
    const body = {
      id: 'cors-location',
      name: 'CORS Location',
      variants: [
        { key: 'control', weight: 0.5, instruction: 'Prefer official documentation' },
        { key: 'treatment', weight: 0.5, instruction: 'Prefer community answers' },
      ],
    }
    const r = await callWorker('/v1/experiments', body, { headers: ORIGIN })
    await r.arrayBuffer()
    expect(r.status).toBe(201)
    expect(r.headers.get('location')).toBe('/v1/experiments/cors-location')
    expect(exposedOf(r)).toContain('location')
  })

  it('WWW-Authenticate on a 401 and on a 403 (insufficient_scope, scope=)', async () => {
    const key = 'cors-test-key'
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))), (b) => b.toString(16).padStart(2, '0')).join('')
    const vars = { API_KEYS: JSON.stringify([{ id: 'k', hash: `sha256:${digest}`, tenant: 't', scopes: ['rerank'] }]), LOG_REQUESTS: 'false' }
    const r401 = await callWorker('/v1/rerank', { query: 'q', documents: ['a'] }, { vars, headers: { ...ORIGIN, 'cf-connecting-ip': '198.51.100.201' } })
    await r401.arrayBuffer()
    expect(r401.status).toBe(401)
    expect(r401.headers.get('www-authenticate')).toMatch(/^Bearer /u)
    expect(exposedOf(r401)).toContain('www-authenticate')
    const r403 = await callWorker('/v1/stats', undefined, { vars, headers: { ...ORIGIN, authorization: `Bearer ${key}`, 'cf-connecting-ip': '198.51.100.201' } })
    await r403.arrayBuffer()
    expect(r403.status).toBe(403)
    expect(r403.headers.get('www-authenticate')).toContain('scope="stats"')
    expect(exposedOf(r403)).toContain('www-authenticate')
  })

  it('Allow on a 405', async () => {
    const r = await callWorker('/healthz', {}, { headers: ORIGIN })
    await r.arrayBuffer()
    expect(r.status).toBe(405)
    expect(r.headers.get('allow')).toBeTruthy()
    expect(exposedOf(r)).toContain('allow')
  })
})

describe('X-Content-Type-Options: nosniff on every response', () => {
  const cases: Array<[string, string, string | undefined, Record<string, string>]> = [
    ['a rerank answer', '/v1/rerank', JSON.stringify({ query: 'q', documents: ['a'] }), {}],
    ['a 400', '/v1/rerank', JSON.stringify({ documents: ['a'] }), {}],
    ['a 400 on broken JSON', '/v1/rerank', '{', {}],
    ['a 404', '/nope', undefined, {}],
    ['a 405', '/healthz', '{}', {}],
    ['a preflight', '/v1/rerank', undefined, { 'access-control-request-method': 'POST' }],
    ['the playground page', '/', undefined, {}],
    ['the docs page', '/docs', undefined, {}],
    ['the OpenAPI document', '/openapi.json', undefined, {}],
    ['/healthz', '/healthz', undefined, {}],
  ]
  for (const [name, path, body, headers] of cases) {
    it(name, async () => {
      const method = name === 'a preflight' ? 'OPTIONS' : body === undefined ? 'GET' : 'POST'
      const res = await callWorker(path, undefined, { method, headers: { ...ORIGIN, ...headers }, ...(body === undefined ? {} : { rawBody: body }) })
      await res.arrayBuffer()
      expect(res.headers.get('x-content-type-options'), `${method} ${path} → ${res.status}`).toBe('nosniff')
    })
  }

  it('a 401 with API keys configured', async () => {
    const vars = { API_KEYS: JSON.stringify([{ id: 'k', hash: `sha256:${'0'.repeat(64)}`, tenant: 't', scopes: ['rerank'] }]), LOG_REQUESTS: 'false' }
    const r401 = await callWorker('/v1/rerank', { query: 'q', documents: ['a'] }, { vars, headers: { authorization: 'Bearer nope', 'cf-connecting-ip': '198.51.100.200' } })
    expect(r401.status).toBe(401)
    expect(r401.headers.get('x-content-type-options')).toBe('nosniff')
  })
})
