import { describe, expect, it } from 'vitest'
import { createKvScoreStore, KV_BULK_GET_MAX, scoreStoreFor } from './kv-score-store'

interface FakeKvOptions {
  failGetChunk?: number
  failPut?: (key: string) => boolean
}

function fakeKv(options: FakeKvOptions = {}) {
  const data = new Map<string, string>()
  const gets: string[][] = []
  const puts: Array<{ key: string; value: string; expirationTtl?: number }> = []
  const kv = {
    async get(keys: string[], type: string) {
      if (!Array.isArray(keys) || type !== 'text') throw new Error('expected a bulk text get')
      if (keys.length > KV_BULK_GET_MAX) throw new Error('KV GET failed: too many keys')
      gets.push(keys)
      if (options.failGetChunk === gets.length - 1) throw new Error('KV GET failed: 503')
      return new Map(keys.map((k) => [k, data.get(k) ?? null]))
    },
    async put(key: string, value: string, opts?: { expirationTtl?: number }) {
      if (options.failPut?.(key)) throw new Error('KV PUT failed: 429 Too Many Requests')
      puts.push({ key, value, ...(opts?.expirationTtl === undefined ? {} : { expirationTtl: opts.expirationTtl }) })
      data.set(key, value)
    },
  }
  return { kv: kv as unknown as KVNamespace, data, gets, puts }
}

const keys = (n: number) => Array.from({ length: n }, (_, i) => `s1:k${i}`)

describe('KV score store', () => {
  it('reads up to 100 keys per bulk get and counts one operation per get', async () => {
    const f = fakeKv()
    for (const k of keys(250)) f.data.set(k, '0.5')
    const store = createKvScoreStore(f.kv, { ttlSeconds: 3600 })
    const found = await store.getMany(keys(250))
    expect(f.gets.map((g) => g.length)).toEqual([100, 100, 50])
    expect(found.size).toBe(250)
    expect(store.stats.readOps).toBe(3)
  })

  it('reads the token cost written with a score, and old values written without one', async () => {
    const f = fakeKv()
    f.data.set('s1:k0', '0.75;120')
    f.data.set('s1:k1', '0.5')
    const found = await createKvScoreStore(f.kv, { ttlSeconds: 3600 }).getMany(keys(2))
    expect(found.get('s1:k0')).toEqual({ score: 0.75, tokens: 120 })
    expect(found.get('s1:k1')).toEqual({ score: 0.5 })
  })

  it('returns what it could read when one bulk get fails, counting the failure', async () => {
    const f = fakeKv({ failGetChunk: 1 })
    for (const k of keys(250)) f.data.set(k, '0.25')
    const store = createKvScoreStore(f.kv, { ttlSeconds: 3600 })
    const found = await store.getMany(keys(250))
    expect(found.size).toBe(150)
    expect(store.stats.readFailures).toBe(1)
  })

  it('ignores (and counts) stored values that are not valid scores', async () => {
    const f = fakeKv()
    f.data.set('s1:k0', '0.75')
    f.data.set('s1:k1', 'NaN')
    f.data.set('s1:k2', '1.5')
    const store = createKvScoreStore(f.kv, { ttlSeconds: 3600 })
    const found = await store.getMany(keys(4))
    expect([...found]).toEqual([['s1:k0', { score: 0.75 }]])
    expect(store.stats.corrupt).toBe(2)
  })

  it('writes one compact value per pair with the TTL (never under KV\'s 60 s minimum)', async () => {
    const f = fakeKv()
    await createKvScoreStore(f.kv, { ttlSeconds: 86_400 }).putMany([['s1:a', { score: 0.7310585786300049, tokens: 412 }]])
    expect(f.puts).toEqual([{ key: 's1:a', value: '0.7310585786300049;412', expirationTtl: 86_400 }])
    await createKvScoreStore(f.kv, { ttlSeconds: 5 }).putMany([['s1:b', { score: 0.5 }]])
    expect(f.puts[1]?.value).toBe('0.5')
    expect(f.puts[1]?.expirationTtl).toBe(60)
  })

  it('counts failed writes without throwing and never writes an invalid score', async () => {
    const f = fakeKv({ failPut: (k) => k === 's1:bad' })
    const store = createKvScoreStore(f.kv, { ttlSeconds: 3600 })
    await expect(store.putMany([['s1:bad', { score: 0.5 }], ['s1:ok', { score: 0.5 }], ['s1:nan', { score: Number.NaN }]])).resolves.toBeUndefined()
    expect(store.stats).toMatchObject({ writeOps: 2, writeFailures: 1 })
    expect([...f.data.keys()]).toEqual(['s1:ok'])
  })

  it('counts a write the binding refuses at once (a synchronous throw) like a rejected one', async () => {
    const f = fakeKv()
    const kv = {
      ...f.kv,
      put: (key: string, value: string, opts?: { expirationTtl?: number }) => {
        if (key === 's1:sync') throw new TypeError('KV put: value too large')
        return f.kv.put(key, value, opts)
      },
    } as unknown as KVNamespace
    const store = createKvScoreStore(kv, { ttlSeconds: 3600 })
    await expect(store.putMany([['s1:sync', { score: 0.5 }], ['s1:ok', { score: 0.25 }]])).resolves.toBeUndefined()
    expect(store.stats).toMatchObject({ writeOps: 2, writeFailures: 1 })
    expect([...f.data.keys()]).toEqual(['s1:ok'])
  })

  it('is only built for something that looks like a KV binding', () => {
    expect(scoreStoreFor(undefined, 60)).toBeNull()
    expect(scoreStoreFor('SCORE_CACHE', 60)).toBeNull()
    expect(scoreStoreFor({ get: 1 }, 60)).toBeNull()
    expect(scoreStoreFor(fakeKv().kv, 60)?.name).toBe('kv')
  })
})
