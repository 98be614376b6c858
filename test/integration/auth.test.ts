/**
 * Access control and rate limits through the real worker: open by default (and says so), API keys
 * stored as SHA-256 hashes, 401/403 envelopes with WWW-Authenticate, per-key 429 with Retry-After
 * (in-isolate per-key limit and the RATE_LIMITER binding), and the tenant partition of the cache.
 * Key ids carry a per-run suffix: rate-limit counters persist between runs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { digestsEqual, findKeyByDigest, hashApiKey, sha256 } from '../../src/auth/key-digest'
import { isolateServices } from '../../src/index'
import { callWorker, callWorkerWithBindings, fakeVllm, rerank } from './helpers'

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`

interface KeySpec {
  key: string
  id: string
  tenant: string
  scopes: string[]
  rate_limit?: { limit: number; period: number }
}

const SPECS: Record<string, KeySpec> = {
  acme: { key: `acme-key-${RUN}`, id: `acme-${RUN}`, tenant: 'acme', scopes: ['rerank', 'feedback'] },
  beta: { key: `beta-key-${RUN}`, id: `beta-${RUN}`, tenant: 'beta', scopes: ['rerank'] },
  ops: { key: `ops-key-${RUN}`, id: `ops-${RUN}`, tenant: 'ops', scopes: ['stats', 'experiments'] },
  tight: { key: `tight-key-${RUN}`, id: `tight-${RUN}`, tenant: 'acme', scopes: ['rerank'], rate_limit: { limit: 3, period: 60 } },
  bulk: { key: `bulk-key-${RUN}`, id: `bulk-${RUN}`, tenant: 'bulk', scopes: ['rerank'] },
}

async function apiKeysVar(specs: KeySpec[] = Object.values(SPECS)): Promise<string> {
  const entries = await Promise.all(
    specs.map(async (s) => ({
      id: s.id,
      hash: await hashApiKey(s.key),
      tenant: s.tenant,
      scopes: s.scopes,
      ...(s.rate_limit ? { rate_limit: s.rate_limit } : {}),
    }))
  )
  return JSON.stringify(entries)
}

/** The access log is tested in observability.test.ts; keep this file's output readable. */
const QUIET = { LOG_REQUESTS: 'false' }
const bearer = (spec: KeySpec) => ({ authorization: `Bearer ${spec.key}` })
const body = { query: 'capital of China', documents: ['Beijing is the capital of China.', 'Paris is in France.'] }

afterEach(() => {
  vi.restoreAllMocks()
})

describe('key hashing and comparison', () => {
  it('hashes keys as sha256:<hex> (same digest as `sha256sum`) and compares digests exactly', async () => {
    // printf %s secret-a | sha256sum
    expect(await hashApiKey('secret-a')).toBe('sha256:8766b9cb08e6040b704f1e3ee1e186efccf2635b1d2634d6525333007e6aeae1')
    const a = await sha256('secret-a')
    const b = await sha256('secret-b')
    expect(digestsEqual(a, a.slice())).toBe(true)
    expect(digestsEqual(a, b)).toBe(false)
    const lastByteDiffers = a.slice()
    lastByteDiffers[31] = (lastByteDiffers[31] as number) ^ 1
    expect(digestsEqual(a, lastByteDiffers)).toBe(false)
    expect(digestsEqual(a, a.slice(0, 31))).toBe(false)
    const keys = [
      { id: 'x', tenant: 't', scopes: new Set<string>(), digest: b, rateLimit: null },
      { id: 'y', tenant: 't', scopes: new Set<string>(), digest: a, rateLimit: null },
    ]
    expect(findKeyByDigest(keys, a)?.id).toBe('y')
    expect(findKeyByDigest(keys, lastByteDiffers)).toBeNull()
  })
})

describe('open deployment (no API_KEYS)', () => {
  it('serves without a key, reports auth "open" in /healthz and warns once per isolate', async () => {
    isolateServices.warnedOnce.clear()
    const warn = vi.spyOn(console, 'warn')
    const r1 = await rerank(body, { vars: QUIET })
    const r2 = await rerank(body, { vars: QUIET })
    expect([r1.status, r2.status]).toEqual([200, 200])
    const health = await callWorker('/healthz', undefined, { vars: QUIET })
    expect(((await health.json()) as { auth: string }).auth).toBe('open')
    const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('auth_open'))
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'warn', msg: 'auth_open' })
  })
})

describe('with API keys configured', () => {
  it('401s a call without a key, with the JSON envelope and WWW-Authenticate: Bearer', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const res = await rerank(body, { vars })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('unauthorized')
    expect(res.json.error.message).toContain('"Authorization: Bearer <key>"')
    expect(res.json.request_id).toBeTruthy()
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="rerank-edge"')
  })

  it('401s a wrong key, a non-Bearer scheme and an empty token with error="invalid_token"', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    for (const authorization of [`Bearer ${SPECS.acme?.key}x`, 'Basic dXNlcjpwYXNz', 'Bearer ', 'Bearer a b']) {
      const res = await rerank(body, { vars, headers: { authorization } })
      expect(res.status, authorization).toBe(401)
      expect(res.json.error.code).toBe('unauthorized')
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
      expect(res.text).not.toContain(SPECS.acme?.key)
    }
  })

  it('says whether no key was sent or the key sent is not recognised, naming the header it came in and the headers accepted', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const client = { 'cf-connecting-ip': '198.51.100.41' }
    const accepted = '"Authorization: Bearer <key>" or "X-API-Key: <key>"'
    const none = await rerank(body, { vars, headers: client })
    expect(none.status).toBe(401)
    expect(none.json.error.message).toBe(`missing API key: none was sent; send it as ${accepted}`)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="rerank-edge"')
    for (const [header, headers] of [
      ['Authorization', { authorization: `Bearer ${SPECS.acme?.key}x` }],
      ['X-API-Key', { 'x-api-key': `${SPECS.acme?.key}x` }],
    ] as const) {
      const wrong = await rerank(body, { vars, headers: { ...client, ...headers } })
      expect(wrong.status, header).toBe(401)
      expect(wrong.json.error.code).toBe('unauthorized')
      expect(wrong.json.error.message).toBe(
        `API key not recognised: the key sent in ${header} matches no key configured for this deployment (keys are accepted as ${accepted})`
      )
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="rerank-edge", error="invalid_token"')
      expect(wrong.text).not.toContain(`${SPECS.acme?.key}x`)
    }
  })

  it('accepts the key as a Bearer token (any case of the scheme) or as X-API-Key', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const acme = SPECS.acme as KeySpec
    for (const headers of [bearer(acme), { authorization: `bearer ${acme.key}` }, { 'x-api-key': acme.key }]) {
      const res = await rerank(body, { vars, headers })
      expect(res.status, JSON.stringify(Object.keys(headers))).toBe(200)
      expect(res.json.results).toHaveLength(2)
    }
  })

  it('leaves health, the playground and the docs public, and guards everything else (unknown paths too)', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const health = await callWorker('/healthz', undefined, { vars })
    expect(health.status).toBe(200)
    expect(((await health.json()) as { auth: string }).auth).toBe('api_keys')
    for (const path of ['/', '/docs', '/openapi.json']) {
      const res = await callWorker(path, undefined, { vars })
      expect(res.status, path).not.toBe(401)
    }
    for (const [method, path] of [
      ['GET', '/v1/templates'],
      ['GET', '/v1/stats'],
      ['GET', '/v1/experiments'],
      ['POST', '/v1/experiments'],
      ['POST', '/v1/feedback'],
      ['GET', '/v1/rerank'],
      ['POST', '/healthz'],
      ['GET', '/no/such/route'],
    ] as const) {
      const res = await callWorker(path, method === 'POST' ? {} : undefined, { vars, method })
      expect(res.status, `${method} ${path}`).toBe(401)
    }
    // Authenticated, an unknown path is an ordinary 404.
    const known = await callWorker('/no/such/route', undefined, { vars, headers: bearer(SPECS.acme as KeySpec) })
    expect(known.status).toBe(404)
  })

  it('403s a key without the route scope, naming the scope', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const beta = SPECS.beta as KeySpec
    const ops = SPECS.ops as KeySpec
    const cases: Array<[KeySpec, string, string, string]> = [
      [beta, 'POST', '/v1/feedback', 'feedback'],
      [beta, 'GET', '/v1/stats', 'stats'],
      [beta, 'GET', '/v1/experiments', 'experiments'],
      [beta, 'POST', '/v1/experiments', 'experiments'],
      [ops, 'POST', '/v1/rerank', 'rerank'],
      [ops, 'GET', '/v1/templates', 'rerank'],
    ]
    for (const [spec, method, path, scope] of cases) {
      const res = await callWorker(path, method === 'POST' ? body : undefined, { vars, method, headers: bearer(spec) })
      expect(res.status, `${spec.id} ${method} ${path}`).toBe(403)
      const json = (await res.json()) as { error: { code: string; message: string } }
      expect(json.error.code).toBe('forbidden')
      expect(json.error.message).toContain(`"${scope}"`)
      expect(res.headers.get('www-authenticate')).toContain(`scope="${scope}"`)
    }
    const stats = await callWorker('/v1/stats', undefined, { vars, headers: bearer(ops) })
    expect(stats.status).toBe(200)
  })

  it('fails closed on a malformed API_KEYS: 500 naming the var, never its value, never open', async () => {
    const plain = `sk-plain-${RUN}`
    for (const API_KEYS of [
      `[{"id":"k1","hash":"${plain}","tenant":"t"}]`, // a plain key pasted where the hash goes
      `{not json ${plain}`,
      '[{"id":"k1","hash":"sha256:00","tenant":"t"}]',
      '[{"id":"k1","hash":"sha256:' + 'a'.repeat(64) + '","tenant":"t","scopes":["root"]}]',
      // Set, but to no key (an empty array, an empty `wrangler secret put`): never open.
      '[]',
      ' ',
      '\n',
    ]) {
      const res = await rerank(body, { vars: { ...QUIET, API_KEYS } })
      expect(res.status, API_KEYS).toBe(500)
      expect(res.json.error.message).toMatch(/API_KEYS/u)
      expect(res.text).not.toContain(plain)
    }
    // Unset, or set to nothing, is the open deployment.
    expect((await rerank(body, { vars: { ...QUIET, API_KEYS: '' } })).status).toBe(200)
  })
})

describe('failed authentications', () => {
  it('1,000 wrong keys from one client: 20 are 401, the rest 429 with Retry-After, the right key too until the window ends; other clients unaffected', async () => {
    isolateServices.failedAuth.clear()
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const ip = '203.0.113.9'
    const statuses = new Map<number, number>()
    let lastLimited: Awaited<ReturnType<typeof rerank>> | undefined
    for (let i = 0; i < 1000; i++) {
      const r = await rerank(body, { vars, headers: { authorization: `Bearer guess-${i}`, 'cf-connecting-ip': ip } })
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
      if (r.status === 429) lastLimited = r
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 20, 429: 980 })
    expect(lastLimited?.json.error.code).toBe('rate_limited')
    expect(lastLimited?.json.error.message).toMatch(/failed authentications/u)
    const retryAfter = Number(lastLimited?.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // Locked: even the right key is not checked (a right guess must look like a wrong one).
    const right = await rerank(body, { vars, headers: { ...bearer(SPECS.acme as KeySpec), 'cf-connecting-ip': ip } })
    expect(right.status).toBe(429)
    // Another address, and a caller without one (local), are not affected.
    expect((await rerank(body, { vars, headers: { ...bearer(SPECS.acme as KeySpec), 'cf-connecting-ip': '203.0.113.10' } })).status).toBe(200)
    expect((await rerank(body, { vars, headers: bearer(SPECS.acme as KeySpec) })).status).toBe(200)
    // Public routes still answer the locked client (without the key's extras).
    expect((await callWorker('/healthz', undefined, { vars, headers: { 'cf-connecting-ip': ip } })).status).toBe(200)
    // Every keyed operation answers the locked client 429, and the OpenAPI document says it can.
    const openapi = (await (await callWorker('/openapi.json', undefined, { vars })).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
    for (const [path, docPath] of [
      ['/v1/stats', '/v1/stats'],
      ['/v1/templates', '/v1/templates'],
      ['/v1/experiments', '/v1/experiments'],
      ['/healthz?detail=1', '/healthz'],
    ] as const) {
      const locked = await callWorker(path, undefined, { vars, headers: { ...bearer(SPECS.acme as KeySpec), 'cf-connecting-ip': ip } })
      expect({ path, status: locked.status }).toEqual({ path, status: 429 })
      expect({ path, documented: Object.keys(openapi.paths[docPath]?.get?.responses ?? {}) }).toEqual({ path, documented: expect.arrayContaining(['401', '429']) })
    }
    isolateServices.failedAuth.clear()
  })

  it('a missing key is not a failed guess; a malformed one is', async () => {
    isolateServices.failedAuth.clear()
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const ip = '203.0.113.11'
    for (let i = 0; i < 30; i++) expect((await rerank(body, { vars, headers: { 'cf-connecting-ip': ip } })).status).toBe(401)
    const malformed: number[] = []
    for (let i = 0; i < 21; i++) malformed.push((await rerank(body, { vars, headers: { authorization: 'Basic dXNlcjpwYXNz', 'cf-connecting-ip': ip } })).status)
    expect(malformed.slice(0, 20).every((st) => st === 401)).toBe(true)
    expect(malformed[20]).toBe(429)
    isolateServices.failedAuth.clear()
  })
})

describe('rate limits', () => {
  it("a key over its own rate_limit gets 429 rate_limited with Retry-After", async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const tight = SPECS.tight as KeySpec
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof rerank>> | undefined
    for (let i = 0; i < 5; i++) {
      last = await rerank(body, { vars, headers: bearer(tight) })
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    expect(last?.json.error.code).toBe('rate_limited')
    expect(last?.json.error.message).toContain(tight.id)
    const retryAfter = Number(last?.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // Another key of the same tenant is not affected.
    const other = await rerank(body, { vars, headers: bearer(SPECS.acme as KeySpec) })
    expect(other.status).toBe(200)
  })

  it('the RATE_LIMITER binding (600 per 60 s) stops a key past 600 calls, with Retry-After: 60', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const headers = bearer(SPECS.bulk as KeySpec)
    let firstLimited = -1
    let res: Response | undefined
    // Up to two windows' worth, in case the run straddles a window boundary.
    for (let i = 0; i < 1250 && firstLimited < 0; i++) {
      res = await callWorker('/no/such/route', undefined, { vars, headers })
      if (res.status === 429) firstLimited = i
      else expect(res.status).toBe(404)
    }
    expect(firstLimited).toBeGreaterThanOrEqual(600)
    expect(res?.headers.get('retry-after')).toBe('60')
    expect(((await res?.json()) as { error: { code: string } }).error.code).toBe('rate_limited')
  }, 60_000)

  it('a failing rate limiter lets calls through (availability over strictness)', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const RATE_LIMITER = { limit: () => Promise.reject(new Error('limiter down')) }
    const res = await callWorkerWithBindings('/v1/rerank', body, { vars, headers: bearer(SPECS.beta as KeySpec) }, { RATE_LIMITER })
    expect(res.status).toBe(200)
  })

  it('the binding is consulted with the key id, never the key', async () => {
    const vars = { ...QUIET, API_KEYS: await apiKeysVar() }
    const seen: string[] = []
    const RATE_LIMITER = {
      limit: async ({ key }: { key: string }) => {
        seen.push(key)
        return { success: seen.length < 2 }
      },
    }
    const beta = SPECS.beta as KeySpec
    const ok = await callWorkerWithBindings('/v1/rerank', body, { vars, headers: bearer(beta) }, { RATE_LIMITER })
    const limited = await callWorkerWithBindings('/v1/rerank', body, { vars, headers: bearer(beta) }, { RATE_LIMITER })
    expect([ok.status, limited.status]).toEqual([200, 429])
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(seen).toEqual([`key:${beta.id}`, `key:${beta.id}`])
  })

  it('open deployments are limited by client IP only with RATE_LIMIT_ANONYMOUS=true', async () => {
    const seen: string[] = []
    const RATE_LIMITER = {
      limit: async ({ key }: { key: string }) => {
        seen.push(key)
        return { success: false }
      },
    }
    const headers = { 'cf-connecting-ip': '203.0.113.7' }
    const open = await callWorkerWithBindings('/v1/rerank', body, { headers, vars: QUIET }, { RATE_LIMITER })
    expect(open.status).toBe(200)
    expect(seen).toEqual([])
    const anon = await callWorkerWithBindings('/v1/rerank', body, { headers, vars: { ...QUIET, RATE_LIMIT_ANONYMOUS: 'true' } }, { RATE_LIMITER })
    expect(anon.status).toBe(429)
    expect(seen).toEqual(['ip:v4:203.0.113.7'])
    // Two addresses of one IPv6 /64 are one client.
    for (const ip of ['2001:db8:1:2::a', '2001:db8:1:2:ffff::b']) {
      await callWorkerWithBindings('/v1/rerank', body, { headers: { 'cf-connecting-ip': ip }, vars: { ...QUIET, RATE_LIMIT_ANONYMOUS: 'true' } }, { RATE_LIMITER })
    }
    expect(seen.slice(1)).toEqual(['ip:v6:2001:db8:1:2/64', 'ip:v6:2001:db8:1:2/64'])
  })
})

describe('tenant isolation of the score cache', () => {
  const docs = [`Beijing is the capital of China (${RUN}).`, `Paris is the capital of France (${RUN}).`]

  it("tenant B's identical call after tenant A's is a miss; A's repeat is a hit", async () => {
    const fake = fakeVllm('tenants')
    const vars = { ...QUIET, API_KEYS: await apiKeysVar(), VLLM_URLS: fake.url }
    const call = { query: `capital of China ${RUN} isolated`, documents: docs }
    const a1 = await rerank(call, { vars, headers: bearer(SPECS.acme as KeySpec) })
    const a2 = await rerank(call, { vars, headers: bearer(SPECS.acme as KeySpec) })
    const b1 = await rerank(call, { vars, headers: bearer(SPECS.beta as KeySpec) })
    expect([a1.status, a2.status, b1.status]).toEqual([200, 200, 200])
    expect(a1.json.meta.cache).toEqual({ hits: 0, misses: 2 })
    expect(a2.json.meta.cache).toEqual({ hits: 2, misses: 0 })
    expect(b1.json.meta.cache).toEqual({ hits: 0, misses: 2 })
    // B's pairs really went to the GPU again: A's call and B's call, not A's repeat.
    expect((await fake.requests()).length).toBe(2)
    // Same scores either way: isolation costs GPU time, never correctness.
    expect(b1.json.results).toEqual(a1.json.results)
  })

  it('a tenant cannot reach another partition through X-Cache-Namespace', async () => {
    const fake = fakeVllm('tenant-ns')
    const vars = { ...QUIET, API_KEYS: await apiKeysVar(), VLLM_URLS: fake.url }
    const call = { query: `capital of China ${RUN} namespaced`, documents: docs }
    await rerank(call, { vars, headers: bearer(SPECS.acme as KeySpec) })
    for (const ns of ['acme', 'public', '*']) {
      const b = await rerank(call, { vars, headers: { ...bearer(SPECS.beta as KeySpec), 'x-cache-namespace': ns } })
      if (ns === '*') {
        expect(b.status).toBe(400) // not a valid namespace token
        continue
      }
      expect(b.json.meta.cache, ns).toEqual({ hits: 0, misses: 2 })
    }
  })

  it('CACHE_SHARED=true puts every tenant in one partition (single-tenant deployments)', async () => {
    const fake = fakeVllm('tenant-shared')
    const vars = { ...QUIET, API_KEYS: await apiKeysVar(), VLLM_URLS: fake.url, CACHE_SHARED: 'true' }
    const call = { query: `capital of China ${RUN} shared`, documents: docs }
    const a1 = await rerank(call, { vars, headers: bearer(SPECS.acme as KeySpec) })
    const b1 = await rerank(call, { vars, headers: bearer(SPECS.beta as KeySpec) })
    expect(a1.json.meta.cache).toEqual({ hits: 0, misses: 2 })
    expect(b1.json.meta.cache).toEqual({ hits: 2, misses: 0 })
    expect((await fake.requests()).length).toBe(1)
  })
})
