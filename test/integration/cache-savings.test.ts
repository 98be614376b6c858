/**
 * What the score cache saves the GPU, through the real worker in workerd against the fake vLLM,
 * which reports `usage.prompt_tokens` per request as vLLM does. The assertions hold whatever
 * the exact count: a pair's cached cost is its share of the tokens the miss call reported.
 */
import { describe, expect, it } from 'vitest'
import { hashApiKey } from '../../src/auth/key-digest'
import { isolateServices } from '../../src/index'
import { callWorker, fakeVllm, rerank } from './helpers'

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
const RATE = 2000
const gpuMs = (tokens: number) => Math.round((tokens / RATE) * 100_000) / 100

/** 300–2,000-character passages, distinct per run. */
const passage = (i: number, tag: string) =>
  `${tag} ${RUN} passage ${i}: ` + 'The river delta supports rice farming and fisheries along the coast. '.repeat(4 + (i % 25))

async function keysVar(): Promise<string> {
  return JSON.stringify([
    { id: `acme-${RUN}`, hash: await hashApiKey(`acme-${RUN}`), tenant: `acme-${RUN}`, scopes: ['rerank', 'stats'] },
    { id: `beta-${RUN}`, hash: await hashApiKey(`beta-${RUN}`), tenant: `beta-${RUN}`, scopes: ['rerank', 'stats'] },
  ])
}

describe('GPU time the cache saves', () => {
  it('a repeat call reports as saved exactly the prompt tokens the miss call reported, and GPU-ms at the configured rate', async () => {
    const fake = fakeVllm('savings-repeat')
    const vars = { VLLM_URLS: fake.url, CACHE_GPU_TOKENS_PER_SECOND: String(RATE), LOG_REQUESTS: 'false', BACKEND_BATCH_SIZE: '7' }
    const body = { query: `delta farming ${RUN}`, documents: Array.from({ length: 20 }, (_, i) => passage(i, 'repeat')) }
    const miss = await rerank(body, { vars })
    expect(miss.status).toBe(200)
    const spent = miss.json.usage.prompt_tokens as number
    // Three backend requests (7 + 7 + 6 pairs), each with its own usage; every passage is > 250 bytes.
    expect(await fake.requests()).toHaveLength(3)
    expect(spent).toBeGreaterThan(20 * 50)
    expect(miss.json.usage.cached_prompt_tokens).toBe(0)
    expect(miss.json.meta.cache_savings).toEqual({ prompt_tokens: 0, gpu_ms: 0 })

    const hit = await rerank({ ...body, documents: [...body.documents].reverse() }, { vars })
    expect(hit.json.meta.cache).toEqual({ hits: 20, misses: 0 })
    expect(hit.json.usage.cached_prompt_tokens).toBe(spent)
    expect(hit.json.meta.cache_savings).toEqual({ prompt_tokens: spent, gpu_ms: gpuMs(spent) })
    expect(hit.json.usage.total_tokens).toBe(0)
    expect(hit.json.usage.prompt_tokens).toBe(0) // present, as vLLM's RerankUsage requires
  })

  it('a call that shares another call\'s forward is not billed for it and saves what it cost; a repeated document is scored once', async () => {
    const fake = fakeVllm('savings-shared')
    await fake.control({ delayMs: 300 })
    const vars = { VLLM_URLS: fake.url, LOG_REQUESTS: 'false' }
    const body = { query: `delta shared ${RUN}`, documents: Array.from({ length: 6 }, (_, i) => passage(i, 'shared')) }
    const [a, b] = await Promise.all([rerank(body, { vars }), rerank(body, { vars })])
    expect(await fake.requests()).toHaveLength(1)
    const [owner, joiner] = /; collapsed;/u.test(a.headers.get('cache-status') ?? '') ? [b, a] : [a, b]
    expect(joiner.headers.get('cache-status')).toMatch(/; collapsed;/u)
    expect(owner.json.usage).toMatchObject({ pairs_scored: 6, search_units: 1, cached_prompt_tokens: 0 })
    const spent = owner.json.usage.prompt_tokens as number
    expect(spent).toBeGreaterThan(0)
    // The joiner sent nothing: it is billed nothing and saved the GPU what the owner spent.
    expect(joiner.json.usage).toMatchObject({ pairs_scored: 0, search_units: 0, prompt_tokens: 0, cached_prompt_tokens: spent })

    await fake.control({ delayMs: 0 })
    const repeated = await rerank({ query: `delta repeated ${RUN}`, documents: ['x one', 'x one', 'x one', 'y two'] }, { vars })
    expect(repeated.json.usage).toMatchObject({ pairs: 4, pairs_scored: 2 })
  })

  it('adds up across calls and tiers: a call whose pairs two earlier calls scored saves both their tokens (KV only)', async () => {
    const fake = fakeVllm('savings-kv')
    const vars = { VLLM_URLS: fake.url, CACHE_MEMORY_BYTES: '0', LOG_REQUESTS: 'false' }
    const query = `kv savings ${RUN}`
    const a = Array.from({ length: 6 }, (_, i) => passage(i, 'kv-a'))
    const b = Array.from({ length: 3 }, (_, i) => passage(i + 40, 'kv-b'))
    const first = await rerank({ query, documents: a }, { vars })
    const second = await rerank({ query, documents: b }, { vars })
    const both = await rerank({ query, documents: [...b, ...a, a[0]] }, { vars })
    expect(both.json.meta.cache).toEqual({ hits: 10, misses: 0 })
    expect(both.headers.get('cache-status')).toMatch(/edge=10/u)
    // Each distinct pair counted once (the repeated document was not scored twice either).
    expect(both.json.usage.cached_prompt_tokens).toBe((first.json.usage.prompt_tokens as number) + (second.json.usage.prompt_tokens as number))
    // No rate configured: tokens only.
    expect(both.json.meta.cache_savings).toEqual({ prompt_tokens: both.json.usage.cached_prompt_tokens })
  })

  it('/v1/stats sums tokens and GPU-ms saved per tenant and per template', async () => {
    isolateServices.requestStats.reset()
    const fake = fakeVllm('savings-stats')
    const vars = { VLLM_URLS: fake.url, API_KEYS: await keysVar(), CACHE_GPU_TOKENS_PER_SECOND: `{"qwen3-reranker-8b": ${RATE}}`, LOG_REQUESTS: 'false' }
    const acme = { authorization: `Bearer acme-${RUN}` }
    const beta = { authorization: `Bearer beta-${RUN}` }
    const plain = { query: `stats savings ${RUN}`, documents: Array.from({ length: 5 }, (_, i) => passage(i, 'stats')) }
    const templated = { ...plain, template: 'recency' }
    const m1 = await rerank(plain, { vars, headers: acme })
    const h1 = await rerank(plain, { vars, headers: acme })
    const m2 = await rerank(templated, { vars, headers: beta })
    const h2 = await rerank(templated, { vars, headers: beta })
    for (const r of [m1, h1, m2, h2]) expect(r.status).toBe(200)
    expect(h1.json.usage.cached_prompt_tokens).toBe(m1.json.usage.prompt_tokens)
    expect(h2.json.usage.cached_prompt_tokens).toBe(m2.json.usage.prompt_tokens)
    const t1 = h1.json.usage.cached_prompt_tokens as number
    const t2 = h2.json.usage.cached_prompt_tokens as number

    const res = await callWorker('/v1/stats', undefined, { vars, headers: acme })
    expect(res.status).toBe(200)
    const s = (await res.json()) as { cache_savings: { prompt_tokens: number; gpu_ms: number | null; by_tenant: Record<string, unknown>; by_template: Record<string, unknown> } }
    expect(s.cache_savings.prompt_tokens).toBe(t1 + t2)
    expect(s.cache_savings.gpu_ms).toBeCloseTo(gpuMs(t1) + gpuMs(t2), 2)
    expect(s.cache_savings.by_tenant[`acme-${RUN}`]).toEqual({ rerank_calls: 2, prompt_tokens: t1, gpu_ms: gpuMs(t1) })
    expect(s.cache_savings.by_tenant[`beta-${RUN}`]).toEqual({ rerank_calls: 2, prompt_tokens: t2, gpu_ms: gpuMs(t2) })
    expect(s.cache_savings.by_template['(none)']).toEqual({ rerank_calls: 2, prompt_tokens: t1, gpu_ms: gpuMs(t1) })
    expect(s.cache_savings.by_template.recency).toEqual({ rerank_calls: 2, prompt_tokens: t2, gpu_ms: gpuMs(t2) })
  })
})
