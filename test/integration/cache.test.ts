/**
 * The per-pair score cache through the real worker in workerd, with the real local KV binding,
 * against a fake vLLM that records every pair it is sent. Each test uses its own query (KV and
 * the isolate's memory persist across the tests of this file).
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { decodeBucket } from '../../src/cache/score-bucket'
import { callWorker, fakeVllm, rerank, type CallOptions, type FakeInstance } from './helpers'

let seq = 0
const uniqueQuery = (label: string) => `${label} q${Date.now().toString(36)}${seq++}`
const docs = (n: number, tag = 'doc') => Array.from({ length: n }, (_, i) => `${tag} number ${i} about capitals and rivers`)

/** Every document text the fake received, over all its requests. */
async function forwarded(fake: FakeInstance): Promise<string[]> {
  return (await fake.requests()).flatMap((r) => r.parsed?.documents ?? [])
}

function cacheDetail(headers: Headers): Record<string, number> {
  const m = /detail="([^"]*)"/u.exec(headers.get('cache-status') ?? '')
  return Object.fromEntries((m?.[1] ?? '').split(' ').filter(Boolean).map((kv) => {
    const [k, v] = kv.split('=')
    return [k as string, Number(v)]
  }))
}

const scoresByIndex = (json: { results: Array<{ index: number; relevance_score: number }> }) =>
  Object.fromEntries(json.results.map((r) => [r.index, r.relevance_score]))

describe('per-pair score cache', () => {
  it('repeating a call forwards 0 pairs and reports a hit everywhere', async () => {
    const fake = fakeVllm('cache-repeat')
    const vars = { VLLM_URLS: fake.url }
    const body = { query: uniqueQuery('repeat'), documents: docs(20) }
    const first = await rerank(body, { vars })
    expect(first.status).toBe(200)
    expect(await forwarded(fake)).toHaveLength(20)
    expect(first.json.meta.cache).toEqual({ hits: 0, misses: 20 })
    expect(first.headers.get('cache-status')).toMatch(/^rerank-edge; fwd=miss; stored; detail="hits=0 misses=20 /u)

    const second = await rerank(body, { vars })
    expect(second.status).toBe(200)
    expect(await forwarded(fake)).toHaveLength(20) // nothing more was sent
    expect(scoresByIndex(second.json)).toEqual(scoresByIndex(first.json))
    expect(second.json.meta.cache).toEqual({ hits: 20, misses: 0 })
    expect(second.json.usage).toMatchObject({ pairs: 20, pairs_scored: 0, pairs_cached: 20, search_units: 0 })
    expect(second.headers.get('cache-status')).toMatch(/^rerank-edge; hit; detail="hits=20 misses=0 /u)
    expect(second.headers.get('server-timing')).toMatch(/cache;dur=[\d.]+, backend;dur=0\.00/u)
  })

  it('serves a repeat from KV alone (memory tier off): one read and one write per call, one value per scope', async () => {
    const fake = fakeVllm('cache-kv')
    const vars = { VLLM_URLS: fake.url, CACHE_MEMORY_BYTES: '0' }
    const body = { query: uniqueQuery('kv'), documents: docs(150) }
    const kv = (env as unknown as { SCORE_CACHE: KVNamespace }).SCORE_CACHE
    const before = new Set((await kv.list({ prefix: 'b1:' })).keys.map((k) => k.name))
    const first = await rerank(body, { vars })
    expect(cacheDetail(first.headers)).toMatchObject({ 'edge-reads': 1, 'edge-writes': 1, forwarded: 150 })
    const second = await rerank(body, { vars })
    expect(await forwarded(fake)).toHaveLength(150)
    expect(second.json.meta.cache).toEqual({ hits: 150, misses: 0 })
    expect(cacheDetail(second.headers)).toMatchObject({ memory: 0, edge: 150, 'edge-reads': 1, 'edge-writes': 0 })
    expect(scoresByIndex(second.json)).toEqual(scoresByIndex(first.json))
    // One new KV key for the scope; its records are the exact scores with the prompt tokens each
    // pair cost (its share of the batch's usage), as the real binding stored them.
    const added = (await kv.list({ prefix: 'b1:' })).keys.map((k) => k.name).filter((k) => !before.has(k))
    expect(added).toHaveLength(1)
    const raw = await kv.get(added[0] as string, 'arrayBuffer')
    const { bucket, corrupt } = decodeBucket(new Uint8Array(raw ?? new ArrayBuffer(0)), Math.floor(Date.now() / 1000))
    expect([bucket.size, corrupt]).toEqual([150, 0])
    const dv = new DataView(bucket.records.buffer, bucket.records.byteOffset)
    const stored = Array.from({ length: bucket.size }, (_, i) => [dv.getFloat64(i * 32 + 16, true), dv.getUint32(i * 32 + 28, true) & 0x3fff_ffff])
    expect(stored.map(([score]) => score).sort()).toEqual(Object.values(scoresByIndex(first.json)).sort())
    for (const [, tokens] of stored) expect(tokens).toBeGreaterThan(0)
  })

  it('three concurrent calls adding different pairs for one query all land in KV, in two writes a second apart', async () => {
    const fake = fakeVllm('cache-kv-concurrent')
    const vars = { VLLM_URLS: fake.url, CACHE_MEMORY_BYTES: '0' }
    const query = uniqueQuery('concurrent')
    const sets = [docs(30, 'first'), docs(30, 'second'), docs(30, 'third')]
    type EdgeStore = { writes: number; write_failures: number; writes_merged: number }
    const edgeStore = async () => ((await (await callWorker('/v1/stats', undefined, {})).json()) as { edge_store: EdgeStore }).edge_store
    const before = await edgeStore()
    // All three read the scope before any writes it; each then merges into what it read. KV (as
    // strict as Cloudflare's here: one write per second per key) would refuse the second and
    // third writes; the isolate holds them back and sends them merged a second after the first.
    const replies = await Promise.all(sets.map((documents) => rerank({ query, documents }, { vars })))
    expect(replies.map((r) => cacheDetail(r.headers).forwarded)).toEqual([30, 30, 30])
    const after = await edgeStore()
    expect([after.writes - before.writes, after.write_failures - before.write_failures, after.writes_merged - before.writes_merged]).toEqual([2, 0, 1])
    const all = await rerank({ query, documents: sets.flat().reverse() }, { vars })
    expect(cacheDetail(all.headers)).toMatchObject({ memory: 0, edge: 90, forwarded: 0, 'edge-reads': 1 })
    expect(await forwarded(fake)).toHaveLength(90)
  })

  it('a call with k new candidates forwards exactly those k, merged back in order', async () => {
    const fake = fakeVllm('cache-partial')
    const vars = { VLLM_URLS: fake.url }
    const query = uniqueQuery('partial')
    const old = docs(70, 'old')
    await rerank({ query, documents: old }, { vars })
    const fresh = docs(30, 'new')
    const mixed = Array.from({ length: 100 }, (_, i) => (i % 10 < 7 ? old[Math.floor(i / 10) * 7 + (i % 10)] : fresh[Math.floor(i / 10) * 3 + (i % 10) - 7]) as string)
    const r = await rerank({ query, documents: mixed }, { vars })
    const reqs = await fake.requests()
    expect(reqs).toHaveLength(2)
    expect(reqs[1]?.parsed?.documents).toEqual(mixed.filter((d) => d.startsWith('new')))
    expect(r.json.meta.cache).toEqual({ hits: 70, misses: 30 })
    expect(r.json.usage).toMatchObject({ pairs_scored: 30, pairs_cached: 70 })
    expect(r.headers.get('cache-status')).toMatch(/^rerank-edge; fwd=partial; stored; detail="hits=70 misses=30 /u)
    // Each result's score is the one the fake computed for that exact document.
    const computed = new Map<string, number>()
    for (const q of reqs) q.parsed?.documents.forEach((d, i) => computed.set(d, q.scores?.[i] as number))
    for (const res of r.json.results) expect(res.relevance_score).toBe(computed.get(mixed[res.index] as string))
  })

  it('a new instruction, a new model revision or a new document budget forwards every pair again', async () => {
    const fake = fakeVllm('cache-instr')
    const vars = { VLLM_URLS: fake.url }
    const body = { query: uniqueQuery('instr'), documents: docs(6) }
    await rerank(body, { vars })
    await rerank({ ...body, instruction: 'Prefer documents about rivers' }, { vars })
    expect(await forwarded(fake)).toHaveLength(12)
    await rerank(body, { vars: { ...vars, MODEL_REVISION: '2' } })
    expect(await forwarded(fake)).toHaveLength(18)
    // A tighter per-document budget changes what the model reads, hence the key.
    await rerank({ ...body, max_tokens_per_doc: 5 }, { vars })
    const sent = await forwarded(fake)
    expect(sent).toHaveLength(24)
    // 5 Qwen3 tokens: "doc", " number", " ", "0" (every digit is a token), " about".
    expect(sent.slice(18)).toEqual(body.documents.map((d) => d.split(' ').slice(0, 4).join(' ')))
    // And the original call still hits.
    await rerank(body, { vars })
    expect(await forwarded(fake)).toHaveLength(24)
  })

  it('candidates that render to the same model input are one pair, scored once', async () => {
    const fake = fakeVllm('cache-dedupe')
    const vars = { VLLM_URLS: fake.url }
    // Cut to 3 Qwen3 tokens ("doc", " number", " "), all six documents read "doc number ".
    const r = await rerank({ query: uniqueQuery('dedupe'), documents: docs(6), max_tokens_per_doc: 3 }, { vars })
    expect(await forwarded(fake)).toEqual(['doc number '])
    expect(new Set(r.json.results.map((x) => x.relevance_score)).size).toBe(1)
  })

  it('request shape, field order, formatting and route never change a key', async () => {
    const fake = fakeVllm('cache-shape')
    const vars = { VLLM_URLS: fake.url }
    const query = uniqueQuery('shape')
    const d = docs(4)
    await rerank({ query, documents: d }, { vars })
    const reordered = `{ "top_n": 2, "documents": ${JSON.stringify(d.map((text, i) => ({ id: `id-${i}`, text })))},\n  "return_documents": false, "model": "rerank-v3.5", "query": ${JSON.stringify(query)} }`
    const r = await rerank(undefined, { vars, rawBody: reordered, path: '/v2/rerank' })
    expect(r.status).toBe(200)
    expect(r.json.meta.cache).toEqual({ hits: 4, misses: 0 })
    const jina = await rerank({ model: 'jina-reranker-v2', documents: d.map((text) => ({ text })), query, top_n: 4 }, { vars, path: '/rerank' })
    expect(jina.json.meta.cache).toEqual({ hits: 4, misses: 0 })
    expect(await forwarded(fake)).toHaveLength(4)
  })

  it('a different namespace (X-Cache-Namespace) misses; the same one hits', async () => {
    const fake = fakeVllm('cache-ns')
    const vars = { VLLM_URLS: fake.url }
    const body = { query: uniqueQuery('ns'), documents: docs(5) }
    await rerank(body, { vars })
    const other = await rerank(body, { vars, headers: { 'x-cache-namespace': 'team-b' } })
    expect(other.json.meta.cache).toEqual({ hits: 0, misses: 5 })
    const again = await rerank(body, { vars, headers: { 'x-cache-namespace': 'team-b' } })
    expect(again.json.meta.cache).toEqual({ hits: 5, misses: 0 })
    expect(await forwarded(fake)).toHaveLength(10)
  })

  it('ten concurrent identical calls forward each pair once', async () => {
    const fake = fakeVllm('cache-concurrent')
    await fake.control({ delayMs: 100 })
    const vars = { VLLM_URLS: fake.url }
    const body = { query: uniqueQuery('concurrent'), documents: docs(12) }
    const results = await Promise.all(Array.from({ length: 10 }, () => rerank(body, { vars })))
    for (const r of results) expect(r.status).toBe(200)
    const sent = await forwarded(fake)
    expect(sent).toHaveLength(12)
    expect(new Set(sent).size).toBe(12)
    const first = scoresByIndex(results[0]?.json ?? { results: [] })
    for (const r of results) expect(scoresByIndex(r.json)).toEqual(first)
    const collapsed = results.filter((r) => /; collapsed;/u.test(r.headers.get('cache-status') ?? ''))
    expect(collapsed.length + results.filter((r) => r.json.meta.cache.hits === 12).length).toBe(9)
  })

  it('ten concurrent calls against a failing backend: one forward, every caller gets the same clean 502, nothing cached', async () => {
    const fake = fakeVllm('cache-concurrent-fail')
    await fake.control({ mode: 'error500', delayMs: 100, times: 1 })
    // One attempt: a 500 is otherwise retried (upstream-retry.ts) and the retry would answer.
    const vars = { VLLM_URLS: fake.url, UPSTREAM_MAX_ATTEMPTS: '1' }
    const body = { query: uniqueQuery('concurrent-fail'), documents: docs(5) }
    const results = await Promise.all(Array.from({ length: 10 }, () => rerank(body, { vars })))
    expect((await fake.requests()).length).toBe(1)
    for (const r of results) {
      expect(r.status).toBe(502)
      expect(r.json.error.code).toBe('backend_error')
      expect(r.json.error.message).toMatch(/backend answered 500/u)
    }
    const next = await rerank(body, { vars })
    expect(next.status).toBe(200)
    expect(next.json.meta.cache).toEqual({ hits: 0, misses: 5 })
  })

  it('no-cache forwards every pair and overwrites what was cached', async () => {
    const fake = fakeVllm('cache-nocache')
    const vars = { VLLM_URLS: fake.url, CACHE_MEMORY_BYTES: '0' } // so the overwrite must reach KV
    const body = { query: uniqueQuery('nocache'), documents: docs(4) }
    await fake.control({ mode: 'constant' }) // a broken head: every score 0.5
    await rerank(body, { vars })
    await fake.control({ mode: 'ok' })
    const stale = await rerank(body, { vars })
    expect(stale.json.results.map((r) => r.relevance_score)).toEqual([0.5, 0.5, 0.5, 0.5])
    const fresh = await rerank(body, { vars, headers: { 'cache-control': 'no-cache' } })
    expect(await forwarded(fake)).toHaveLength(8)
    expect(fresh.headers.get('cache-status')).toMatch(/^rerank-edge; fwd=request; stored; /u)
    expect(fresh.json.results.map((r) => r.relevance_score)).not.toContain(0.5)
    const after = await rerank(body, { vars })
    expect(await forwarded(fake)).toHaveLength(8)
    expect(scoresByIndex(after.json)).toEqual(scoresByIndex(fresh.json))
  })

  it('no-store forwards every pair and stores nothing', async () => {
    const fake = fakeVllm('cache-nostore')
    const vars = { VLLM_URLS: fake.url }
    const body = { query: uniqueQuery('nostore'), documents: docs(5) }
    const r = await rerank(body, { vars, headers: { 'cache-control': 'no-store' } })
    expect(r.headers.get('cache-status')).toBe('rerank-edge; fwd=bypass; detail="no-store"')
    const next = await rerank(body, { vars })
    expect(next.json.meta.cache).toEqual({ hits: 0, misses: 5 })
    expect(await forwarded(fake)).toHaveLength(10)
  })

  it('with no memory room and no edge store, nothing is stored and Cache-Status does not say stored', async () => {
    const fake = fakeVllm('cache-nowhere')
    const options = { vars: { VLLM_URLS: fake.url, CACHE_MEMORY_BYTES: '0', SCORE_CACHE: undefined } } as unknown as CallOptions
    const body = { query: uniqueQuery('nowhere'), documents: docs(2) }
    const first = await rerank(body, options)
    expect(first.status).toBe(200)
    expect(first.headers.get('cache-status')).toMatch(/^rerank-edge; fwd=miss; detail="hits=0 misses=2 /u)
    const second = await rerank(body, options)
    expect(second.json.meta.cache).toEqual({ hits: 0, misses: 2 })
    expect(await forwarded(fake)).toHaveLength(4)
  })

  it('CACHE_ENABLED=false bypasses the cache', async () => {
    const fake = fakeVllm('cache-disabled')
    const vars = { VLLM_URLS: fake.url, CACHE_ENABLED: 'false' }
    const body = { query: uniqueQuery('disabled'), documents: docs(3) }
    await rerank(body, { vars })
    const r = await rerank(body, { vars })
    expect(r.headers.get('cache-status')).toBe('rerank-edge; fwd=bypass; detail="disabled"')
    expect(await forwarded(fake)).toHaveLength(6)
  })

  for (const mode of ['garbage', 'nan', 'proxy_nan', 'error500', 'out_of_range', 'wrong_count', 'unknown_index', 'duplicate_index', 'html']) {
    it(`a ${mode} backend reply caches nothing: the next good call forwards every pair`, async () => {
      const fake = fakeVllm(`cache-${mode}`)
      // One attempt: a bad reply is otherwise retried (upstream-retry.ts) and the retry would answer.
      const vars = { VLLM_URLS: fake.url, CACHE_MEMORY_BYTES: '16777216', UPSTREAM_MAX_ATTEMPTS: '1' }
      const body = { query: uniqueQuery(mode), documents: docs(4) }
      await fake.control({ mode, times: 1 })
      const bad = await rerank(body, { vars })
      expect(bad.status).toBe(502)
      const good = await rerank(body, { vars })
      expect(good.status).toBe(200)
      expect(good.json.meta.cache).toEqual({ hits: 0, misses: 4 })
      expect((await fake.requests()).at(-1)?.parsed?.documents).toHaveLength(4)
    })
  }

  it('the lexical scorer bypasses the cache (its scores depend on the candidate set)', async () => {
    const body = { query: uniqueQuery('lexical capital'), documents: ['Beijing is the capital of China.', 'Paris is in France.'] }
    const first = await rerank(body)
    const second = await rerank(body)
    expect(second.json.meta.backend).toBe('lexical')
    expect(second.headers.get('cache-status')).toBe('rerank-edge; fwd=bypass; detail="lexical"')
    expect(second.json.meta.cache).toEqual({ hits: 0, misses: 2 })
    expect(first.json.usage.pairs_cached).toBe(0)
  })

  it('GET /v1/stats counts the edge store\'s writes and the ones it refused (known only after the response)', async () => {
    const fake = fakeVllm('cache-edge-stats')
    type EdgeStore = { reads: number; read_failures: number; writes: number; write_failures: number; writes_merged: number; corrupt_values: number }
    const edgeStore = async () => ((await (await callWorker('/v1/stats', undefined, {})).json()) as { edge_store: EdgeStore }).edge_store
    const before = await edgeStore()
    await rerank({ query: uniqueQuery('edge-stats'), documents: docs(3) }, { vars: { VLLM_URLS: fake.url } })
    // KV refuses the write (one write per second per key, or the free plan's daily writes spent).
    const refusing = { get: async () => null, put: () => Promise.reject(new Error('KV PUT failed: 429 Too Many Requests')) }
    const r = await rerank({ query: uniqueQuery('edge-stats-429'), documents: docs(3) }, { vars: { VLLM_URLS: fake.url, SCORE_CACHE: refusing } } as unknown as CallOptions)
    expect(r.status).toBe(200)
    const after = await edgeStore()
    expect(after.writes - before.writes).toBe(2)
    expect(after.write_failures - before.write_failures).toBe(1)
    expect(after.reads - before.reads).toBe(2)
    expect(after.read_failures - before.read_failures).toBe(0)
  })

  it('a store that throws on every operation still serves, and says so', async () => {
    const fake = fakeVllm('cache-broken-store')
    const broken = {
      get: () => {
        throw new Error('KV GET failed: 500 Internal Server Error')
      },
      put: () => Promise.reject(new Error('KV PUT failed: 429 Too Many Requests')),
    }
    const options = { vars: { VLLM_URLS: fake.url, CACHE_MEMORY_BYTES: '0', SCORE_CACHE: broken } } as unknown as CallOptions
    const body = { query: uniqueQuery('broken-store'), documents: docs(3) }
    const r1 = await rerank(body, options)
    expect(r1.status).toBe(200)
    expect(r1.json.results).toHaveLength(3)
    expect(r1.headers.get('cache-status')).toMatch(/edge-failures=1"$/u)
    const r2 = await rerank(body, options)
    expect(r2.status).toBe(200)
    expect(await forwarded(fake)).toHaveLength(6)
  })
})
