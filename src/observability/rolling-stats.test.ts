import { describe, expect, it } from 'vitest'
import { toDataPoint } from './analytics'
import { buildRequestRecord, type RecordInput, type RerankLogInfo } from './request-record'
import { RollingStats } from './rolling-stats'

const info = (kind: string, hits: number, misses: number, template?: unknown): RerankLogInfo => ({
  meta: { backend: 'vllm', cache: { hits, misses }, instruction_source: kind, ...(template === undefined ? {} : { template }) },
  upstreamMs: misses > 0 ? 12.345 : 0,
})

function rec(over: Partial<RecordInput> = {}) {
  return buildRequestRecord({
    now: 10_000,
    startedAt: 9_990,
    requestId: 'r1',
    keyId: 'k1',
    tenant: 't1',
    method: 'POST',
    path: '/v1/rerank',
    status: 200,
    errorCode: null,
    rerank: info('default', 1, 1),
    configuredBackend: 'vllm',
    ...over,
  })
}

describe('buildRequestRecord', () => {
  it('fills the log fields from the rerank meta', () => {
    const r = rec({ rerank: info('template', 3, 2, { id: 'rag', version: 2, vars: {} }) })
    expect(r).toMatchObject({
      request_id: 'r1',
      key_id: 'k1',
      tenant: 't1',
      status: 200,
      duration_ms: 10,
      template: 'rag',
      instruction_kind: 'template',
      cache_hits: 3,
      cache_misses: 2,
      backend: 'vllm',
      upstream_ms: 12.35,
      error_code: null,
    })
    expect(r.ts).toBe(new Date(10_000).toISOString())
  })

  it('logs a preformatted query\'s instruction as its own kind, counted apart and as non-default', () => {
    expect(rec({ rerank: info('query', 1, 0) }).instruction_kind).toBe('query')
    const s = new RollingStats({ capacity: 10, windowMs: 60_000 })
    s.record(rec({ rerank: info('query', 1, 0) }), 1_000)
    s.record(rec({ rerank: info('default', 1, 0) }), 1_000)
    const sum = s.summary(1_000)
    expect(sum.by_instruction_kind).toEqual({ query: 1, default: 1 })
    expect(sum.non_default_instruction_share).toBe(0.5)
  })

  it('says "none" outside rerank, null for a failed rerank call, and never logs a query string', () => {
    expect(rec({ path: '/healthz', method: 'GET', rerank: undefined }).instruction_kind).toBe('none')
    const failed = rec({ status: 502, errorCode: 'backend_error', rerank: undefined })
    expect(failed).toMatchObject({ instruction_kind: null, backend: 'vllm', cache_hits: null, error_code: 'backend_error' })
    expect(rec({ path: '/v1/rerank' }).path).toBe('/v1/rerank')
  })

  it('maps onto an Analytics Engine data point with a fixed layout', () => {
    const p = toDataPoint(rec())
    expect(p.indexes).toEqual(['t1'])
    expect(p.blobs).toEqual(['POST', '/v1/rerank', 'k1', null, 'default', 'vllm', null, 'r1', null, null])
    expect(p.doubles).toEqual([200, 10, 12.35, 1, 1, 0, 0, 0])
    const saved = toDataPoint(rec({ rerank: { meta: { ...info('default', 2, 0).meta, cache_savings: { prompt_tokens: 640, gpu_ms: 71.11 } }, upstreamMs: 0 } }))
    expect(saved.doubles?.slice(5)).toEqual([640, 71.11, 0])
    const fallback = toDataPoint(rec({ rerank: { meta: { ...info('default', 0, 3).meta, backend: 'lexical' }, upstreamMs: 40 } }))
    expect(fallback.doubles?.[7]).toBe(1)
    expect(fallback.blobs?.[5]).toBe('lexical')
  })
})

describe('RollingStats', () => {
  it('summarises the window: rate, percentiles, status classes, hit ratio, backend errors, non-default share', () => {
    const s = new RollingStats({ capacity: 100, windowMs: 60_000 })
    const t0 = 1_000_000
    for (let i = 0; i < 20; i++) s.record({ ...rec({ rerank: info(i < 5 ? 'raw' : 'default', 3, 1) }), duration_ms: i + 1 }, t0 + i * 1000)
    s.record({ ...rec({ status: 503, errorCode: 'backend_unavailable', rerank: undefined }), duration_ms: 100 }, t0 + 20_000)
    s.record({ ...rec({ path: '/healthz', rerank: undefined }), duration_ms: 1 }, t0 + 20_000)
    const sum = s.summary(t0 + 20_000)
    expect(sum.requests).toBe(22)
    expect(sum.status).toEqual({ '2xx': 21, '3xx': 0, '4xx': 0, '5xx': 1 })
    expect(sum.rerank_calls).toBe(20)
    expect(sum.cache).toEqual({ hits: 60, misses: 20, hit_ratio: 0.75 })
    expect(sum.backend_errors).toBe(1)
    expect(sum.non_default_instruction_share).toBe(0.25)
    expect(sum.by_instruction_kind).toEqual({ raw: 5, default: 15 })
    // Nearest rank over [1..20, 100, 1]: p50 is the 11th of 22 sorted values.
    expect(sum.latency_ms.p50).toBe(10)
    expect(sum.latency_ms.p95).toBe(20)
    expect(sum.latency_ms.max).toBe(100)
    expect(sum.request_rate_per_s).toBe(1.1) // 22 requests over the 20 s seen
  })

  it('forgets requests older than the window, and a full ring measures its own span', () => {
    const s = new RollingStats({ capacity: 10, windowMs: 60_000 })
    s.record(rec(), 0)
    expect(s.summary(61_000).requests).toBe(0)
    for (let i = 0; i < 25; i++) s.record(rec(), 100_000 + i * 100)
    const sum = s.summary(100_000 + 2_400)
    expect(sum.requests).toBe(10)
    // The ring holds the last 10 requests, 900 ms apart end to end: rate from that span (>= 1 s floor).
    expect(sum.request_rate_per_s).toBe(10)
    // ...and says so: 15 requests of the window were overwritten; the figures cover its last 0.9 s.
    expect(sum).toMatchObject({ window_seconds: 60, capped: true, covered_seconds: 0.9 })
    s.reset()
    expect(s.summary(0).requests).toBe(0)
  })

  it('is not capped when the requests the ring overwrote had left the window anyway', () => {
    const s = new RollingStats({ capacity: 3, windowMs: 10_000 })
    for (let i = 0; i < 3; i++) s.record(rec(), i * 1000)
    s.record(rec(), 20_000) // overwrites a request from t = 0, outside the window at 21 s
    expect(s.summary(21_000)).toMatchObject({ requests: 1, capped: false, covered_seconds: 10 })
    // One tenant flooding past the ring's capacity: flagged, not silent.
    for (let i = 0; i < 4; i++) s.record(rec({ tenant: 'flood' }), 21_000 + i)
    expect(s.summary(21_010)).toMatchObject({ requests: 3, capped: true })
  })

  it('counts lexical fallback answers, and keeps lexical calls (the cache bypassed) out of the hit ratio', () => {
    const s = new RollingStats({ capacity: 100, windowMs: 60_000 })
    const lexical: RerankLogInfo = { meta: { backend: 'lexical', cache: { hits: 0, misses: 10 }, instruction_source: 'default' }, upstreamMs: 1 }
    s.record(rec(), 1000) // vllm: 1 hit, 1 miss
    s.record(rec({ rerank: lexical }), 1000) // the GPU was down: FALLBACK=lexical answered
    s.record(rec({ rerank: lexical, configuredBackend: 'lexical' }), 1000) // a lexical deployment
    const sum = s.summary(2000)
    expect(sum.fallback_answers).toBe(1)
    expect(sum.status['2xx']).toBe(3)
    expect(sum.cache).toEqual({ hits: 1, misses: 1, hit_ratio: 0.5 })
    expect(rec({ rerank: lexical }).fallback).toBe(true)
    expect(rec().fallback).toBe(false)
    expect(rec({ rerank: lexical, configuredBackend: 'lexical' }).fallback).toBe(false)
  })

  it('sums the tokens and GPU-ms the cache saved, per tenant and per template', () => {
    const s = new RollingStats({ capacity: 100, windowMs: 60_000 })
    const saved = (tenant: string, tokens: number, gpuMs: number | undefined, template?: unknown) =>
      rec({
        tenant,
        rerank: {
          meta: { backend: 'vllm', cache: { hits: 1, misses: 0 }, cache_savings: { prompt_tokens: tokens, ...(gpuMs === undefined ? {} : { gpu_ms: gpuMs }) }, instruction_source: template ? 'template' : 'raw', ...(template ? { template } : {}) },
          upstreamMs: 0,
        },
      })
    s.record(saved('acme', 400, 44.44), 1000)
    s.record(saved('acme', 100, 11.11, { id: 'rag', version: 1 }), 1001)
    s.record(saved('beta', 250, undefined, { id: 'rag', version: 1 }), 1002)
    s.record(rec({ tenant: 'beta', status: 502, errorCode: 'backend_error', rerank: undefined }), 1003)
    s.record(rec({ tenant: 'gamma', path: '/healthz', rerank: undefined }), 1004)
    const sum = s.summary(2000).cache_savings
    expect(sum).toMatchObject({ rerank_calls: 3, prompt_tokens: 750, gpu_ms: 55.55 })
    expect(sum.by_tenant).toEqual({
      acme: { rerank_calls: 2, prompt_tokens: 500, gpu_ms: 55.55 },
      beta: { rerank_calls: 1, prompt_tokens: 250, gpu_ms: null },
    })
    expect(sum.by_template).toEqual({
      '(none)': { rerank_calls: 1, prompt_tokens: 400, gpu_ms: 44.44 },
      rag: { rerank_calls: 2, prompt_tokens: 350, gpu_ms: 11.11 },
    })
    // A tenant named like an Object.prototype key is just a key.
    s.record(saved('__proto__', 5, undefined), 1005)
    const wire = JSON.parse(JSON.stringify(s.summary(2000))) as { cache_savings: { by_tenant: Record<string, unknown> } }
    expect(Object.getOwnPropertyDescriptor(wire.cache_savings.by_tenant, '__proto__')?.value).toEqual({ rerank_calls: 1, prompt_tokens: 5, gpu_ms: null })
  })
})
