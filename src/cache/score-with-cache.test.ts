import { describe, expect, it, vi } from 'vitest'
import { BackendError } from '../backends/backend-error'
import type { BackendKind, PairScorer, ScoreRequest, ScoreResult } from '../backends/types'
import { ByteBoundedLru } from './memory-lru'
import { BUCKET_RECORD_BYTES, decodeBucket, emptyBucket, encodeBucket, lookupBucket, mergeBucket, PAIR_ID_BYTES } from './score-bucket'
import { emptyStats, type ScoreStore } from './score-store'
import type { StoredScore } from './score-value'
import { scoreWithCache, type CacheMode, type ScoreWithCacheDeps } from './score-with-cache'
import { SingleFlight } from './single-flight'

const CONFIG = { CACHE_ENABLED: true, CACHE_TTL_SECONDS: 3600, CACHE_MEMORY_BYTES: 1 << 20, MODEL_REVISION: '1' }
const NOW = 1_750_000_000_000

/** A deterministic "model" so that every test can compute the score it expects. */
const modelScore = (instruction: string, query: string, doc: string) => {
  let h = 7
  for (const c of `${instruction}|${query}|${doc}`) h = (h * 31 + c.charCodeAt(0)) % 1_000_003
  return h / 1_000_003
}

interface FakeScorer extends PairScorer {
  calls: ScoreRequest[]
  /** Replace the next answers. */
  next: Array<(r: ScoreRequest) => Promise<ScoreResult>>
}

function fakeScorer(kind: BackendKind = 'vllm'): FakeScorer {
  const s: FakeScorer = {
    kind,
    model: 'qwen3-reranker-8b',
    promptFormat: 'qwen3-reranker/v1',
    defaultInstruction: 'instr',
    async prepare() {
      throw new Error('not used by the cache')
    },
    calls: [],
    next: [],
    async score(r) {
      s.calls.push({ ...r, documents: [...r.documents] })
      const custom = s.next.shift()
      if (custom) return custom(r)
      return { scores: r.documents.map((d) => modelScore(r.instruction, r.query, d)), promptTokens: 10 * r.documents.length }
    },
  }
  return s
}

/** An in-memory store that keeps what KV would: the encoded value of each scope (`score-bucket`). */
interface MemStore extends ScoreStore {
  values: Map<string, Uint8Array>
  /** Every live stored pair, decoded from the values (scope key + pair id → value). */
  readonly data: Map<string, StoredScore>
  /** Rewrites every stored pair as if written before token costs were kept. */
  forgetTokens(): void
  failReads?: boolean
  failWrites?: boolean
  hangReads?: boolean
}

function memStore(): MemStore {
  const st: MemStore = {
    name: 'mem',
    stats: emptyStats(),
    values: new Map(),
    get data() {
      const out = new Map<string, StoredScore>()
      for (const [key, bytes] of st.values) {
        const { bucket } = decodeBucket(bytes, Math.floor(NOW / 1000))
        for (let i = 0; i < bucket.size; i++) {
          const id = bucket.records.subarray(i * BUCKET_RECORD_BYTES, i * BUCKET_RECORD_BYTES + PAIR_ID_BYTES)
          out.set(`${key}/${Buffer.from(id).toString('hex')}`, lookupBucket(bucket, [id])[0] as StoredScore)
        }
      }
      return out
    },
    forgetTokens() {
      for (const [key, bytes] of st.values) {
        const { bucket } = decodeBucket(bytes, Math.floor(NOW / 1000))
        const ids = Array.from({ length: bucket.size }, (_, i) => bucket.records.slice(i * BUCKET_RECORD_BYTES, i * BUCKET_RECORD_BYTES + PAIR_ID_BYTES))
        const plain = lookupBucket(bucket, ids).map((v, i) => [ids[i] as Uint8Array, { score: (v as StoredScore).score }] as const)
        st.values.set(key, encodeBucket(mergeBucket(emptyBucket(), plain, Math.floor(NOW / 1000) + CONFIG.CACHE_TTL_SECONDS)))
      }
    },
    async readBucket(key, nowSec) {
      st.stats.readOps++
      if (st.hangReads) return new Promise<undefined>(() => undefined)
      if (st.failReads) {
        st.stats.readFailures++
        return undefined
      }
      const { bucket, corrupt } = decodeBucket(st.values.get(key) ?? new Uint8Array(0), nowSec)
      st.stats.corrupt += corrupt
      return bucket
    },
    async writeBucket(key, bucket) {
      st.stats.writeOps++
      if (st.failWrites) {
        st.stats.writeFailures++
        return
      }
      st.values.set(key, encodeBucket(bucket))
    },
  }
  return st
}

interface Harness {
  scorer: FakeScorer
  store: MemStore
  memory: ByteBoundedLru
  flights: SingleFlight
  pending: Promise<unknown>[]
  call(docs: string[], opts?: { query?: string; instruction?: string; mode?: CacheMode; namespace?: string; deadline?: number; now?: number; budget?: string }): ReturnType<typeof scoreWithCache>
  settle(): Promise<void>
}

function harness(overrides: Partial<ScoreWithCacheDeps> = {}): Harness {
  const h: Harness = {
    scorer: fakeScorer(),
    store: memStore(),
    memory: new ByteBoundedLru(CONFIG.CACHE_MEMORY_BYTES),
    flights: new SingleFlight(),
    pending: [],
    call(docs, o = {}) {
      return scoreWithCache(
        {
          scorer: h.scorer,
          mode: o.mode ?? 'default',
          namespace: o.namespace ?? 'public',
          waitUntil: (p) => h.pending.push(p),
          config: CONFIG,
          store: h.store,
          now: o.now ?? NOW,
          memory: h.memory,
          flights: h.flights,
          ...overrides,
        },
        {
          instruction: o.instruction ?? 'instr',
          query: o.query ?? 'q',
          documents: docs,
          ...(o.budget === undefined ? {} : { budget: { key: o.budget, maxModelLen: 8192 } }),
        },
        { deadline: o.deadline ?? Date.now() + 5000 }
      )
    },
    async settle() {
      await Promise.all(h.pending.splice(0))
    },
  }
  return h
}

const docs = (n: number, tag = 'd') => Array.from({ length: n }, (_, i) => `${tag}-${i}`)

describe('scoreWithCache', () => {
  it('forwards every pair once, then none: scores equal the model\'s, in request order', async () => {
    const h = harness()
    const d = docs(5)
    const first = await h.call(d)
    await h.settle()
    expect(h.scorer.calls).toHaveLength(1)
    expect(h.scorer.calls[0]?.documents).toEqual(d)
    expect(first.scores).toEqual(d.map((x) => modelScore('instr', 'q', x)))
    expect([first.hits, first.misses]).toEqual([0, 5])
    expect(first.cacheStatus).toMatch(/^rerank-edge; fwd=miss; stored; detail="hits=0 misses=5 /u)
    expect(h.store.data.size).toBe(5)

    const again = await h.call(d)
    expect(h.scorer.calls).toHaveLength(1)
    expect(again.scores).toEqual(first.scores)
    expect([again.hits, again.misses]).toEqual([5, 0])
    expect(again.cacheStatus).toMatch(/^rerank-edge; hit; detail="hits=5 misses=0 memory=5 edge=0 /u)
    expect(again.promptTokens).toBeUndefined()
  })

  it('sends exactly the missing pairs as one request and merges them back in place', async () => {
    const h = harness()
    await h.call(docs(70, 'old'))
    // 70 known and 30 new candidates, interleaved (every 10: 7 known, 3 new), known ones reordered.
    const known = docs(70, 'old').reverse()
    const fresh = docs(30, 'new')
    const candidates = Array.from({ length: 100 }, (_, i) => (i % 10 < 7 ? known.pop() : fresh.shift()) as string)
    const r = await h.call(candidates)
    expect(h.scorer.calls).toHaveLength(2)
    expect(h.scorer.calls[1]?.documents).toEqual(candidates.filter((c) => c.startsWith('new')))
    expect(r.scores).toEqual(candidates.map((c) => modelScore('instr', 'q', c)))
    expect([r.hits, r.misses]).toEqual([70, 30])
    expect(r.cacheStatus).toMatch(/^rerank-edge; fwd=partial; stored; detail="hits=70 misses=30 memory=70 edge=0 collapsed=0 forwarded=30 /u)
    expect(r.promptTokens).toBe(300)
  })

  it('reads the edge store in one call for what memory lacks, and warms memory from it', async () => {
    const h = harness()
    await h.call(docs(10))
    await h.settle()
    h.memory.clear()
    const r = await h.call(docs(10))
    expect(h.scorer.calls).toHaveLength(1)
    expect(r.counts).toMatchObject({ memory: 0, edge: 10, edgeReads: 1, forwarded: 0 })
    const r2 = await h.call(docs(10))
    expect(r2.counts).toMatchObject({ memory: 10, edge: 0, edgeReads: 0 })
  })

  it('scores a document repeated within one call once', async () => {
    const h = harness()
    const r = await h.call(['x', 'y', 'x', 'x'])
    expect(h.scorer.calls[0]?.documents).toEqual(['x', 'y'])
    expect(r.scores[0]).toBe(r.scores[2])
    expect(r.scores[3]).toBe(modelScore('instr', 'q', 'x'))
    expect(r.counts.forwarded).toBe(2)
  })

  it('keys on instruction, query and namespace: any change misses', async () => {
    const h = harness()
    await h.call(docs(3))
    await h.call(docs(3), { instruction: 'other' })
    await h.call(docs(3), { query: 'other' })
    await h.call(docs(3), { namespace: 'tenant-b' })
    expect(h.scorer.calls.map((c) => c.documents.length)).toEqual([3, 3, 3, 3])
  })

  it('coalesces concurrent calls: ten identical calls send each pair once', async () => {
    const h = harness()
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    h.scorer.next.push(async (r) => {
      await gate
      return { scores: r.documents.map((d) => modelScore(r.instruction, r.query, d)) }
    })
    // Count joins, and hold the backend until the nine other calls have joined every pair.
    let joins = 0
    const join = h.flights.join.bind(h.flights)
    h.flights.join = (scope, doc, now) => {
      const p = join(scope, doc, now)
      if (p) joins++
      return p
    }
    const calls = Array.from({ length: 10 }, () => h.call(docs(8)))
    for (let i = 0; i < 500 && joins < 9 * 8; i++) await new Promise((r) => setTimeout(r, 2))
    release()
    const results = await Promise.all(calls)
    expect(h.scorer.calls).toHaveLength(1)
    for (const r of results) expect(r.scores).toEqual(docs(8).map((d) => modelScore('instr', 'q', d)))
    expect(results.filter((r) => r.counts.forwarded === 8)).toHaveLength(1)
    expect(results.filter((r) => r.counts.collapsed === 8 && /; collapsed;/u.test(r.cacheStatus))).toHaveLength(9)
  })

  it('a failed shared call fails every waiter with the same BackendError and caches nothing', async () => {
    const h = harness()
    let fail!: () => void
    const gate = new Promise<void>((r) => (fail = r))
    const err = new BackendError({ kind: 'status', status: 500, message: 'backend answered 500: CUDA error' })
    h.scorer.next.push(async () => {
      await gate
      throw err
    })
    const calls = Array.from({ length: 4 }, () => h.call(docs(3)))
    await new Promise((r) => setTimeout(r, 10))
    fail()
    const settled = await Promise.allSettled(calls)
    for (const s of settled) expect(s.status === 'rejected' && s.reason).toBe(err)
    expect(h.scorer.calls).toHaveLength(1)
    await h.settle()
    expect(h.store.data.size).toBe(0)
    expect(h.memory.size).toBe(0)
    expect(h.flights.size).toBe(0)
    await h.call(docs(3))
    expect(h.scorer.calls).toHaveLength(2)
    expect(h.scorer.calls[1]?.documents).toHaveLength(3)
  })

  it('a waiter does not wait past its own deadline for another call\'s forward', async () => {
    // Injected clock and fake timers: the other call's backend never answers until released, so
    // the waiter can only settle through its own deadline, at exactly that (fake) time.
    vi.useFakeTimers({ now: NOW, toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const h = harness({ clock: () => Date.now() })
      let release!: () => void
      h.scorer.next.push(async (r) => {
        await new Promise<void>((res) => {
          release = res
        })
        return { scores: r.documents.map(() => 0.5) }
      })
      const slow = h.call(docs(2))
      await vi.advanceTimersByTimeAsync(0)
      expect(h.flights.size).toBe(2)
      const hurried = h.call(docs(2), { deadline: Date.now() + 50 })
      let outcome: unknown = 'pending'
      hurried.then(
        () => (outcome = 'resolved'),
        (e: unknown) => (outcome = e)
      )
      await vi.advanceTimersByTimeAsync(49)
      expect(outcome).toBe('pending')
      await vi.advanceTimersByTimeAsync(1)
      expect(outcome).toMatchObject({ fault: { kind: 'timeout' } })
      release()
      expect((await slow).scores).toEqual([0.5, 0.5])
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps a forward others may join alive past its own call (waitUntil), and adds nothing on a hit', async () => {
    const h = harness()
    let answer!: (r: { scores: number[] }) => void
    h.scorer.next.push(() => new Promise((ok) => (answer = ok)))
    const owner = h.call(docs(2))
    for (let i = 0; i < 50 && h.pending.length === 0; i++) await new Promise((ok) => setTimeout(ok, 0))
    // Registered while the backend is still working: a client that leaves cannot cancel it.
    expect(h.pending).toHaveLength(1)
    let settled = false
    void h.pending[0]?.then(() => (settled = true))
    await new Promise((ok) => setTimeout(ok, 0))
    expect(settled).toBe(false)
    answer({ scores: [0.25, 0.75] })
    await owner
    await h.settle()
    expect(settled).toBe(true)
    await h.call(docs(2))
    expect(h.pending).toHaveLength(0)
  })

  it('a forward that fails leaves no unhandled rejection in waitUntil', async () => {
    const h = harness()
    h.scorer.next.push(async () => {
      throw new BackendError({ kind: 'unreachable', message: 'down' })
    })
    await expect(h.call(docs(2))).rejects.toBeInstanceOf(BackendError)
    await expect(h.settle()).resolves.toBeUndefined()
  })

  it('does not join a forward whose owner was ended before settling (past its deadline): it forwards itself', async () => {
    const h = harness()
    // The owner's backend never answers and its call is gone (nothing will settle the flight).
    h.scorer.next.push(() => new Promise(() => undefined))
    void h.call(docs(2), { deadline: NOW - 10_000, now: NOW - 20_000 })
    for (let i = 0; i < 50 && h.flights.size === 0; i++) await new Promise((ok) => setTimeout(ok, 0))
    expect(h.flights.size).toBe(2)
    // A later call (its clock past the owner's deadline and grace) claims the pairs and scores them.
    const later = await h.call(docs(2), { now: NOW })
    expect(h.scorer.calls).toHaveLength(2)
    expect(later.counts).toMatchObject({ forwarded: 2, collapsed: 0 })
  })

  for (const [name, result] of [
    ['NaN', [0.5, Number.NaN]],
    ['out of range', [0.5, 1.7]],
    ['negative', [-0.01, 0.5]],
    ['Infinity', [0.5, Infinity]],
    ['too few scores', [0.5]],
  ] as const) {
    it(`rejects a reply with ${name} and caches nothing from it`, async () => {
      const h = harness()
      h.scorer.next.push(async () => ({ scores: [...result] }))
      await expect(h.call(['a', 'b'])).rejects.toBeInstanceOf(BackendError)
      await h.settle()
      expect(h.store.data.size + h.memory.size).toBe(0)
      await h.call(['a', 'b'])
      expect(h.scorer.calls[1]?.documents).toEqual(['a', 'b'])
    })
  }

  it('bypasses every tier for the lexical scorer', async () => {
    const h = harness()
    h.scorer = fakeScorer('lexical')
    const r1 = await h.call(docs(3))
    const r2 = await h.call(docs(3))
    await h.settle()
    expect(h.scorer.calls).toHaveLength(2)
    expect(r2.cacheStatus).toBe('rerank-edge; fwd=bypass; detail="lexical"')
    expect([r1.hits, r1.misses]).toEqual([0, 3])
    expect(h.store.stats.readOps + h.store.data.size + h.memory.size).toBe(0)
  })

  it('no-store neither reads nor writes', async () => {
    const h = harness()
    await h.call(docs(3))
    await h.settle()
    const reads = h.store.stats.readOps
    const r = await h.call([...docs(3), 'fresh'], { mode: 'no-store' })
    await h.settle()
    expect(h.scorer.calls[1]?.documents).toHaveLength(4)
    expect(r.cacheStatus).toBe('rerank-edge; fwd=bypass; detail="no-store"')
    expect(h.store.stats.readOps).toBe(reads)
    expect(h.store.data.size).toBe(3)
    expect(h.memory.size).toBe(3)
  })

  it('no-cache recomputes every pair and overwrites both tiers', async () => {
    const h = harness()
    h.scorer.next.push(async (r) => ({ scores: r.documents.map(() => 0.1) }))
    await h.call(docs(3))
    await h.settle()
    const reads = h.store.stats.readOps
    const r = await h.call(docs(3), { mode: 'no-cache' })
    await h.settle()
    expect(h.scorer.calls[1]?.documents).toEqual(docs(3))
    expect(r.cacheStatus).toMatch(/^rerank-edge; fwd=request; stored; /u)
    // Nothing read before the answer; after it, one read of the scope to merge into (not to serve).
    expect(h.store.stats.readOps).toBe(reads + 1)
    const want = docs(3).map((d) => modelScore('instr', 'q', d))
    expect([...h.store.data.values()].map((v) => v.score).sort()).toEqual([...want].sort())
    h.memory.clear()
    expect((await h.call(docs(3))).scores).toEqual(want)
  })

  it('is bypassed when CACHE_ENABLED is false', async () => {
    const h = harness({ config: { ...CONFIG, CACHE_ENABLED: false } })
    await h.call(docs(2))
    const r = await h.call(docs(2))
    expect(h.scorer.calls).toHaveLength(2)
    expect(r.cacheStatus).toBe('rerank-edge; fwd=bypass; detail="disabled"')
  })

  it('serves when the store throws on every read and write, and counts the failures', async () => {
    const h = harness()
    h.store.failReads = true
    h.store.failWrites = true
    const r = await h.call(docs(4))
    await h.settle()
    expect(r.scores).toEqual(docs(4).map((d) => modelScore('instr', 'q', d)))
    expect(r.counts.edgeFailures).toBe(1)
    expect(r.cacheStatus).toMatch(/edge-failures=1"$/u)
  })

  it('treats a hanging store read as a miss within its time budget (a quarter of the time left)', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const h = harness({ clock: () => Date.now() })
      h.store.hangReads = true
      let done: Awaited<ReturnType<typeof h.call>> | undefined
      void h.call(docs(2), { deadline: Date.now() + 200 }).then((r) => (done = r))
      await vi.advanceTimersByTimeAsync(49)
      expect(done).toBeUndefined()
      expect(h.scorer.calls).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1)
      expect(done?.counts.forwarded).toBe(2)
      expect(done?.counts.edgeFailures).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('expires memory entries after CACHE_TTL_SECONDS', async () => {
    const h = harness({ store: null })
    await h.call(docs(2))
    await h.call(docs(2), { now: NOW + CONFIG.CACHE_TTL_SECONDS * 1000 - 1 })
    expect(h.scorer.calls).toHaveLength(1)
    await h.call(docs(2), { now: NOW + CONFIG.CACHE_TTL_SECONDS * 1000 })
    expect(h.scorer.calls).toHaveLength(2)
  })

  it('costs one edge read and one write per call whatever its size, and merges what overlapping calls scored', async () => {
    const h = harness()
    const first = await h.call(docs(1000))
    await h.settle()
    expect([first.counts.edgeReads, first.counts.edgeWrites]).toEqual([1, 1])
    expect([h.store.stats.readOps, h.store.stats.writeOps]).toEqual([1, 1])
    expect(h.store.values.size).toBe(1)
    expect(h.store.data.size).toBe(1000)
    h.memory.clear()
    // Half the candidates are new: the other half come from the edge, and the new ones join them.
    const shifted = docs(1500).slice(500)
    const second = await h.call(shifted)
    await h.settle()
    expect(second.counts.edge).toBe(500)
    expect(h.scorer.calls.at(-1)?.documents).toEqual(shifted.slice(500))
    expect(second.scores).toEqual(shifted.map((d) => modelScore('instr', 'q', d)))
    expect([h.store.stats.readOps, h.store.stats.writeOps]).toEqual([2, 2])
    expect(h.store.data.size).toBe(1500)
    h.memory.clear()
    expect((await h.call(docs(1500))).counts.edge).toBe(1500)
  })

  it('keeps one value per scope: another query or tenant reads and writes its own', async () => {
    const h = harness()
    await h.call(['a', 'b'])
    await h.call(['a', 'b'], { query: 'other' })
    await h.call(['a', 'b'], { namespace: 'tenant-2' })
    await h.settle()
    expect(h.store.values.size).toBe(3)
    expect([...h.store.values.keys()].every((k) => /^b1:[0-9a-f]{64}$/u.test(k))).toBe(true)
    expect(h.store.data.size).toBe(6)
  })

  it('never overwrites a scope it could not read (that would drop the pairs others stored)', async () => {
    const h = harness()
    await h.call(docs(3))
    await h.settle()
    h.memory.clear()
    h.store.failReads = true
    const r = await h.call(docs(5, 'fresh'))
    await h.settle()
    expect(r.counts.forwarded).toBe(5)
    expect(h.store.stats.writeOps).toBe(1)
    h.store.failReads = false
    expect(h.store.data.size).toBe(3)
    expect((await h.call(docs(3))).counts.edge).toBe(3)
  })

  it('keeps each pair\'s prompt tokens: a repeat call saves exactly what the miss call reported, per tier', async () => {
    const h = harness()
    const first = await h.call(['a', 'a', 'bb', 'a much longer document'])
    await h.settle()
    // The fake reports 10 tokens per pair it received: the three distinct documents.
    expect(first.promptTokens).toBe(30)
    expect(first.cachedPromptTokens).toBe(0)
    const fromMemory = await h.call(['a', 'bb', 'a much longer document', 'a'])
    expect(fromMemory.hits).toBe(4)
    expect(fromMemory.cachedPromptTokens).toBe(first.promptTokens)
    h.memory.clear()
    const fromEdge = await h.call(['a much longer document', 'bb', 'a'])
    expect(fromEdge.counts.edge).toBe(3)
    expect(fromEdge.cachedPromptTokens).toBe(first.promptTokens)
    expect(fromEdge.cachedPairsUnknownTokens).toBe(0)
    // Apportioned by prompt bytes: the longest document's share is the largest.
    const stored = [...h.store.data.values()].map((v) => v.tokens ?? 0)
    expect(stored.reduce((a, b) => a + b, 0)).toBe(30)
  })

  it('remembers which documents the scorer cut, so a hit from either tier reports them too', async () => {
    const h = harness()
    h.scorer.next.push(async (r) => ({ scores: r.documents.map(() => 0.5), promptTokens: 30, truncated: [1] }))
    const first = await h.call(['p', 'long', 'r', 'long'], { budget: '1024/-' })
    await h.settle()
    expect(first.truncated).toBe(2) // the repeated document counts twice, as it is answered twice
    const fromMemory = await h.call(['long', 'p'], { budget: '1024/-' })
    expect(fromMemory.hits).toBe(2)
    expect(fromMemory.truncated).toBe(1)
    h.memory.clear()
    const fromEdge = await h.call(['r', 'long'], { budget: '1024/-' })
    expect(fromEdge.counts.edge).toBe(2)
    expect(fromEdge.truncated).toBe(1)
  })

  it('keys on the scorer\'s budget: documents are keyed before they are cut, so another budget misses', async () => {
    const h = harness()
    await h.call(['p', 'q'], { budget: '1024/-' })
    await h.settle()
    const same = await h.call(['p', 'q'], { budget: '1024/-' })
    expect(same.hits).toBe(2)
    for (const budget of ['8192/-', '1024/64']) {
      const other = await h.call(['p', 'q'], { budget })
      expect(other.hits, budget).toBe(0)
      expect(h.scorer.calls.at(-1)?.budget?.key).toBe(budget)
    }
  })

  it('serves but never caches pairs the scorer marks uncacheable', async () => {
    const h = harness()
    h.scorer.next.push(async (r) => ({ scores: r.documents.map(() => 0.5), uncacheable: [1] }))
    const r = await h.call(['p', 'q', 'r'])
    await h.settle()
    expect(r.scores).toEqual([0.5, 0.5, 0.5])
    expect(h.memory.size).toBe(2)
    expect(h.store.data.size).toBe(2)
    await h.call(['p', 'q', 'r'])
    expect(h.scorer.calls.at(-1)?.documents).toEqual(['q'])
  })

  it('uses the scorer\'s own per-pair split when it gives one, and counts hits cached without a cost', async () => {
    const h = harness()
    h.scorer.next.push(async (r) => ({ scores: r.documents.map(() => 0.5), promptTokens: 12, pairTokens: [5, 7] }))
    await h.call(['p', 'q'])
    await h.settle()
    expect((await h.call(['q'])).cachedPromptTokens).toBe(7)
    // A score already in KV from before costs were kept: a hit whose saving is not known.
    h.memory.clear()
    h.store.forgetTokens()
    const old = await h.call(['p', 'q'])
    expect(old.hits).toBe(2)
    expect(old.cachedPromptTokens).toBe(0)
    expect(old.cachedPairsUnknownTokens).toBe(2)
  })

  it('never serves a lone surrogate the score of its U+FFFD twin, from either tier', async () => {
    for (const [seen, unseen] of [['caf\ud800', 'caf\ufffd'], ['caf\ufffd', 'caf\ud800'], ['\udc00x', '\ufffdx']] as const) {
      const h = harness()
      h.scorer.next.push(async (r) => ({ scores: r.documents.map(() => 0.9) }))
      await h.call([seen])
      await h.settle()
      // Memory tier: the twin is another text.
      const viaMemory = await h.call([unseen])
      expect(viaMemory.hits).toBe(0)
      expect(viaMemory.scores).toEqual([modelScore('instr', 'q', unseen)])
      // Edge tier alone: the same answer (its key hashes the text as WTF-8).
      const h2 = harness()
      h2.scorer.next.push(async (r) => ({ scores: r.documents.map(() => 0.9) }))
      await h2.call([seen])
      await h2.settle()
      h2.memory.clear()
      const viaEdge = await h2.call([unseen, seen])
      expect(viaEdge.counts.edge).toBe(1)
      expect(viaEdge.scores).toEqual([modelScore('instr', 'q', unseen), 0.9])
      expect(h2.scorer.calls.at(-1)?.documents).toEqual([unseen])
    }
  })
})
