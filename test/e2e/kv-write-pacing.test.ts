/**
 * The edge tier's writes through the real user path: `npm start` (wrangler dev, real local KV,
 * one request context per HTTP call) against a fake vLLM. Concurrent calls adding pairs to one
 * query must land in KV whole, in paced writes (KV takes one write per second per key), and no
 * call may wait on a promise another request settles: workerd would drop that call's `waitUntil`
 * work ("IoContext dropped queued cross-context actions"), which the in-process integration tests
 * (one context for every call) cannot see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeVllm, type FakeVllm } from '../fakes/fake-vllm'
import { serve, type Served } from './serve'

interface EdgeStore {
  reads: number
  writes: number
  write_failures: number
  writes_merged: number
}

describe('KV score writes through npm start', () => {
  let fake: FakeVllm
  let served: Served
  const nonce = `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`

  beforeAll(async () => {
    fake = await startFakeVllm({ port: 0 })
    served = await serve({ VLLM_URLS: `${fake.url}/i/${nonce}`, CACHE_MEMORY_BYTES: '0', LOG_REQUESTS: 'false' }, 120_000)
  }, 130_000)

  afterAll(async () => {
    await served?.stop()
    await fake?.close()
  })

  const edgeStore = async () => ((await (await fetch(`${served.url}/v1/stats`)).json()) as { edge_store: EdgeStore }).edge_store
  const rerank = async (query: string, documents: string[]) => {
    const r = await fetch(`${served.url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, documents }) })
    expect(r.status).toBe(200)
    await r.arrayBuffer()
    return r.headers.get('cache-status') ?? ''
  }

  it('ten concurrent calls adding pairs to one query: every pair in KV, each call written or merged, none refused or dropped', async () => {
    const query = `which rivers feed the delta ${nonce}`
    const sets = Array.from({ length: 10 }, (_, c) => Array.from({ length: 30 }, (_, i) => `call ${c} passage ${i} about rivers (${nonce})`))
    const before = await edgeStore()
    const statuses = await Promise.all(sets.map((documents) => rerank(query, documents)))
    for (const s of statuses) expect(s).toMatch(/forwarded=30 edge-reads=1 edge-writes=1"$/u)
    // Writes finish after the responses: wait until every call's write is accounted for.
    let after = await edgeStore()
    for (let i = 0; i < 100 && after.writes - before.writes + (after.writes_merged - before.writes_merged) < 10; i++) {
      await new Promise((r) => setTimeout(r, 100))
      after = await edgeStore()
    }
    expect(after.writes - before.writes + (after.writes_merged - before.writes_merged)).toBe(10)
    expect(after.writes_merged - before.writes_merged).toBeGreaterThan(0) // the burst was paced, not sent ten times
    expect(after.write_failures - before.write_failures).toBe(0)
    // Every pair of the ten calls is served from KV alone (the memory tier is off).
    const all = await rerank(query, sets.flat())
    expect(all).toMatch(/^rerank-edge; hit; detail="hits=300 misses=0 memory=0 edge=300 /u)
    expect(served.output()).not.toMatch(/cross-context/u)
  }, 60_000)
})
