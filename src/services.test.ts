/**
 * The isolate's state is built by createServices (src/services.ts) and nothing else: two service
 * sets share nothing, state whose size a config sets is keyed by that config's values, and the
 * clock a test injects is the one the app reads.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from './app'
import { parseConfig } from './config'
import { createServices } from './services'

const VLLM = { VLLM_URLS: 'http://127.0.0.1:9/a', LOG_REQUESTS: 'false' }

describe('createServices', () => {
  it('keeps one memory tier per CACHE_MEMORY_BYTES value, each with its own capacity', () => {
    const s = createServices()
    const small = s.scoreCache.memoryFor({ CACHE_MEMORY_BYTES: 1_000 })
    const large = s.scoreCache.memoryFor({ CACHE_MEMORY_BYTES: 5_000 })
    expect(small).not.toBe(large)
    expect([small.capacityBytes, large.capacityBytes]).toEqual([1_000, 5_000])
    // Asking again (in either order) neither resets nor resizes the other tier.
    expect(s.scoreCache.memoryFor({ CACHE_MEMORY_BYTES: 1_000 })).toBe(small)
    expect(small.capacityBytes).toBe(1_000)
  })

  it('two service sets share no state', () => {
    const a = createServices()
    const b = createServices()
    const config = parseConfig({ ...VLLM })
    expect(a.scoreCache.memoryFor(config)).not.toBe(b.scoreCache.memoryFor(config))
    expect(a.scoreCache.flights).not.toBe(b.scoreCache.flights)
    expect(a.upstreams.poolFor(config)).not.toBe(b.upstreams.poolFor(config))
    expect(a.scorerFor(config)).not.toBe(b.scorerFor(config))
    expect(a.experiments).not.toBe(b.experiments)
    expect(a.requestStats).not.toBe(b.requestStats)
  })

  it('finds the same upstream pool for equal settings from different env objects', () => {
    const s = createServices()
    const one = parseConfig({ ...VLLM })
    const two = parseConfig({ ...VLLM })
    expect(one).not.toBe(two)
    expect(s.upstreams.poolFor(one)).toBe(s.upstreams.poolFor(two))
    expect(s.upstreams.poolFor(parseConfig({ ...VLLM, UPSTREAM_MAX_ATTEMPTS: '1' }))).not.toBe(s.upstreams.poolFor(one))
    expect(s.scorerFor(one)).toBe(s.scorerFor(one))
    expect(s.scorerFor(one).kind).toBe('vllm')
  })

  it('the app reads the injected clock (Server-Timing total from request start to response)', async () => {
    let reads = 0
    // The first read is the request's start; every later one is 250 ms on.
    const services = createServices({ now: () => (reads++ === 0 ? 1_000_000 : 1_000_250) })
    const res = await createApp(services).request(
      '/v1/rerank',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'q', documents: ['a b', 'q'] }) },
      { VLLM_URLS: '', LOG_REQUESTS: 'false' }
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('server-timing')).toMatch(/(^|, )total;dur=250\.00$/u)
  })

  it('the vLLM client keeps time with the injected clock: a fixed clock far from real time still reaches the backend', async () => {
    const calls: string[] = []
    const realFetch = globalThis.fetch
    // The vLLM reply for two documents, as vLLM 0.13 writes it.
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      calls.push(String(input instanceof Request ? input.url : input))
      const body = { id: 'rerank-1', model: 'qwen3-reranker-8b', usage: { prompt_tokens: 90, total_tokens: 90 }, results: [{ index: 0, relevance_score: 0.9 }, { index: 1, relevance_score: 0.1 }] }
      return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
    }) as typeof fetch
    try {
      // Deadlines are built from this clock; measured against the real one, every call had already
      // missed its deadline (504 "backend deadline passed before the call", nothing sent).
      const services = createServices({ now: () => 1_000_000 })
      const res = await createApp(services).request(
        '/v1/rerank',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'q', documents: ['a b', 'q'] }) },
        { VLLM_URLS: 'http://vllm.test', LOG_REQUESTS: 'false' },
        { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} } as unknown as ExecutionContext
      )
      expect(res.status, await res.clone().text()).toBe(200)
      expect(calls).toEqual(['http://vllm.test/v1/rerank'])
    } finally {
      globalThis.fetch = realFetch
    }
  })
})
