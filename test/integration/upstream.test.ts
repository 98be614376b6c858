/**
 * The upstream layer through the real worker in workerd, against fake vLLM instances: failover
 * with no client-visible failure, traffic moving off a slow upstream, deadlines, a bad reply
 * retried elsewhere (and nothing cached from it), a misconfigured upstream (401, a login redirect)
 * written off instead of drawing the traffic, the circuit breaker as `/healthz` shows it,
 * Retry-After, the `FALLBACK=lexical` policy, and what `/healthz` shows to whom.
 *
 * No assertion here reads the wall clock: where time matters (the breaker's cool-down) the test
 * moves the worker's clock (`vi.setSystemTime` with only `Date` faked) instead of sleeping.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { hashApiKey } from '../../src/auth/key-digest'
import { isolateServices } from '../../src/index'
import type { UpstreamHealth } from '../../src/routes/health'
import { callWorker, fakeVllm, rerank, type FakeInstance } from './helpers'

const body = { query: 'capital of China', documents: ['Beijing is the capital of China.', 'Gravity.', 'Paris.'] }
const CLOSED = 'http://127.0.0.1:9'
const SECRET = 'sk-upstream-secret-4242'

type UpstreamJson = UpstreamHealth
interface HealthJson {
  status: string
  backend: string
  fallback: string
  serving_upstreams: number
  /** Upstreams past MAX_SUBREQUESTS that `?probe=1` left unprobed (absent when none). */
  unprobed_upstreams?: number
  upstreams: UpstreamJson[]
}

/** The operator view (`?detail=1`; open deployments grant every caller the `stats` scope). */
async function healthz(vars: Record<string, string>, query = '?detail=1', headers: Record<string, string> = {}): Promise<{ status: number; json: HealthJson; text: string }> {
  const res = await callWorker(`/healthz${query}`, undefined, { vars, headers })
  const text = await res.text()
  return { status: res.status, json: JSON.parse(text) as HealthJson, text }
}

const count = async (f: FakeInstance) => (await f.requests()).length
const stats = async (f: FakeInstance) => (await (await fetch(`${f.url}/__stats`)).json()) as { requests: number; outcomes: Record<string, number> }
/** A rerank that always reaches the backend: the score cache would otherwise answer repeats. */
const call = (b: unknown, vars: Record<string, string>) => rerank(b, { vars, headers: { 'cache-control': 'no-store' } })
const wave = (n: number, vars: Record<string, string>, b: unknown = body) => Promise.all(Array.from({ length: n }, () => call(b, vars)))

afterEach(() => {
  vi.useRealTimers()
})

describe('upstream failover', () => {
  for (const failure of ['reset', 'error503', 'closed port'] as const) {
    it(`two backends, one fails mid-run (${failure}): no client request fails`, async () => {
      const a = fakeVllm('fo-a')
      const b = fakeVllm('fo-b')
      const bUrl = failure === 'closed port' ? CLOSED : b.url
      const vars = { VLLM_URLS: `${a.url},${bUrl}`, UPSTREAM_BREAKER_FAILURES: '2', VLLM_API_KEY: SECRET }
      const statuses: number[] = []
      if (failure !== 'closed port') {
        // Healthy phase: both serve.
        for (let i = 0; i < 4; i++) statuses.push(...(await wave(4, vars)).map((r) => r.status))
        expect(await count(b)).toBeGreaterThan(0)
        await b.control({ mode: failure })
      }
      // Failure phase: keep the load on until the pool has written `b` off.
      let h = await healthz(vars)
      for (let i = 0; i < 25 && h.json.upstreams[1]?.state !== 'open'; i++) {
        statuses.push(...(await wave(4, vars)).map((r) => r.status))
        h = await healthz(vars)
      }
      statuses.push(...(await wave(8, vars)).map((r) => r.status))
      expect(statuses.filter((s) => s !== 200)).toEqual([])
      const u1 = h.json.upstreams[1] as UpstreamJson
      expect(u1.state).toBe('open')
      expect(u1.failures).toBeGreaterThanOrEqual(2)
      expect(u1.last_error?.message).toMatch(failure === 'error503' ? /backend answered 503/u : /unreachable/u)
      expect(h.json.upstreams[0]?.state).toBe('closed')
      expect(h.json.status).toBe('degraded')
      expect(h.status).toBe(200)
      expect(h.text).not.toContain(SECRET)
    })
  }

  it('large candidate sets are split into batches spread over both backends', async () => {
    const a = fakeVllm('split-a')
    const b = fakeVllm('split-b')
    const docs = Array.from({ length: 12 }, (_, i) => `Document number ${i} about Beijing and China.`)
    const r = await call({ query: 'capital of China', documents: docs }, { VLLM_URLS: `${a.url},${b.url}`, BACKEND_BATCH_SIZE: '2' })
    expect(r.status).toBe(200)
    expect(r.json.results).toHaveLength(12)
    const [na, nb] = [await count(a), await count(b)]
    expect(na + nb).toBe(6)
    // Six concurrent batches, balanced by outstanding calls.
    expect(na).toBeGreaterThanOrEqual(2)
    expect(nb).toBeGreaterThanOrEqual(2)
  })
})

describe('traffic follows latency', () => {
  it('with one slow backend, traffic shifts to the other', async () => {
    const fast = fakeVllm('lat-fast')
    const slow = fakeVllm('lat-slow')
    await slow.control({ delayMs: 150 })
    const vars = { VLLM_URLS: `${slow.url},${fast.url}` }
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) statuses.push(...(await wave(4, vars)).map((r) => r.status))
    expect(statuses.every((s) => s === 200)).toBe(true)
    const [ns, nf] = [await count(slow), await count(fast)]
    expect(ns + nf).toBe(32)
    // Round robin would give each 16 of 32; the exact split is the unit test's (injected clock).
    expect(ns).toBeLessThan(nf)
    const h = await healthz(vars)
    // A lower bound the fake guarantees (it sleeps 150 ms), and the order of the two estimates.
    expect(h.json.upstreams[0]?.ewma_ms).toBeGreaterThanOrEqual(150)
    expect(h.json.upstreams[1]?.ewma_ms ?? Infinity).toBeLessThan(h.json.upstreams[0]?.ewma_ms ?? 0)
  })
})

describe('deadlines', () => {
  it('a hanging lone backend gives 504 after one attempt: a hedge needs another upstream, and no attempt is cut before the deadline', async () => {
    const hang = fakeVllm('dl-hang')
    await hang.control({ mode: 'hang' })
    const r = await call(body, { VLLM_URLS: hang.url, BACKEND_TIMEOUT_MS: '300' })
    expect(r.status).toBe(504)
    expect(r.json.error.code).toBe('backend_timeout')
    expect(await count(hang)).toBe(1)
  })

  it('a hanging backend is hedged: the other answers in time and the hung call is cancelled', async () => {
    const hang = fakeVllm('dl-hang2')
    const ok = fakeVllm('dl-ok')
    await hang.control({ mode: 'hang' })
    const vars = { VLLM_URLS: `${hang.url},${ok.url}`, BACKEND_TIMEOUT_MS: '3000', UPSTREAM_HEDGE_AFTER_MS: '200' }
    const rs = await wave(4, vars)
    // Had nothing gone to the other upstream while the hung attempt ran, these would be 504s.
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(await count(ok)).toBe(4)
    const hung = await count(hang)
    expect(hung).toBeGreaterThan(0)
    // The worker cancelled each hung call once its copy answered (the fake saw them aborted).
    await expect.poll(async () => (await stats(hang)).outcomes.aborted).toBe(hung)
    // A hang is no answer: booked as latency (at least the hedge delay), never as a failure.
    const h = await healthz(vars)
    expect(h.json.upstreams.map((u) => u.failures)).toEqual([0, 0])
    // Every call that went to the hung upstream first was copied to the other.
    expect(h.json.upstreams[1]?.hedges).toBe(hung)
  })

  it('slow but healthy replicas serve every call: the first answer after the hedge delay wins, nothing is booked a failure', async () => {
    // Both answer in 400 ms; the default hedge delay is half the 600 ms deadline. The per-attempt
    // timeout this replaced cut each attempt at 300 ms and failed every call with a 504.
    const a = fakeVllm('dl-slow-a')
    const b = fakeVllm('dl-slow-b')
    for (const f of [a, b]) await f.control({ mode: 'slow', delayMs: 400 })
    const vars = { VLLM_URLS: `${a.url},${b.url}`, BACKEND_TIMEOUT_MS: '600' }
    const rs = await wave(3, vars)
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200])
    const h = await healthz(vars)
    expect(h.json.upstreams.map((u) => u.failures)).toEqual([0, 0])
    expect(h.json.upstreams.every((u) => u.state === 'closed')).toBe(true)
  })
})

describe('bad replies', () => {
  it('garbage from both backends: retried up to UPSTREAM_MAX_ATTEMPTS, then 502, and nothing from it is cached', async () => {
    const a = fakeVllm('bad-a')
    const b = fakeVllm('bad-b')
    await a.control({ mode: 'garbage' })
    await b.control({ mode: 'garbage' })
    const vars = { VLLM_URLS: `${a.url},${b.url}` }
    const q = { query: `garbage test ${a.url}`, documents: ['alpha doc', 'beta doc', 'gamma doc'] }
    const r = await rerank(q, { vars })
    expect(r.status).toBe(502)
    expect(r.json.error.code).toBe('backend_error')
    expect(r.json.error.message).toMatch(/not valid JSON/u)
    expect(await count(a)).toBeGreaterThan(0)
    expect(await count(b)).toBeGreaterThan(0)
    expect((await count(a)) + (await count(b))).toBe(3)

    await a.control({ mode: 'ok' })
    await b.control({ mode: 'ok' })
    const again = await rerank(q, { vars })
    expect(again.status).toBe(200)
    expect(again.json.meta.cache).toEqual({ hits: 0, misses: 3 })
    expect((await count(a)) + (await count(b))).toBe(4)
  })

  it('garbage from one backend is retried on the other: 200, scored by the healthy one', async () => {
    const a = fakeVllm('bad-one')
    const b = fakeVllm('good-one')
    await a.control({ mode: 'garbage' })
    const vars = { VLLM_URLS: `${a.url},${b.url}` }
    const rs = await wave(6, vars)
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(await count(b)).toBe(6)
  })

  it('a 400 the request caused is not retried on the other backend', async () => {
    const a = fakeVllm('4xx-a')
    const b = fakeVllm('4xx-b')
    await a.control({ failOn: 'POISON' })
    await b.control({ failOn: 'POISON' })
    const r = await call({ ...body, documents: ['POISON doc', 'Gravity.'] }, { VLLM_URLS: `${a.url},${b.url}` })
    expect(r.status).toBe(502)
    expect(r.json.error.message).toMatch(/backend answered 400: fake-vllm: failOn text found/u)
    expect((await count(a)) + (await count(b))).toBe(1)
  })

  it('a model no backend serves (404): tried once on each backend, never twice on one, then a 502 that names it', async () => {
    const a = fakeVllm('404-a')
    const b = fakeVllm('404-b')
    await a.control({ servedModel: 'other-model' })
    await b.control({ servedModel: 'other-model' })
    const r = await call(body, { VLLM_URLS: `${a.url},${b.url}` })
    expect(r.status).toBe(502)
    expect(r.json.error.code).toBe('backend_error')
    expect(r.json.error.message).toMatch(/backend answered 404: The model `qwen3-reranker-8b` does not exist/u)
    expect([await count(a), await count(b)]).toEqual([1, 1])
  })
})

/**
 * One upstream set up wrong (a key not yet rotated, an Access policy without the worker's token):
 * its instant refusal used to count as the pool's fastest success and drew nearly every call.
 */
describe('a misconfigured upstream', () => {
  const cases = [
    { name: 'a stale key (401)', set: { apiKey: 'sk-the-old-key' }, error: /backend answered 401: Unauthorized/u },
    { name: 'an Access login redirect (302)', set: { access: { clientId: 'x.access', clientSecret: 'y', unauthenticated: 'redirect' as const } }, error: /backend answered 302, a redirect/u },
  ]
  for (const c of cases) {
    it(`${c.name} on one backend: every call is served by the other, and /healthz?detail=1 shows it failing`, async () => {
      const bad = fakeVllm('misconf-bad')
      const good = fakeVllm('misconf-good')
      await bad.control({ apiKey: SECRET, ...c.set })
      await good.control({ apiKey: SECRET })
      const vars = { VLLM_URLS: `${bad.url},${good.url}`, VLLM_API_KEY: SECRET, UPSTREAM_BREAKER_FAILURES: '2', UPSTREAM_BREAKER_COOLDOWN_MS: '60000' }
      const replies: Array<Awaited<ReturnType<typeof call>>> = []
      let h = await healthz(vars)
      for (let i = 0; i < 10 && h.json.upstreams[0]?.state !== 'open'; i++) {
        replies.push(...(await wave(4, vars)))
        h = await healthz(vars)
      }
      replies.push(...(await wave(4, vars)))
      expect(replies.map((r) => r.status).filter((s) => s !== 200)).toEqual([])
      expect(replies.every((r) => r.json.meta?.backend === 'vllm')).toBe(true)
      expect((await stats(good)).requests).toBe(replies.length)
      const u0 = h.json.upstreams[0] as UpstreamJson
      expect(u0).toMatchObject({ state: 'open', available: false })
      expect(u0.failures).toBeGreaterThanOrEqual(2)
      expect(u0.last_error?.message).toMatch(c.error)
      expect(h.json.upstreams[1]).toMatchObject({ state: 'closed', failures: 0 })
      expect(h.json.status).toBe('degraded')
      expect(h.text).not.toContain(SECRET)
    })
  }

  it('a stale key on the only backend: a 502 that names the 401, before and after its breaker opens (never a 503)', async () => {
    const bad = fakeVllm('misconf-only')
    await bad.control({ apiKey: 'sk-the-old-key' })
    const vars = { VLLM_URLS: bad.url, VLLM_API_KEY: SECRET, UPSTREAM_BREAKER_FAILURES: '2', UPSTREAM_BREAKER_COOLDOWN_MS: '60000' }
    for (let i = 0; i < 3; i++) {
      const r = await call(body, vars)
      expect(r.status, `call ${i}`).toBe(502)
      expect(r.json.error.code).toBe('backend_error')
      expect(r.json.error.message).toMatch(/backend answered 401: Unauthorized/u)
      expect(r.headers.get('retry-after')).toBeNull()
      expect(r.text).not.toContain(SECRET)
    }
    // One fetch per call (the same upstream would answer the same); the third call found the
    // breaker open and was refused without one, still naming the 401.
    expect(await stats(bad)).toMatchObject({ requests: 2, outcomes: { '401': 2 } })
    const h = await healthz(vars)
    expect(h.status).toBe(503)
    expect(h.json.status).toBe('down')
    expect(h.json.upstreams[0]).toMatchObject({ state: 'open', failures: 2 })
    expect(h.json.upstreams[0]?.last_error?.message).toMatch(/backend answered 401: Unauthorized/u)
  })
})

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast, shows in /healthz, and closes after a good probe', async () => {
    const a = fakeVllm('br')
    await a.control({ mode: 'error500', apiKey: SECRET })
    const vars = { VLLM_URLS: a.url, VLLM_API_KEY: SECRET, UPSTREAM_BREAKER_FAILURES: '3', UPSTREAM_BREAKER_COOLDOWN_MS: '400' }
    // The worker's clock, moved by hand below (only Date is faked: fetch timeouts stay real).
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'))
    // One call, three attempts (a 500 is retried): the third failure opens the breaker.
    expect((await call(body, vars)).status).toBe(502)
    expect(await count(a)).toBe(3)

    const fast = await call(body, vars)
    expect(fast.status).toBe(503)
    expect(fast.json.error.code).toBe('backend_unavailable')
    expect(fast.json.error.message).toMatch(/no healthy backend/u)
    expect(Number(fast.headers.get('retry-after'))).toBe(1)
    expect(await count(a)).toBe(3) // refused without calling

    const h = await healthz(vars)
    expect(h.status).toBe(503)
    expect(h.json.status).toBe('down')
    const u = h.json.upstreams[0] as UpstreamJson
    expect(u).toMatchObject({ id: 'u0', state: 'open', available: false, consecutive_failures: 3, failures: 3, outstanding: 0 })
    expect(u.origin).toBe(new URL(a.url).origin)
    expect(u.last_error?.message).toMatch(/backend answered 500: CUDA error/u)
    expect(h.text).not.toContain(SECRET)
    expect(h.text).not.toContain('/i/')

    vi.setSystemTime(Date.parse('2026-01-01T00:00:00.450Z'))
    await a.control({ mode: 'ok' })
    expect((await healthz(vars)).json.upstreams[0]?.state).toBe('half_open')
    expect((await call(body, vars)).status).toBe(200)
    const after = await healthz(vars)
    expect(after.json.status).toBe('ok')
    expect(after.json.upstreams[0]).toMatchObject({ state: 'closed', consecutive_failures: 0 })
  })
})

describe('Retry-After from the backend', () => {
  it('a 429 with a short Retry-After is retried within the deadline', async () => {
    const a = fakeVllm('ra-short')
    await a.control({ mode: 'error429', times: 1, retryAfter: '0' })
    const r = await call(body, { VLLM_URLS: a.url })
    expect(r.status).toBe(200)
    expect(await count(a)).toBe(2)
  })

  it('a Retry-After past the deadline is not waited for: 503 with Retry-After', async () => {
    const a = fakeVllm('ra-long')
    await a.control({ mode: 'error429', retryAfter: '30' })
    const r = await call(body, { VLLM_URLS: a.url, BACKEND_TIMEOUT_MS: '2000' })
    // One call only (count below): the 30 s were not waited for within a 2 s deadline.
    expect(r.status).toBe(503)
    const after = Number(r.headers.get('retry-after'))
    expect(after).toBeGreaterThanOrEqual(29)
    expect(after).toBeLessThanOrEqual(30)
    expect(await count(a)).toBe(1)
  })
})

describe('fallback policy', () => {
  it('FALLBACK=lexical answers with meta.backend "lexical" when every upstream is down, and caches nothing', async () => {
    const vars = { VLLM_URLS: `${CLOSED},http://127.0.0.1:1`, FALLBACK: 'lexical' }
    for (let i = 0; i < 3; i++) {
      const r = await call(body, vars)
      expect(r.status).toBe(200)
      expect(r.json.meta.backend).toBe('lexical')
      expect(r.json.model).toBe('lexical-bm25')
      expect(r.json.meta.cache.hits).toBe(0)
      expect(r.json.meta.warnings?.some((w) => /FALLBACK=lexical/u.test(w))).toBe(true)
      expect(r.json.results[0]?.index).toBe(0)
    }
    const h = await healthz(vars)
    expect(h.json.status).toBe('degraded')
    expect(h.json.fallback).toBe('lexical')
    expect(h.status).toBe(200)
  })

  it('the lexical fallback reads the folded documents as it prepares them, not the vLLM scorer\'s prepared form', async () => {
    // The vLLM scorer's prepared form marks folded metadata after "<|endoftext|>"; BM25 must never
    // see that marker (a query for it would otherwise match every document with metadata).
    const folded = {
      query: 'endoftext',
      documents: [
        { text: 'Beijing is the capital of China.', source: 'atlas', published_at: '2024-03-01' },
        { text: 'Paris is the capital of France.', source: 'wiki' },
      ],
    }
    const r = await call(folded, { VLLM_URLS: `${CLOSED},http://127.0.0.1:1`, FALLBACK: 'lexical' })
    expect(r.status).toBe(200)
    expect(r.json.meta.backend).toBe('lexical')
    expect(r.json.results.map((x) => x.relevance_score)).toEqual([0, 0])
    const metadata = await call({ ...folded, query: 'atlas' }, { VLLM_URLS: `${CLOSED},http://127.0.0.1:1`, FALLBACK: 'lexical' })
    expect(metadata.json.results[0]?.index).toBe(0) // the folded source is read as text
    expect(metadata.json.results[0]?.relevance_score).toBeGreaterThan(0)
  })

  it('FALLBACK=error (the default) answers 503', async () => {
    const r = await call(body, { VLLM_URLS: `${CLOSED},http://127.0.0.1:1` })
    expect(r.status).toBe(503)
    expect(r.json.error.code).toBe('backend_unavailable')
  })

  it('FALLBACK=lexical also answers when every upstream answered wrongly or hung; without it, 502 / 504', async () => {
    for (const mode of ['wrong_count', 'nan', 'html', 'hang'] as const) {
      const a = fakeVllm(`fb-${mode}`)
      await a.control({ mode })
      const vars = { VLLM_URLS: a.url, BACKEND_TIMEOUT_MS: '400' }
      const r = await call(body, { ...vars, FALLBACK: 'lexical' })
      expect(r.status, mode).toBe(200)
      expect(r.json.meta.backend).toBe('lexical')
      expect(r.json.meta.cache.hits).toBe(0)
      const plain = await call(body, vars)
      expect(plain.status, mode).toBe(mode === 'hang' ? 504 : 502)
    }
  })

  it('a 4xx the request caused is not covered by FALLBACK=lexical (it would fail the same way)', async () => {
    const a = fakeVllm('fb-4xx')
    await a.control({ failOn: 'POISON' })
    const r = await call({ ...body, documents: ['POISON doc', 'Gravity.'] }, { VLLM_URLS: a.url, FALLBACK: 'lexical' })
    expect(r.status).toBe(502)
    expect(r.json.error.message).toMatch(/backend answered 400/u)
    expect(await count(a)).toBe(1)
  })

  it('a misconfigured backend (another model: 404) is covered by FALLBACK=lexical, and the warning names the 404', async () => {
    const a = fakeVllm('fb-404')
    await a.control({ servedModel: 'other-model' })
    const r = await call(body, { VLLM_URLS: a.url, FALLBACK: 'lexical' })
    expect(r.status).toBe(200)
    expect(r.json.meta.backend).toBe('lexical')
    expect(r.json.meta.warnings?.some((w) => /backend answered 404: The model .* does not exist/u.test(w))).toBe(true)
    expect(await count(a)).toBe(1)
  })
})

describe('GET /healthz', () => {
  it('?probe=1 checks each upstream’s /health', async () => {
    isolateServices.healthProbes.clear()
    const ok = fakeVllm('hz-ok')
    const dead = fakeVllm('hz-dead')
    await dead.control({ health: 'error503' })
    const vars = { VLLM_URLS: `${ok.url},${CLOSED},${dead.url}`, VLLM_API_KEY: SECRET }
    const plain = await healthz(vars)
    expect(plain.json.status).toBe('ok')
    expect(plain.json.upstreams.map((u) => u.probe)).toEqual([undefined, undefined, undefined])
    // Without ?detail only what a client needs: no origins, no errors.
    const pub = await healthz(vars, '')
    expect(Object.keys(pub.json).sort()).toEqual(['auth', 'backend', 'fallback', 'model', 'status'])
    expect(pub.text).not.toContain('127.0.0.1')

    const h = await healthz(vars, '?probe=1&probe_timeout_ms=1000')
    const [u0, u1, u2] = h.json.upstreams
    expect(u0?.probe).toMatchObject({ ok: true, status: 200 })
    expect(u1?.probe?.ok).toBe(false)
    expect(u1?.probe?.error).toMatch(/unreachable/u)
    expect(u2?.probe).toMatchObject({ ok: false, status: 503 })
    expect(h.json.status).toBe('degraded')
    expect(h.json.serving_upstreams).toBe(1)
    expect(h.text).not.toContain(SECRET)
  })

  it('?probe=1 through a Cloudflare Access policy: sends the service token and never takes a login redirect for a live engine', async () => {
    const token = { VLLM_ACCESS_CLIENT_ID: 'abc.access', VLLM_ACCESS_CLIENT_SECRET: 'shh-secret-1' }
    for (const unauthenticated of ['redirect', 'forbidden'] as const) {
      isolateServices.healthProbes.clear()
      const gated = fakeVllm(`hz-access-${unauthenticated}`)
      await gated.control({ access: { clientId: token.VLLM_ACCESS_CLIENT_ID, clientSecret: token.VLLM_ACCESS_CLIENT_SECRET, unauthenticated }, health: 'error503' })
      // With the token the probe reaches vLLM's /health: a dead engine reads as dead (a followed
      // login redirect answered 200 and read as alive).
      const dead = await healthz({ VLLM_URLS: gated.url, ...token }, '?probe=1&probe_timeout_ms=1000')
      expect(dead.json.upstreams[0]?.probe, unauthenticated).toMatchObject({ ok: false, status: 503 })
      expect(dead.status).toBe(503)
      await gated.control({ health: 'ok' })
      isolateServices.healthProbes.clear()
      const live = await healthz({ VLLM_URLS: gated.url, ...token }, '?probe=1&probe_timeout_ms=1000')
      expect(live.json.upstreams[0]?.probe, unauthenticated).toMatchObject({ ok: true, status: 200 })
      expect(live.text).not.toContain('shh-secret-1')
      // Without it, the policy's answer is never taken for a live engine.
      isolateServices.healthProbes.clear()
      const shut = await healthz({ VLLM_URLS: gated.url }, '?probe=1&probe_timeout_ms=1000')
      expect(shut.json.upstreams[0]?.probe, unauthenticated).toMatchObject({ ok: false, status: unauthenticated === 'redirect' ? 302 : 403 })
      if (unauthenticated === 'redirect') expect(shut.json.upstreams[0]?.probe?.error).toMatch(/redirect.*service token/u)
    }
  })

  it('?probe=1 probes no more upstreams than MAX_SUBREQUESTS allows, and counts the rest', async () => {
    isolateServices.healthProbes.clear()
    const probed = new Set<string>()
    const realFetch = globalThis.fetch
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url.endsWith('/health')) probed.add(url)
      return realFetch(input, init)
    })
    try {
      // 15: the fewest MAX_SUBREQUESTS allows (RESERVED_SUBREQUESTS and one batch's 3 attempts).
      const urls = Array.from({ length: 17 }, (_, i) => `${CLOSED}/gpu${i}`)
      const h = await healthz({ VLLM_URLS: urls.join(','), MAX_SUBREQUESTS: '15' }, '?probe=1&probe_timeout_ms=500')
      // One of the 15 stays for the rate limiter a keyed probe passes first.
      expect(probed.size).toBe(14)
      expect(h.json.unprobed_upstreams).toBe(3)
      expect(h.json.upstreams.filter((u) => u.probe !== undefined)).toHaveLength(14)
    } finally {
      spy.mockRestore()
    }
  })

  it('without vLLM upstreams it reports the lexical backend', async () => {
    const h = await healthz({ VLLM_URLS: '' })
    expect(h.status).toBe(200)
    expect(h.json).toMatchObject({ status: 'ok', backend: 'lexical', upstreams: [] })
  })

  it('100 concurrent probes cost each upstream one /health call (results reused per isolate)', async () => {
    isolateServices.healthProbes.clear()
    const a = fakeVllm('hz-flood')
    const dead = fakeVllm('hz-flood-dead')
    await dead.control({ health: 'error503' })
    const probed = new Map<string, number>()
    const realFetch = globalThis.fetch
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url.endsWith('/health')) probed.set(url, (probed.get(url) ?? 0) + 1)
      return realFetch(input, init)
    })
    let replies: Array<{ json: HealthJson }>
    try {
      replies = await Promise.all(Array.from({ length: 100 }, () => healthz({ VLLM_URLS: `${a.url},${dead.url}` }, '?probe=1')))
    } finally {
      spy.mockRestore()
    }
    expect(replies.every((r) => r.json.upstreams[0]?.probe?.ok === true && r.json.upstreams[1]?.probe?.ok === false)).toBe(true)
    expect([...probed.values()]).toEqual([1, 1])
  })

  it('with API keys: the public answer has no upstream detail; ?detail and ?probe need a key (401) with the stats scope (403)', async () => {
    const a = fakeVllm('hz-keys')
    const keys = JSON.stringify([
      { id: 'ops', hash: await hashApiKey('ops-key-1'), tenant: 't', scopes: ['stats'] },
      { id: 'app', hash: await hashApiKey('app-key-1'), tenant: 't', scopes: ['rerank'] },
    ])
    const vars = { VLLM_URLS: a.url, API_KEYS: keys, LOG_REQUESTS: 'false' }
    const pub = await callWorker('/healthz', undefined, { vars })
    expect(pub.status).toBe(200)
    const pubText = await pub.text()
    expect(Object.keys(JSON.parse(pubText) as object).sort()).toEqual(['auth', 'backend', 'fallback', 'model', 'status'])
    expect(pubText).not.toContain('127.0.0.1')
    // A wrong key on the public answer is counted but still gets the public answer.
    const wrongPub = await callWorker('/healthz', undefined, { vars, headers: { authorization: 'Bearer not-a-key', 'cf-connecting-ip': '198.51.100.77' } })
    expect(wrongPub.status).toBe(200)
    expect(Object.keys((await wrongPub.json()) as object).sort()).toEqual(['auth', 'backend', 'fallback', 'model', 'status'])
    for (const q of ['?detail=1', '?probe=1', '?detail=TRUE']) {
      // No key: 401 with the bare challenge (RFC 6750 §3.1), as on any keyed route.
      const anon = await callWorker(`/healthz${q}`, undefined, { vars })
      expect(anon.status, q).toBe(401)
      expect(((await anon.json()) as { error: { code: string; message: string } }).error.message, q).toMatch(/^missing API key/u)
      expect(anon.headers.get('www-authenticate'), q).toBe('Bearer realm="rerank-edge"')
      // A key no configured key matches: 401 invalid_token, and no upstream detail.
      const wrong = await callWorker(`/healthz${q}`, undefined, { vars, headers: { authorization: 'Bearer not-a-key', 'cf-connecting-ip': '198.51.100.77' } })
      expect(wrong.status, q).toBe(401)
      expect(wrong.headers.get('www-authenticate'), q).toContain('error="invalid_token"')
      expect(await wrong.text(), q).not.toContain('127.0.0.1')
      // A recognised key without the stats scope: 403 naming it.
      const app = await callWorker(`/healthz${q}`, undefined, { vars, headers: { authorization: 'Bearer app-key-1' } })
      expect(app.status, q).toBe(403)
      expect(app.headers.get('www-authenticate'), q).toContain('scope="stats"')
      await app.arrayBuffer()
    }
    const ops = await healthz(vars, '?detail=1', { authorization: 'Bearer ops-key-1' })
    expect(ops.status).toBe(200)
    expect(ops.json.upstreams[0]?.origin).toBe(new URL(a.url).origin)
  })
})
