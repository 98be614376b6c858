import { describe, expect, it } from 'vitest'
import { createKvScoreStore, scoreStoreFor } from './kv-score-store'
import { RecentWrites } from './recent-writes'
import { decodeBucket, emptyBucket, encodeBucket, lookupBucket, mergeBucket, type ScoreBucket } from './score-bucket'
import { emptyStats } from './score-store'
import { WritePacer } from './write-pacer'

const NOW = 1_750_000_000

interface FakeKvOptions {
  failGet?: boolean
  failPut?: boolean
  /** Reads of a key answer what the first read of it saw (a KV location's edge cache, `cacheTtl`). */
  stale?: boolean
  /** The time KV sees a write arrive (ms; default Date.now), for its one write per second per key. */
  clock?: () => number
}

/**
 * The KV calls the store makes, as strict as the binding: one key, `arrayBuffer`, a byte value,
 * and one write per second per key ("Writes to same key: 1 per second",
 * developers.cloudflare.com/kv/platform/limits): a sooner one is refused with a 429.
 */
function fakeKv(options: FakeKvOptions = {}) {
  const clock = options.clock ?? Date.now
  const lastWrite = new Map<string, number>()
  const refused: string[] = []
  const data = new Map<string, Uint8Array>()
  const gets: string[] = []
  const puts: Array<{ key: string; bytes: number; expirationTtl?: number }> = []
  const firstRead = new Map<string, ArrayBuffer | null>()
  const kv = {
    async get(key: string, type: string) {
      if (typeof key !== 'string' || type !== 'arrayBuffer') throw new Error('expected a single-key arrayBuffer get')
      gets.push(key)
      if (options.failGet) throw new Error('KV GET failed: 503')
      if (options.stale && firstRead.has(key)) return firstRead.get(key) ?? null
      const v = data.get(key)
      if (options.stale) firstRead.set(key, v === undefined ? null : v.slice().buffer)
      return v === undefined ? null : v.slice().buffer
    },
    async put(key: string, value: ArrayBufferView, opts?: { expirationTtl?: number }) {
      if (!ArrayBuffer.isView(value)) throw new TypeError('expected bytes')
      if (options.failPut) throw new Error('KV PUT failed: 429 Too Many Requests')
      const last = lastWrite.get(key)
      if (last !== undefined && clock() - last < 1000) {
        refused.push(key)
        throw new Error('KV PUT failed: 429 Too Many Requests')
      }
      lastWrite.set(key, clock())
      puts.push({ key, bytes: value.byteLength, ...(opts?.expirationTtl === undefined ? {} : { expirationTtl: opts.expirationTtl }) })
      data.set(key, new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice())
    },
  }
  return { kv: kv as unknown as KVNamespace, data, gets, puts, refused }
}

const id = (n: number) => {
  const d = new Uint8Array(32)
  d[0] = n
  return d
}

describe('KV score store', () => {
  it('reads one key per scope and counts one operation; an absent key is an empty bucket', async () => {
    const f = fakeKv()
    const store = createKvScoreStore(f.kv, { ttlSeconds: 3600 })
    const none = await store.readBucket('b1:aa', NOW)
    expect(none?.size).toBe(0)
    f.data.set('b1:bb', encodeBucket(mergeBucket(emptyBucket(), [[id(1), { score: 0.75, tokens: 120 }]], NOW + 60)))
    const found = await store.readBucket('b1:bb', NOW)
    expect(lookupBucket(found ?? emptyBucket(), [id(1), id(2)])).toEqual([{ score: 0.75, tokens: 120 }, undefined])
    expect(f.gets).toEqual(['b1:aa', 'b1:bb'])
    expect(store.stats.readOps).toBe(2)
  })

  it('writes one binary value per scope with the TTL (never under KV\'s 60 s minimum), read back as written', async () => {
    const f = fakeKv()
    const bucket = mergeBucket(emptyBucket(), [[id(1), { score: 0.7310585786300049, tokens: 412 }], [id(2), { score: 0.5, cut: true }]], NOW + 86_400)
    await createKvScoreStore(f.kv, { ttlSeconds: 86_400 }).writeBucket('b1:aa', bucket, NOW)
    expect(f.puts).toEqual([{ key: 'b1:aa', bytes: 8 + 2 * 32, expirationTtl: 86_400 }])
    const back = await createKvScoreStore(f.kv, { ttlSeconds: 86_400 }).readBucket('b1:aa', NOW)
    expect(lookupBucket(back ?? emptyBucket(), [id(1), id(2)])).toEqual([{ score: 0.7310585786300049, tokens: 412 }, { score: 0.5, cut: true }])
    await createKvScoreStore(f.kv, { ttlSeconds: 5 }).writeBucket('b1:bb', bucket, NOW)
    expect(f.puts[1]?.expirationTtl).toBe(60)
  })

  it('answers undefined (not an empty bucket) when the read fails, counting it', async () => {
    const store = createKvScoreStore(fakeKv({ failGet: true }).kv, { ttlSeconds: 3600 })
    expect(await store.readBucket('b1:aa', NOW)).toBeUndefined()
    expect(store.stats).toMatchObject({ readOps: 1, readFailures: 1 })
  })

  it('reads a value it could not have written as empty, and counts it', async () => {
    const f = fakeKv()
    f.data.set('b1:aa', new TextEncoder().encode('0.75;120'))
    const store = createKvScoreStore(f.kv, { ttlSeconds: 3600 })
    expect((await store.readBucket('b1:aa', NOW))?.size).toBe(0)
    expect(store.stats.corrupt).toBe(1)
  })

  it('counts failed writes, rejected or thrown at once, without throwing', async () => {
    const failing = createKvScoreStore(fakeKv({ failPut: true }).kv, { ttlSeconds: 3600 })
    await expect(failing.writeBucket('b1:aa', emptyBucket(), NOW)).resolves.toBeUndefined()
    expect(failing.stats).toMatchObject({ writeOps: 1, writeFailures: 1 })
    const f = fakeKv()
    const kv = {
      ...f.kv,
      put: () => {
        throw new TypeError('KV put: value too large')
      },
    } as unknown as KVNamespace
    const sync = createKvScoreStore(kv, { ttlSeconds: 3600 })
    await expect(sync.writeBucket('b1:aa', emptyBucket(), NOW)).resolves.toBeUndefined()
    expect(sync.stats).toMatchObject({ writeOps: 1, writeFailures: 1 })
  })

  it('reads its own writes: a stale read of the key (KV\'s edge cache) cannot make a merge drop them', async () => {
    let t = NOW * 1000
    const f = fakeKv({ stale: true, clock: () => t })
    const recent = new RecentWrites()
    const store = createKvScoreStore(f.kv, { ttlSeconds: 3600, recent })
    const first = await store.readBucket('b1:aa', NOW) // seen empty: later reads of this location say so too
    await store.writeBucket('b1:aa', mergeBucket(first ?? emptyBucket(), [[id(1), { score: 0.1 }]], NOW + 3600), NOW)
    t += 5000
    const second = await store.readBucket('b1:aa', NOW + 5)
    expect(lookupBucket(second ?? emptyBucket(), [id(1)])).toEqual([{ score: 0.1 }])
    // Even a merge into the stale value keeps the first write's pair.
    await store.writeBucket('b1:aa', mergeBucket(emptyBucket(), [[id(2), { score: 0.2 }]], NOW + 3600), NOW + 5)
    const stored = decodeBucket(f.data.get('b1:aa') ?? new Uint8Array(0), NOW + 5).bucket
    expect(lookupBucket(stored, [id(1), id(2)])).toEqual([{ score: 0.1 }, { score: 0.2 }])
    // Without the isolate's record of its writes, the second write would have dropped it.
    const forgetful = fakeKv({ stale: true, clock: () => t })
    const plain = createKvScoreStore(forgetful.kv, { ttlSeconds: 3600 })
    await plain.readBucket('b1:aa', NOW)
    await plain.writeBucket('b1:aa', mergeBucket(emptyBucket(), [[id(1), { score: 0.1 }]], NOW + 3600), NOW)
    t += 5000
    await plain.writeBucket('b1:aa', mergeBucket((await plain.readBucket('b1:aa', NOW + 5)) ?? emptyBucket(), [[id(2), { score: 0.2 }]], NOW + 3600), NOW + 5)
    expect(lookupBucket(decodeBucket(forgetful.data.get('b1:aa') ?? new Uint8Array(0), NOW + 5).bucket, [id(1), id(2)])).toEqual([undefined, { score: 0.2 }])
  })

  it('paces writes of one key to KV\'s one a second: a burst lands whole, in two writes', async () => {
    let t = NOW * 1000
    const sleepers: Array<() => void> = []
    const pacer = new WritePacer<ScoreBucket>({ now: () => t, sleep: () => new Promise<void>((ok) => sleepers.push(ok)) })
    const burst = async (f: ReturnType<typeof fakeKv>, paced: WritePacer<ScoreBucket> | undefined) => {
      const totals = emptyStats()
      const recent = new RecentWrites()
      const writes: Array<Promise<void>> = []
      // Five calls in the same 50 ms, each adding its own pair to what it read (an empty scope).
      for (let i = 1; i <= 5; i++) {
        const store = createKvScoreStore(f.kv, { ttlSeconds: 3600, recent, totals, pacer: paced })
        const read = (await store.readBucket('b1:aa', NOW)) ?? emptyBucket()
        writes.push(store.writeBucket('b1:aa', mergeBucket(read, [[id(i), { score: i / 10 }]], NOW + 3600), NOW))
        t += 10
      }
      t += 1000
      for (const wake of sleepers.splice(0)) wake()
      await Promise.all(writes)
      return { totals, stored: decodeBucket(f.data.get('b1:aa') ?? new Uint8Array(0), NOW).bucket }
    }
    const paced = fakeKv({ clock: () => t })
    const p = await burst(paced, pacer)
    expect(lookupBucket(p.stored, [1, 2, 3, 4, 5].map(id)).map((v) => v?.score)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5])
    expect(paced.puts).toHaveLength(2)
    expect(paced.refused).toEqual([])
    expect(p.totals).toMatchObject({ writeOps: 2, writeFailures: 0, writesMerged: 3 })
    // Unpaced, KV refuses four of the five writes and keeps only the first call's pair (the
    // isolate remembers the others, but no later write carries them there).
    const unpaced = fakeKv({ clock: () => t })
    const u = await burst(unpaced, undefined)
    expect(unpaced.refused).toHaveLength(4)
    expect(u.totals).toMatchObject({ writeOps: 5, writeFailures: 4, writesMerged: 0 })
    expect(lookupBucket(u.stored, [1, 2, 3, 4, 5].map(id)).map((v) => v?.score)).toEqual([0.1, undefined, undefined, undefined, undefined])
  })

  it('adds every operation and failure to the isolate\'s running totals too', async () => {
    const totals = emptyStats()
    const ok = createKvScoreStore(fakeKv().kv, { ttlSeconds: 60, totals })
    await ok.readBucket('b1:aa', NOW)
    await ok.writeBucket('b1:aa', mergeBucket(emptyBucket(), [[id(1), { score: 0.5 }]], NOW + 60), NOW)
    const failing = createKvScoreStore(fakeKv({ failGet: true, failPut: true }).kv, { ttlSeconds: 60, totals })
    await failing.readBucket('b1:aa', NOW)
    await failing.writeBucket('b1:aa', emptyBucket(), NOW)
    const corrupt = fakeKv()
    corrupt.data.set('b1:aa', new Uint8Array([1, 2, 3]))
    await createKvScoreStore(corrupt.kv, { ttlSeconds: 60, totals }).readBucket('b1:aa', NOW)
    expect(totals).toEqual({ readOps: 3, writeOps: 2, readFailures: 1, writeFailures: 1, writesMerged: 0, corrupt: 1 })
    expect(ok.stats).toEqual({ readOps: 1, writeOps: 1, readFailures: 0, writeFailures: 0, writesMerged: 0, corrupt: 0 })
  })

  it('is only built for something that looks like a KV binding', () => {
    expect(scoreStoreFor(undefined, { ttlSeconds: 60 })).toBeNull()
    expect(scoreStoreFor('SCORE_CACHE', { ttlSeconds: 60 })).toBeNull()
    expect(scoreStoreFor({ get: 1 }, { ttlSeconds: 60 })).toBeNull()
    expect(scoreStoreFor(fakeKv().kv, { ttlSeconds: 60 })?.name).toBe('kv')
  })
})
