/**
 * The upstream layer through the real worker in workerd, against fake vLLM instances: failover
 * with no client-visible failure, traffic moving off a slow upstream, deadlines, no retry of a bad
 * reply (and nothing cached from it), the circuit breaker as `/healthz` shows it, Retry-After,
 * and the `FALLBACK=lexical` policy.
 */
import { describe, expect, it } from 'vitest'
import { callWorker, fakeVllm, rerank, type FakeInstance } from './helpers'

const body = { query: 'capital of China', documents: ['Beijing is the capital of China.', 'Gravity.', 'Paris.'] }
const CLOSED = 'http://127.0.0.1:9'
const SECRET = 'sk-upstream-secret-4242'

interface UpstreamJson {
  id: string
  origin: string
  state: string
  available: boolean
  outstanding: number
  ewma_ms: number | null
  consecutive_failures: number
  requests: number
  failures: number
  last_error: { message: string; at: string } | null
  probe?: { ok: boolean; status?: number; ms: number; error?: string }
}
interface HealthJson {
  status: string
  backend: string
  fallback: string
  serving_upstreams: number
  upstreams: UpstreamJson[]
}

async function healthz(vars: Record<string, string>, query = ''): Promise<{ status: number; json: HealthJson; text: string }> {
  const res = await callWorker(`/healthz${query}`, undefined, { vars })
  const text = await res.text()
  return { status: res.status, json: JSON.parse(text) as HealthJson, text }
}

const count = async (f: FakeInstance) => (await f.requests()).length
/** A rerank that always reaches the backend: the score cache would otherwise answer repeats. */
const call = (b: unknown, vars: Record<string, string>) => rerank(b, { vars, headers: { 'cache-control': 'no-store' } })
const wave = (n: number, vars: Record<string, string>, b: unknown = body) => Promise.all(Array.from({ length: n }, () => call(b, vars)))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
    // Round robin would give the slow one 16 of 32.
    expect(ns).toBeLessThanOrEqual(4)
    const h = await healthz(vars)
    expect(h.json.upstreams[0]?.ewma_ms).toBeGreaterThan(100)
    expect(h.json.upstreams[1]?.ewma_ms ?? Infinity).toBeLessThan(100)
  })
})

describe('deadlines', () => {
  it('a hanging backend gives 504 within the deadline, retries included', async () => {
    const hang = fakeVllm('dl-hang')
    await hang.control({ mode: 'hang' })
    const t0 = Date.now()
    const r = await call(body, { VLLM_URLS: hang.url, BACKEND_TIMEOUT_MS: '300' })
    const took = Date.now() - t0
    expect(r.status).toBe(504)
    expect(r.json.error.code).toBe('backend_timeout')
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(2000)
    expect(await count(hang)).toBe(1)
  })

  it('with a per-attempt timeout, a hanging backend is skipped and the other answers in time', async () => {
    const hang = fakeVllm('dl-hang2')
    const ok = fakeVllm('dl-ok')
    await hang.control({ mode: 'hang' })
    const vars = { VLLM_URLS: `${hang.url},${ok.url}`, BACKEND_TIMEOUT_MS: '3000', UPSTREAM_ATTEMPT_TIMEOUT_MS: '200' }
    const t0 = Date.now()
    const rs = await wave(4, vars)
    const took = Date.now() - t0
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200])
    // Well inside the 3 s deadline: the hung attempts were cut at 200 ms and retried.
    expect(took).toBeLessThan(2500)
    expect(await count(ok)).toBe(4)
  })
})

describe('bad replies', () => {
  it('a garbage reply gives 502, is not retried, and nothing from it is cached', async () => {
    const a = fakeVllm('bad-a')
    const b = fakeVllm('bad-b')
    await a.control({ mode: 'garbage' })
    await b.control({ mode: 'garbage' })
    const vars = { VLLM_URLS: `${a.url},${b.url}` }
    const q = { query: `garbage test ${Date.now()} ${Math.random()}`, documents: ['alpha doc', 'beta doc', 'gamma doc'] }
    const r = await rerank(q, { vars })
    expect(r.status).toBe(502)
    expect(r.json.error.code).toBe('backend_error')
    expect(r.json.error.message).toMatch(/not valid JSON/u)
    expect((await count(a)) + (await count(b))).toBe(1)

    await a.control({ mode: 'ok' })
    await b.control({ mode: 'ok' })
    const again = await rerank(q, { vars })
    expect(again.status).toBe(200)
    expect(again.json.meta.cache).toEqual({ hits: 0, misses: 3 })
    expect((await count(a)) + (await count(b))).toBe(2)
  })

  it('a 4xx is not retried on the other backend', async () => {
    const a = fakeVllm('4xx-a')
    const b = fakeVllm('4xx-b')
    await a.control({ servedModel: 'other-model' })
    await b.control({ servedModel: 'other-model' })
    const r = await call(body, { VLLM_URLS: `${a.url},${b.url}` })
    expect(r.status).toBe(502)
    expect(r.json.error.message).toMatch(/does not exist/u)
    expect((await count(a)) + (await count(b))).toBe(1)
  })
})

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast, shows in /healthz, and closes after a good probe', async () => {
    const a = fakeVllm('br')
    await a.control({ mode: 'error500', apiKey: SECRET })
    const vars = { VLLM_URLS: a.url, VLLM_API_KEY: SECRET, UPSTREAM_BREAKER_FAILURES: '3', UPSTREAM_BREAKER_COOLDOWN_MS: '400' }
    for (let i = 0; i < 3; i++) expect((await call(body, vars)).status).toBe(502)
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

    await sleep(450)
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
    const t0 = Date.now()
    const r = await call(body, { VLLM_URLS: a.url, BACKEND_TIMEOUT_MS: '2000' })
    expect(Date.now() - t0).toBeLessThan(1000)
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

  it('FALLBACK=error (the default) answers 503', async () => {
    const r = await call(body, { VLLM_URLS: `${CLOSED},http://127.0.0.1:1` })
    expect(r.status).toBe(503)
    expect(r.json.error.code).toBe('backend_unavailable')
  })

  it('FALLBACK=lexical does not hide a bad reply (502 stays 502)', async () => {
    const a = fakeVllm('fb-bad')
    await a.control({ mode: 'wrong_count' })
    const r = await call(body, { VLLM_URLS: a.url, FALLBACK: 'lexical' })
    expect(r.status).toBe(502)
  })
})

describe('GET /healthz', () => {
  it('?probe=1 checks each upstream’s /health', async () => {
    const ok = fakeVllm('hz-ok')
    const dead = fakeVllm('hz-dead')
    await dead.control({ health: 'error503' })
    const vars = { VLLM_URLS: `${ok.url},${CLOSED},${dead.url}`, VLLM_API_KEY: SECRET }
    const plain = await healthz(vars)
    expect(plain.json.status).toBe('ok')
    expect(plain.json.upstreams.map((u) => u.probe)).toEqual([undefined, undefined, undefined])

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

  it('without vLLM upstreams it reports the lexical backend', async () => {
    const h = await healthz({ VLLM_URLS: '' })
    expect(h.status).toBe(200)
    expect(h.json).toMatchObject({ status: 'ok', backend: 'lexical', upstreams: [] })
  })
})
