/**
 * Observability through the real worker: one structured JSON log line per request with the
 * fields operators need, an Analytics Engine data point per request, the GET /v1/stats rolling
 * summary, and the rule that VLLM_API_KEY never reaches a response, a header or a log line,
 * whatever the backend does and whatever the caller sends.
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { hashApiKey } from '../../src/auth/key-digest'
import { isolateServices } from '../../src/index'
import { callWorker, callWorkerWithBindings, fakeVllm, rerank, strictAnalytics } from './helpers'

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
const KEY = `obs-key-${RUN}`
const KEY_ID = `obs-${RUN}`

interface LogLine {
  ts: string
  level: string
  msg: string
  request_id: string
  key_id: string | null
  tenant: string
  method: string
  path: string
  status: number
  duration_ms: number
  template: string | null
  instruction_kind: string | null
  cache_hits: number | null
  cache_misses: number | null
  backend: string | null
  upstream_ms: number | null
  error_code: string | null
}

let logSpy: MockInstance<typeof console.log>

beforeEach(() => {
  logSpy = vi.spyOn(console, 'log').mockImplementation(() => undefined)
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** The access-log lines printed so far, parsed. */
function logLines(): LogLine[] {
  return logSpy.mock.calls
    .map((c) => String(c[0]))
    .filter((l) => l.startsWith('{') && l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as LogLine)
}

function lineFor(requestId: string | null): LogLine {
  const lines = logLines().filter((l) => l.request_id === requestId)
  expect(lines, `log lines for ${requestId}`).toHaveLength(1)
  return lines[0] as LogLine
}

async function keysVar(): Promise<string> {
  return JSON.stringify([{ id: KEY_ID, hash: await hashApiKey(KEY), tenant: 'obs-tenant', scopes: ['rerank', 'stats'] }])
}

/** Explicit, whatever default the test config sets for LOG_REQUESTS. */
const LOGGING = { LOG_REQUESTS: 'true' }

const docs = [`Beijing is the capital of China ${RUN}.`, `Paris is the capital of France ${RUN}.`]

describe('access log', () => {
  it('writes one JSON line per request with key, tenant, instruction kind, cache, backend and upstream time', async () => {
    const fake = fakeVllm('obs-log')
    await fake.control({ delayMs: 25 })
    const vars = { ...LOGGING, API_KEYS: await keysVar(), VLLM_URLS: fake.url }
    const headers = { authorization: `Bearer ${KEY}` }
    const call = { query: `capital ${RUN}`, documents: docs, instruction: 'Prefer capitals' }

    const miss = await rerank(call, { vars, headers })
    expect(miss.status).toBe(200)
    const l1 = lineFor(miss.headers.get('x-request-id'))
    expect(l1).toMatchObject({
      level: 'info',
      msg: 'request',
      key_id: KEY_ID,
      tenant: 'obs-tenant',
      method: 'POST',
      path: '/v1/rerank',
      status: 200,
      instruction_kind: 'raw',
      template: null,
      cache_hits: 0,
      cache_misses: 2,
      backend: 'vllm',
      error_code: null,
    })
    expect(Date.parse(l1.ts)).not.toBeNaN()
    expect(l1.upstream_ms).toBeGreaterThanOrEqual(20)
    expect(l1.duration_ms).toBeGreaterThanOrEqual(l1.upstream_ms as number)

    const hit = await rerank(call, { vars, headers })
    const l2 = lineFor(hit.headers.get('x-request-id'))
    expect(l2).toMatchObject({ status: 200, cache_hits: 2, cache_misses: 0, upstream_ms: 0 })
    expect(l2.instruction_kind).toBe(hit.json.meta.instruction_source)

    const plain = await rerank({ query: `capital ${RUN}`, documents: docs }, { vars, headers })
    expect(lineFor(plain.headers.get('x-request-id')).instruction_kind).toBe('default')
  })

  it('logs errors with their code: 400, 401, 404, 502', async () => {
    const fake = fakeVllm('obs-errors')
    await fake.control({ mode: 'error500' })
    const vars = { ...LOGGING, API_KEYS: await keysVar(), VLLM_URLS: fake.url }
    const headers = { authorization: `Bearer ${KEY}` }
    const cases: Array<[Promise<Response>, number, string]> = [
      [callWorker('/v1/rerank', { query: 1 }, { vars, headers }), 400, 'invalid_request'],
      [callWorker('/v1/rerank', { query: 'q', documents: ['d'] }, { vars }), 401, 'unauthorized'],
      [callWorker('/nowhere', undefined, { vars, headers }), 404, 'not_found'],
      [callWorker('/v1/rerank', { query: 'q', documents: ['d'] }, { vars, headers }), 502, 'backend_error'],
    ]
    for (const [pending, status, code] of cases) {
      const res = await pending
      expect(res.status).toBe(status)
      const line = lineFor(res.headers.get('x-request-id'))
      expect(line.status).toBe(status)
      expect(line.error_code).toBe(code)
      if (status === 401) expect(line.key_id).toBeNull()
      if (status === 502) expect(line.backend).toBe('vllm')
    }
  })

  it('LOG_REQUESTS=false silences the line (the stats still count)', async () => {
    const res = await callWorker('/healthz', undefined, { vars: { LOG_REQUESTS: 'false' } })
    expect(res.status).toBe(200)
    expect(logLines().filter((l) => l.request_id === res.headers.get('x-request-id'))).toHaveLength(0)
  })
})

describe('Analytics Engine', () => {
  it('writes one data point per request when the ANALYTICS binding exists', async () => {
    const analytics = strictAnalytics()
    const res = await callWorkerWithBindings(
      '/v1/rerank',
      { query: 'capital', documents: ['Beijing', 'Paris', 'Rome'] },
      { vars: { LOG_REQUESTS: 'false' } },
      { ANALYTICS: analytics }
    )
    expect(res.status).toBe(200)
    expect(analytics.points).toHaveLength(1)
    const point = analytics.points[0] as AnalyticsEngineDataPoint
    expect(point.indexes).toEqual(['public'])
    expect(point.blobs?.slice(0, 2)).toEqual(['POST', '/v1/rerank'])
    expect(point.blobs?.[4]).toBe('default')
    expect(point.blobs?.[5]).toBe('lexical')
    expect(point.blobs?.[7]).toBe(res.headers.get('x-request-id'))
    expect(point.doubles?.[0]).toBe(200)
    // cache hits, misses, then tokens and GPU-ms the cache saved (none: a lexical call bypasses it).
    expect(point.doubles?.slice(3)).toEqual([0, 3, 0, 0, 0])
  })

  it('records a request with a long, non-ASCII path too (the runtime refuses blobs over 5,120 bytes in all)', async () => {
    const analytics = strictAnalytics()
    const path = `/v1/${'%C3%A9'.repeat(3000)}` // 3,000 × "é": 6,000 bytes decoded
    const res = await callWorkerWithBindings(path, undefined, { vars: { LOG_REQUESTS: 'false' } }, { ANALYTICS: analytics })
    expect(res.status).toBe(404)
    // Accepted by a binding as strict as the runtime's: the record cuts the path (request-record.ts).
    expect(analytics.points).toHaveLength(1)
    expect(String(analytics.points[0]?.blobs?.[1]).startsWith('/v1/éé')).toBe(true)
  })

  it('a throwing ANALYTICS binding does not affect the response', async () => {
    const ANALYTICS = {
      writeDataPoint: () => {
        throw new Error('sink down')
      },
    }
    const res = await callWorkerWithBindings('/healthz', undefined, { vars: { LOG_REQUESTS: 'false' } }, { ANALYTICS })
    expect(res.status).toBe(200)
  })
})

describe('GET /v1/stats', () => {
  it('summarises rate, latency percentiles, status classes, cache hit ratio, backend errors and non-default share', async () => {
    isolateServices.requestStats.reset()
    const fake = fakeVllm('obs-stats')
    const vars = { VLLM_URLS: fake.url, LOG_REQUESTS: 'false' }
    const call = { query: `stats ${RUN}`, documents: docs }
    expect((await rerank(call, { vars })).status).toBe(200) // 2 misses
    expect((await rerank(call, { vars })).status).toBe(200) // 2 hits
    expect((await rerank({ ...call, instruction: 'Prefer France' }, { vars })).status).toBe(200) // 2 misses, raw
    expect((await rerank({ query: 5 }, { vars })).status).toBe(400)
    await fake.control({ mode: 'error503', times: 5 })
    expect((await rerank({ ...call, query: `other ${RUN}` }, { vars })).status).toBe(503)

    const res = await callWorker('/v1/stats', undefined, { vars })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const s = (await res.json()) as {
      scope: string
      window_seconds: number
      requests: number
      request_rate_per_s: number
      latency_ms: { p50: number; p95: number; max: number }
      status: Record<string, number>
      rerank_calls: number
      cache: { hits: number; misses: number; hit_ratio: number }
      backend_errors: number
      non_default_instruction_share: number
      by_instruction_kind: Record<string, number>
    }
    expect(s.scope).toBe('isolate')
    expect(s.window_seconds).toBe(300)
    expect(s.requests).toBe(5)
    expect(s.status).toEqual({ '2xx': 3, '3xx': 0, '4xx': 1, '5xx': 1 })
    expect(s.rerank_calls).toBe(3)
    expect(s.cache).toEqual({ hits: 2, misses: 4, hit_ratio: 0.3333 })
    expect(s.backend_errors).toBe(1)
    expect(s.non_default_instruction_share).toBe(0.3333)
    expect(s.by_instruction_kind).toEqual({ default: 2, raw: 1 })
    expect(s.latency_ms.p50).toBeGreaterThanOrEqual(0)
    expect(s.latency_ms.p95).toBeGreaterThanOrEqual(s.latency_ms.p50)
    expect(s.latency_ms.max).toBeGreaterThanOrEqual(s.latency_ms.p95)
    expect(s.request_rate_per_s).toBeGreaterThan(0)
    expect(s.request_rate_per_s).toBeLessThanOrEqual(5)

    // Polling does not count itself.
    const again = (await (await callWorker('/v1/stats', undefined, { vars })).json()) as { requests: number }
    expect(again.requests).toBe(5)
    expect((await callWorker('/v1/stats', {}, { vars, method: 'POST' })).status).toBe(405)
    // A refused request to the stats is counted (polling is not): probing shows.
    const afterRefused = (await (await callWorker('/v1/stats', undefined, { vars })).json()) as { requests: number; status: Record<string, number> }
    expect(afterRefused.requests).toBe(6)
    expect(afterRefused.status['4xx']).toBe(2)
  })

  it('counts an outage the lexical fallback hid, and keeps its pairs out of the hit ratio', async () => {
    isolateServices.requestStats.reset()
    const vars = { VLLM_URLS: 'http://127.0.0.1:9', FALLBACK: 'lexical', LOG_REQUESTS: 'false', UPSTREAM_MAX_ATTEMPTS: '1' }
    const res = await rerank({ query: `fallback ${RUN}`, documents: docs }, { vars })
    expect(res.status).toBe(200)
    expect(res.json.meta.backend).toBe('lexical')
    const s = (await (await callWorker('/v1/stats', undefined, { vars })).json()) as { fallback_answers: number; backend_errors: number; cache: { hits: number; misses: number; hit_ratio: number | null } }
    expect(s.fallback_answers).toBe(1)
    expect(s.cache).toEqual({ hits: 0, misses: 0, hit_ratio: null })
  })
})

describe('the backend secret never leaks', () => {
  const MARKER = `sk-LEAK-MARKER-${RUN}`
  const modes = [
    'ok',
    'slow',
    'hang',
    'error500',
    'error503',
    'html',
    'garbage',
    'nan',
    'out_of_range',
    'wrong_count',
    'unknown_index',
    'duplicate_index',
    'reset',
    'constant',
  ]
  const badBodies: unknown[] = [
    {},
    { query: 'q' },
    { query: 1, documents: ['d'] },
    { query: 'q', documents: 'd' },
    { query: 'q', documents: [] },
    { query: 'q', documents: [{ nope: 1 }] },
    { query: 'q', documents: ['d'], top_n: -1 },
    { query: 'q', documents: ['d'], max_tokens_per_doc: 'x' },
    { query: 'q', documents: ['d'], template: 'no-such-template' },
    { query: 'q', documents: ['d'], experiment: 'no-such-experiment', user: 'u' },
    { query: 'q', documents: ['d'], now: 'yesterday' },
    { query: 'q'.repeat(10_000), documents: ['d'] },
    [1, 2, 3],
  ]

  it('appears in no response body, header or console line across every fault mode and validation error', async () => {
    const spies = (['error', 'warn', 'info', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => undefined))
    const seen: string[] = []
    const record = async (res: Response) => {
      seen.push(String(res.status), await res.text())
      res.headers.forEach((v, k) => seen.push(`${k}: ${v}`))
    }
    const fake = fakeVllm('leak')
    const base = { ...LOGGING, VLLM_URLS: fake.url, VLLM_API_KEY: MARKER, BACKEND_TIMEOUT_MS: '300', UPSTREAM_MAX_ATTEMPTS: '1' }
    for (const mode of modes) {
      await fake.control({ mode, apiKey: MARKER, delayMs: mode === 'slow' ? 600 : 0, times: -1 })
      await record(await callWorker('/v1/rerank', { query: `leak ${mode} ${RUN}`, documents: docs }, { vars: base }))
    }
    await fake.control({ mode: 'ok', apiKey: 'a-different-key' }) // the backend refuses our key: 401
    await record(await callWorker('/v1/rerank', { query: `leak 401 ${RUN}`, documents: docs }, { vars: base }))
    await fake.control({ apiKey: MARKER })
    for (const b of badBodies) await record(await callWorker('/v2/rerank', b, { vars: base }))
    await record(await callWorker('/v1/rerank', undefined, { vars: base, rawBody: '{"query": "q", "documents": [' }))
    await record(await callWorker('/v1/rerank', undefined, { vars: base, rawBody: new Uint8Array([0xff, 0xfe, 0x00]) }))
    await record(await callWorker('/v1/rerank', { query: 'q', documents: ['d'] }, { vars: { ...base, MAX_BODY_BYTES: '1024' }, headers: { 'content-length': '99999' } }))
    await record(await callWorker('/v1/rerank', { query: 'q', documents: ['d'] }, { vars: base, headers: { 'x-cache-namespace': 'bad namespace!' } }))
    await record(await callWorker('/v1/rerank', undefined, { vars: base, method: 'GET' }))
    await record(await callWorker('/healthz', undefined, { vars: base }))
    await record(await callWorker('/v1/stats', undefined, { vars: base }))
    await record(await callWorker('/v1/rerank', { query: 'q', documents: ['d'] }, { vars: { ...base, VLLM_URLS: 'http://127.0.0.1:9' } }))
    await record(await callWorker('/v1/rerank', { query: 'q', documents: ['d'] }, { vars: { ...base, VLLM_URLS: 'not a url' } }))
    await record(await callWorker('/v1/rerank', { query: 'q', documents: ['d'] }, { vars: { ...base, BACKEND_TIMEOUT_MS: 'soon' } }))

    // The marker was really in play: the backend received it as the bearer token.
    const sent = await fake.requests()
    expect(sent.some((r) => r.authorization === `Bearer ${MARKER}`)).toBe(true)
    const consoleText = [logSpy, ...spies].flatMap((s) => s.mock.calls.map((c) => c.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')))
    expect(consoleText.length).toBeGreaterThan(modes.length) // the access log ran
    const everything = [...seen, ...consoleText].join('\n')
    expect(everything).toContain('backend_error') // sanity: faults happened
    expect(everything).not.toContain(MARKER)
    expect(everything).not.toContain(MARKER.slice(3)) // not even without its prefix
  }, 30_000)
})
