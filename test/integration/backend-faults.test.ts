/**
 * Trust nothing from the backend: every fault becomes a clear 502/503/504 JSON error, the
 * secret never leaks, and (see cache tests) nothing from a bad reply is cached.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { callWorker, fakeVllm, rerank } from './helpers'

const body = { query: 'capital of China', documents: ['Beijing is the capital of China.', 'Gravity.', 'Paris.'] }
const SECRET = 'sk-very-secret-987'

const cases: Array<[mode: string, status: number, message: RegExp]> = [
  ['error500', 502, /backend answered 500: CUDA error/u],
  ['error503', 503, /backend answered 503/u],
  ['html', 502, /HTML page/u],
  ['garbage', 502, /not valid JSON/u],
  // vLLM cannot write a NaN score: its own plain-text 500 (fake-vllm.ts), quoted.
  ['nan', 502, /backend answered 500: Internal Server Error/u],
  // A proxy or other server that can: a 200 the worker's reply check refuses.
  ['proxy_nan', 502, /not valid JSON/u],
  ['out_of_range', 502, /out-of-range score 1\.7/u],
  ['wrong_count', 502, /returned 2 results for 3 documents/u],
  ['unknown_index', 502, /unknown index 6/u],
  ['duplicate_index', 502, /twice/u],
  ['reset', 503, /unreachable/u],
]

describe('backend faults', () => {
  for (const [mode, status, message] of cases) {
    it(`${mode} → ${status}`, async () => {
      const fake = fakeVllm(mode)
      await fake.control({ mode, apiKey: SECRET })
      const res = await rerank(body, { vars: { VLLM_URLS: fake.url, VLLM_API_KEY: SECRET } })
      expect(res.status).toBe(status)
      expect(res.json.error.message).toMatch(message)
      expect(res.json.request_id).toBeTruthy()
      expect(res.text).not.toContain(SECRET)
    })
  }

  it('a hanging backend gives 504 (the worker gave up on it: the fake saw its calls aborted)', async () => {
    const fake = fakeVllm('hang')
    await fake.control({ mode: 'hang' })
    const res = await rerank(body, { vars: { VLLM_URLS: fake.url, BACKEND_TIMEOUT_MS: '300' } })
    expect(res.status).toBe(504)
    expect(res.json.error.code).toBe('backend_timeout')
    expect(res.json.error.message).toMatch(/did not answer within/u)
    // One attempt, cancelled at the deadline: a lone upstream leaves nowhere to hedge to.
    await expect.poll(async () => (await (await fetch(`${fake.url}/__stats`)).json()) as { requests: number; outcomes: Record<string, number> }).toEqual(
      expect.objectContaining({ requests: 1, outcomes: { aborted: 1 } })
    )
  })

  it('a redirect is not followed: a 502 that names where it points, and the target never sees the call or its secrets', async () => {
    const target = fakeVllm('redirect-target')
    const fake = fakeVllm('redirect')
    await fake.control({ mode: 'redirect', redirectTo: target.url.replace('127.0.0.1', 'localhost') })
    const secrets = { VLLM_API_KEY: SECRET, VLLM_ACCESS_CLIENT_ID: 'abc.access', VLLM_ACCESS_CLIENT_SECRET: 'access-secret-1' }
    const res = await rerank(body, { vars: { VLLM_URLS: fake.url, ...secrets } })
    expect(res.status).toBe(502)
    expect(res.json.error.code).toBe('backend_error')
    expect(res.json.error.message).toMatch(/answered 308, a redirect to http:\/\/localhost:\d+: set VLLM_URLS/u)
    expect(await target.requests()).toHaveLength(0)
    expect(res.text).not.toContain('access-secret-1')
  })

  it('a token count that cannot be one is reported as unknown, never passed on (1e300 used to hang the isolate)', async () => {
    for (const bogus of ['1e300', '-1000', '2.5', '1e20']) {
      const fake = fakeVllm(`usage-${bogus}`)
      await fake.control({ mode: 'usage_bogus', bogusTokens: bogus })
      const res = await rerank({ ...body, query: `tokens ${bogus}` }, { vars: { VLLM_URLS: fake.url } })
      expect(res.status, bogus).toBe(200)
      expect(res.json.results).toHaveLength(3)
      expect(res.json.usage.prompt_tokens, bogus).toBe(0)
      expect(res.text).not.toContain('1e+300')
    }
  })

  it('a usage with total_tokens alone (vLLM before prompt_tokens was added, PR #30596) still reports the tokens', async () => {
    const fake = fakeVllm('usage-total-only')
    await fake.control({ mode: 'usage_total_only' })
    const res = await rerank({ ...body, query: 'tokens total only' }, { vars: { VLLM_URLS: fake.url } })
    expect(res.status).toBe(200)
    const [sent] = (await fake.requests()) as Array<{ pairTokens?: number[] }>
    const tokens = (sent?.pairTokens ?? []).reduce((a, b) => a + b, 0)
    expect(tokens).toBeGreaterThan(0)
    expect(res.json.usage).toMatchObject({ prompt_tokens: tokens, total_tokens: tokens })
  })

  it('a closed port gives 503', async () => {
    const res = await rerank(body, { vars: { VLLM_URLS: 'http://127.0.0.1:9' } })
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('backend_unavailable')
  })

  it('a wrong API key is reported as a backend error without echoing the key', async () => {
    const fake = fakeVllm('badkey')
    await fake.control({ apiKey: 'the-right-key' })
    const res = await rerank(body, { vars: { VLLM_URLS: fake.url, VLLM_API_KEY: SECRET } })
    expect(res.status).toBe(502)
    expect(res.json.error.message).toMatch(/401: Unauthorized/u)
    expect(res.text).not.toContain(SECRET)
  })

  it('a model the backend does not serve is a 502 that says so', async () => {
    const fake = fakeVllm('model')
    await fake.control({ servedModel: 'qwen3-reranker-0.6b' })
    const res = await rerank(body, { vars: { VLLM_URLS: fake.url, VLLM_MODEL: 'qwen3-reranker-8b' } })
    expect(res.status).toBe(502)
    expect(res.json.error.message).toMatch(/does not exist/u)
  })

  it('fails over to a second URL when the first is unreachable', async () => {
    const fake = fakeVllm('failover')
    const res = await rerank(body, { vars: { VLLM_URLS: `http://127.0.0.1:9,${fake.url}` } })
    expect(res.status).toBe(200)
    expect((await fake.requests()).length).toBe(1)
  })
})

/**
 * Two backends, one healthy and one in a fault mode: every client call succeeds, because the
 * failing batch is retried on the healthy upstream (upstream-retry.ts) within the deadline.
 */
describe('two backends, one faulty: no client error', () => {
  const CLOSED = 'http://127.0.0.1:9'
  const faults = ['garbage', 'nan', 'wrong_count', 'error500', 'html', 'hang', 'reset', 'killed'] as const
  for (const fault of faults) {
    it(`one backend ${fault === 'killed' ? 'killed (connection refused)' : fault}: 12 calls, 12 answers from the healthy one`, async () => {
      const good = fakeVllm(`pair-ok-${fault}`)
      const bad = fakeVllm(`pair-bad-${fault}`)
      if (fault !== 'killed') await bad.control({ mode: fault })
      const badUrl = fault === 'killed' ? CLOSED : bad.url
      // A short deadline keeps the hang case quick: its attempts are cut at half of it.
      const vars = { VLLM_URLS: `${badUrl},${good.url}`, BACKEND_TIMEOUT_MS: '2000' }
      const replies = []
      for (let wave = 0; wave < 3; wave++) {
        replies.push(
          ...(await Promise.all(
            Array.from({ length: 4 }, (_, i) =>
              rerank({ ...body, query: `pair ${fault} ${wave} ${i}` }, { vars, headers: { 'cache-control': 'no-store' } })
            )
          ))
        )
      }
      expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 12 }, () => 200))
      for (const r of replies) expect(r.json.meta.backend).toBe('vllm')
      expect((await good.requests()).length).toBe(12)
      if (fault !== 'killed') {
        // The faulty one was tried (so the retry is what saved those calls).
        const stats = (await (await fetch(`${bad.url}/__stats`)).json()) as { requests: number }
        expect(stats.requests).toBeGreaterThan(0)
      }
    })
  }
})

/**
 * A proxy in front of vLLM that quotes the key back, in five body shapes. The backend is a fetch
 * stub for one made-up origin (the rest of the network untouched): the worker's code from the
 * fetch on is the production path. The key has characters JSON and URL encoders rewrite.
 */
describe('a backend echoing the key', () => {
  const KEY = 'sk-live/AbC+123=xyz'
  const ECHO = 'http://echo-backend.test'
  const shapes: Array<{ name: string; status: number; type: string; body: string }> = [
    {
      name: 'OpenAI invalid_api_key',
      status: 401,
      type: 'application/json',
      body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}. You can find your API key at https://example.test/keys.`, type: 'invalid_request_error', code: 'invalid_api_key' } }),
    },
    { name: 'flat error string', status: 403, type: 'application/json', body: JSON.stringify({ error: `key ${KEY} is not allowed` }) },
    { name: 'JSON with escaped slashes', status: 500, type: 'application/json', body: `{"message":"bad key ${KEY.replace(/\//gu, '\\/')}"}` },
    { name: 'FastAPI detail, URL-encoded', status: 502, type: 'application/json', body: JSON.stringify({ detail: `GET /v1/rerank?api_key=${encodeURIComponent(KEY)} failed` }) },
    { name: 'Bearer header echoed', status: 503, type: 'application/json', body: JSON.stringify({ error: { message: `rejected Authorization: Bearer ${KEY}` } }) },
    { name: 'HTML page', status: 401, type: 'text/html', body: `<html><body>Invalid key ${KEY}</body></html>` },
  ]
  const spellings = [KEY, KEY.replace(/\//gu, '\\/'), encodeURIComponent(KEY), encodeURIComponent(KEY).toLowerCase(), 'sk-live']

  afterEach(() => {
    vi.restoreAllMocks()
  })

  for (const shape of shapes) {
    it(`${shape.name}: the key in no response, no log line and no /healthz answer`, async () => {
      const realFetch = globalThis.fetch
      let echoed = 0
      vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
        const url = input instanceof Request ? input.url : String(input)
        if (!url.startsWith(ECHO)) return realFetch(input, init)
        echoed++
        return new Response(shape.body, { status: shape.status, headers: { 'content-type': shape.type } })
      })
      const lines: string[] = []
      for (const level of ['log', 'info', 'warn', 'error'] as const) {
        vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          lines.push(args.map(String).join(' '))
        })
      }
      const origin = `${ECHO}/${shape.status}-${shape.name.replace(/\W+/gu, '-')}`
      const vars = { VLLM_URLS: origin, VLLM_API_KEY: KEY, LOG_REQUESTS: 'true', UPSTREAM_BREAKER_FAILURES: '50' }
      const texts: string[] = []
      const plain = await rerank(body, { vars, headers: { 'cache-control': 'no-store' } })
      expect(plain.status).toBeGreaterThanOrEqual(502)
      texts.push(plain.text)
      const fallback = await rerank(body, { vars: { ...vars, FALLBACK: 'lexical' }, headers: { 'cache-control': 'no-store' } })
      texts.push(fallback.text)
      for (const q of ['', '?detail=1', '?probe=1']) {
        const h = await callWorker(`/healthz${q}`, undefined, { vars })
        texts.push(await h.text())
      }
      expect(echoed).toBeGreaterThanOrEqual(2)
      expect(lines.length).toBeGreaterThan(0) // the access log did write
      for (const text of [...texts, ...lines]) {
        for (const s of spellings) expect(text, text.slice(0, 300)).not.toContain(s)
      }
      // The error still says what went wrong, with the key masked.
      expect(plain.json.error.message).toMatch(/backend answered \d{3}/u)
    })
  }
})

/**
 * vLLM refuses a request whose X-Request-Id is already running on it (fake-vllm-rules.ts
 * `claimRequestId`), and a call's hedge or retry may reach the server its earlier attempt still
 * runs on: two VLLM_URLS naming one server (here 127.0.0.1 and localhost), or replicas behind one
 * balancer. Each fetch must carry an id of its own.
 */
describe('one vLLM behind two URLs', () => {
  it('hedges and retries onto the same server never reuse a running request id', async () => {
    const fake = fakeVllm('alias')
    const vars = { VLLM_URLS: `${fake.url},${fake.url.replace('://127.0.0.1:', '://localhost:')}`, BACKEND_TIMEOUT_MS: '3000', UPSTREAM_HEDGE_AFTER_MS: '100' }
    const wave = (tag: string) =>
      Promise.all(Array.from({ length: 4 }, (_, i) => rerank({ ...body, query: `alias ${tag} ${i}` }, { vars, headers: { 'cache-control': 'no-store' } })))
    await fake.control({ mode: 'slow', delayMs: 400 })
    expect((await wave('hedged')).map((r) => r.status)).toEqual([200, 200, 200, 200])
    await fake.control({ mode: 'error500', delayMs: 0, times: 4 })
    expect((await wave('retried')).map((r) => r.status)).toEqual([200, 200, 200, 200])
    const stats = (await (await fetch(`${fake.url}/__stats`)).json()) as { outcomes: Record<string, number> }
    expect(stats.outcomes[400]).toBeUndefined()
    expect(stats.outcomes[500]).toBe(4)
    const ids = (await fake.requests()).map((r) => r.requestId)
    expect(ids.every((id) => id !== undefined)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    // The slow wave was hedged (each call's copy went to the other name of the same server).
    const health = (await (await callWorker('/healthz?detail=1', undefined, { vars })).json()) as { upstreams: Array<{ hedges: number }> }
    expect(health.upstreams.reduce((n, u) => n + u.hedges, 0)).toBeGreaterThanOrEqual(4)
  })
})
