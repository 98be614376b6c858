/**
 * The fake vLLM itself, where vLLM 0.13 refuses what a kinder fake would take (the phase rule: a
 * test double at least as strict as the real thing). Sources are cited in test/fakes/fake-vllm.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeVllm, type FakeVllm } from '../fakes/fake-vllm'
import { QWEN3_PREFIX, QWEN3_SUFFIX } from '../fakes/fake-vllm-model'

const QUERY = `${QWEN3_PREFIX}<Instruct>: judge\n<Query>: rivers\n`
const doc = (text: string) => `<Document>: ${text}${QWEN3_SUFFIX}`

let fake: FakeVllm
beforeAll(async () => {
  fake = await startFakeVllm()
})
afterAll(() => fake.close())

const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }, path = '/v1/rerank') =>
  fetch(`${fake.url}/i/strict${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })

describe('fake vLLM: as strict as vLLM 0.13', () => {
  it('scores a well-formed request (the baseline the refusals below differ from)', async () => {
    const res = await post({ query: QUERY, documents: [doc('the delta'), doc('\u{1f327} rain')] })
    expect(res.status).toBe(200)
    const json = (await res.json()) as { results: unknown[]; usage: { prompt_tokens: number } }
    expect(json.results).toHaveLength(2)
    expect(json.usage.prompt_tokens).toBeGreaterThan(0)
  })

  it('fails the whole request with a JSON 500 when a pair holds a lone surrogate (the tokenizer refuses it)', async () => {
    for (const documents of [[doc('fine'), doc('lone \ud800 half')], [doc('\udfff')]]) {
      const res = await post({ query: QUERY, documents })
      expect(res.status).toBe(500)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/u)
      expect(await res.json()).toEqual({ error: { message: expect.stringMatching(/^TextEncodeInput must be Union/u), type: 'Internal Server Error', param: null, code: 500 } })
    }
    expect((await post({ query: `${QWEN3_PREFIX}<Instruct>: judge\n<Query>: \ud800\n`, documents: [doc('x')] })).status).toBe(500)
  })

  it('answers a NaN score as vLLM must: Starlette\'s plain-text 500, never a 200 (only proxy_nan, not vLLM, writes NaN)', async () => {
    await fetch(`${fake.url}/i/nan/__control`, { method: 'POST', body: JSON.stringify({ mode: 'nan' }) })
    const res = await fetch(`${fake.url}/i/nan/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, documents: [doc('a')] }) })
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([500, 'text/plain; charset=utf-8', 'Internal Server Error'])
    await fetch(`${fake.url}/i/nan/__control`, { method: 'POST', body: JSON.stringify({ mode: 'proxy_nan' }) })
    const proxied = await fetch(`${fake.url}/i/nan/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, documents: [doc('a')] }) })
    expect(proxied.status).toBe(200)
    expect(await proxied.text()).toContain('"relevance_score":NaN')
  })

  it('refuses a body not sent as application/json', async () => {
    const body = { query: QUERY, documents: [doc('x')] }
    for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/jsonx' }] as Array<Record<string, string>>) {
      const res = await post(body, headers)
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/application\/json/u)
    }
    expect((await post(body, { 'content-type': 'Application/JSON; charset=utf-8' })).status).toBe(200)
  })

  it('writes each error as vLLM does: a refused body typed with the status phrase, a null body a 400, a dead engine\'s /health an empty 503', async () => {
    const typeOf = async (res: Response) => [res.status, ((await res.json()) as { error: { type: string } }).error.type]
    expect(await typeOf(await post({ query: QUERY, documents: [doc('x')] }, { 'content-type': 'text/plain' }))).toEqual([400, 'Bad Request'])
    expect(await typeOf(await post({ query: QUERY, documents: [doc('x')], top_n: 1.5 }))).toEqual([400, 'Bad Request'])
    for (const body of ['null', '[]', '1', '"x"']) expect(await typeOf(await post(body)), body).toEqual([400, 'Bad Request'])
    const control = (patch: unknown) => fetch(`${fake.url}/i/shapes/__control`, { method: 'POST', body: JSON.stringify(patch) })
    await control({ mode: 'error500' })
    expect(await typeOf(await fetch(`${fake.url}/i/shapes/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, documents: [doc('x')] }) }))).toEqual([500, 'Internal Server Error'])
    await control({ health: 'error503' })
    const health = await fetch(`${fake.url}/i/shapes/health`)
    expect([health.status, health.headers.get('content-type'), await health.text()]).toEqual([503, null, ''])
  })

  it('refuses an empty document list and a fractional top_n', async () => {
    const empty = await post({ query: QUERY, documents: [] })
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/At least one/u)
    expect((await post({ query: QUERY, documents: [doc('x')], top_n: 1.5 })).status).toBe(400)
    expect((await post({ query: QUERY, documents: [doc('x')], top_n: 1 })).status).toBe(200)
  })

  it('takes what vLLM takes: a lax int top_n ("1", true), an empty model name (the base model), a lower-case bearer scheme', async () => {
    const results = async (extra: Record<string, unknown>) => {
      const res = await post({ query: QUERY, documents: [doc('a'), doc('b'), doc('c')], ...extra })
      return res.status === 200 ? ((await res.json()) as { results: unknown[] }).results.length : res.status
    }
    expect(await results({ top_n: '1' })).toBe(1)
    expect(await results({ top_n: ' 2 ' })).toBe(2)
    expect(await results({ top_n: true })).toBe(1)
    expect(await results({ top_n: false })).toBe(3)
    for (const top_n of [null, '1.5', 'one', 1.5, [1]]) expect(await results({ top_n }), JSON.stringify(top_n)).toBe(400)
    expect(await results({ model: '' })).toBe(3)
    expect(await results({ model: 'qwen3-reranker-8b' })).toBe(3)
    expect(await results({ model: 'other' })).toBe(404)
    expect(await results({ model: 5 })).toBe(400)
    await fetch(`${fake.url}/i/scheme/__control`, { method: 'POST', body: JSON.stringify({ apiKey: 'k-1' }) })
    const withAuth = async (authorization: string) => (await fetch(`${fake.url}/i/scheme/v1/models`, { headers: { authorization } })).status
    for (const a of ['bearer k-1', 'BEARER k-1', 'Bearer k-1']) expect(await withAuth(a), a).toBe(200)
    for (const a of ['Bearer  k-1', 'Bearerk-1', 'Basic k-1', 'Bearer K-1']) expect(await withAuth(a), a).toBe(401)
  })

  it('refuses a request whose X-Request-Id is still running (vLLM\'s engine request ids collide), and frees it once answered or left', async () => {
    await fetch(`${fake.url}/i/ids/__control`, { method: 'POST', body: JSON.stringify({ mode: 'slow', delayMs: 300 }) })
    const send = (id: string, signal?: AbortSignal) =>
      fetch(`${fake.url}/i/ids/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ query: QUERY, documents: [doc('a')] }), ...(signal ? { signal } : {}) })
    const first = send('call-1')
    await new Promise((r) => setTimeout(r, 50))
    const [twin, other] = await Promise.all([send('call-1'), send('call-2')])
    expect(twin.status).toBe(400)
    expect(await twin.json()).toEqual({ error: { message: 'Request id rerank-call-1-0 already running.', type: 'BadRequestError', param: null, code: 400 } })
    expect(other.status).toBe(200)
    expect((await first).status).toBe(200)
    expect((await send('call-1')).status).toBe(200) // answered: free again
    // A client that leaves frees its id too (vLLM aborts the request).
    await fetch(`${fake.url}/i/ids/__control`, { method: 'POST', body: JSON.stringify({ mode: 'hang' }) })
    const gone = new AbortController()
    const hung = send('call-3', gone.signal).catch(() => 'aborted')
    await new Promise((r) => setTimeout(r, 50))
    expect((await send('call-3')).status).toBe(400)
    gone.abort()
    expect(await hung).toBe('aborted')
    await fetch(`${fake.url}/i/ids/__control`, { method: 'POST', body: JSON.stringify({ mode: 'ok' }) })
    await expect.poll(async () => (await send('call-3')).status).toBe(200)
  })

  it('guards every /v1 path with the API key before routing, and only /v1 paths', async () => {
    await fetch(`${fake.url}/i/keyed/__control`, { method: 'POST', body: JSON.stringify({ apiKey: 'k-1' }) })
    const at = (path: string, init: RequestInit = {}) => fetch(`${fake.url}/i/keyed${path}`, init)
    expect((await at('/v1/models')).status).toBe(401)
    expect((await at('/v1/nowhere')).status).toBe(401)
    expect((await at('/v1/rerank')).status).toBe(401) // a GET: 401 before the 405
    expect((await at('/v1/models', { headers: { authorization: 'Bearer k-1' } })).status).toBe(200)
    expect((await at('/v1/rerank', { headers: { authorization: 'Bearer k-1' } })).status).toBe(405)
    expect((await at('/health')).status).toBe(200)
    expect((await at('/nowhere')).status).toBe(404)
  })
})

describe('fake vLLM: scores written as Python writes floats', () => {
  it('pythonFloat matches float.__repr__', async () => {
    const { pythonFloat } = await import('../fakes/fake-vllm-model')
    const cases: Array<[number, string]> = [
      [1, '1.0'], [0, '0.0'], [0.5, '0.5'], [0.97, '0.97'], [0.0001, '0.0001'], [0.000012, '1.2e-05'], [3.4e-7, '3.4e-07'],
      [123, '123.0'], [1e16, '1e+16'], [1.5e-100, '1.5e-100'], [0.1 + 0.2, '0.30000000000000004'], [-2.5, '-2.5'], [9999999999999998, '9999999999999998.0'],
    ]
    for (const [x, want] of cases) expect(pythonFloat(x)).toBe(want)
  })

  it('the extremes mode answers 1.0, 1.2e-05 and 0.0 on the wire', async () => {
    await fetch(`${fake.url}/i/extremes/__control`, { method: 'POST', body: JSON.stringify({ mode: 'extremes' }) })
    const res = await fetch(`${fake.url}/i/extremes/v1/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, documents: ['a', 'b', 'c', 'd'].map(doc) }),
    })
    const text = await res.text()
    expect(text).toContain('"relevance_score":1.0}')
    expect(text).toContain('"relevance_score":1.2e-05')
    expect(text).toContain('"relevance_score":0.0')
  })
})

describe('fake vLLM: its own controls', () => {
  it('refuses a misspelt control or mode instead of serving the normal path (a fault test would pass for the wrong reason)', async () => {
    const control = (patch: unknown) => fetch(`${fake.url}/i/controls/__control`, { method: 'POST', body: JSON.stringify(patch) })
    for (const patch of [{ mdoe: 'error500' }, { mode: 'eror500' }, { delayMs: '100' }, { health: 'down' }]) {
      const res = await control(patch)
      expect(res.status, JSON.stringify(patch)).toBe(400)
    }
    // Nothing was applied: the instance still answers normally.
    expect((await fetch(`${fake.url}/i/controls/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, documents: [doc('a')] }) })).status).toBe(200)
    expect((await control({ mode: 'error500', times: 1 })).status).toBe(200)
    expect((await fetch(`${fake.url}/i/controls/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, documents: [doc('a')] }) })).status).toBe(500)
  })
})
