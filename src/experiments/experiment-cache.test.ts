import { describe, expect, it } from 'vitest'
import { ExperimentCache } from './experiment-cache'

describe('ExperimentCache', () => {
  it('serves a value for ttlMs, then reloads', async () => {
    const cache = new ExperimentCache<string>({ ttlMs: 5000 })
    let loads = 0
    const load = async () => `v${++loads}`
    expect(await cache.get('k', 1000, load)).toBe('v1')
    expect(await cache.get('k', 5999, load)).toBe('v1')
    expect(await cache.get('k', 6000, load)).toBe('v2')
    expect(loads).toBe(2)
  })

  it('shares one load among concurrent misses (a burst reads D1 once)', async () => {
    const cache = new ExperimentCache<string>()
    let loads = 0
    let release: (v: string) => void = () => undefined
    const load = () => {
      loads++
      return new Promise<string>((r) => (release = r))
    }
    const all = Promise.all(Array.from({ length: 50 }, () => cache.get('k', 0, load)))
    release('row')
    expect(await all).toEqual(Array(50).fill('row'))
    expect(loads).toBe(1)
  })

  it('caches "not found" (null) too', async () => {
    const cache = new ExperimentCache<string>()
    let loads = 0
    const load = async () => {
      loads++
      return null
    }
    expect(await cache.get('k', 0, load)).toBeNull()
    expect(await cache.get('k', 100, load)).toBeNull()
    expect(loads).toBe(1)
  })

  it('serves the last value when a reload fails within staleIfErrorMs, and throws after it', async () => {
    const cache = new ExperimentCache<string>({ ttlMs: 10, staleIfErrorMs: 1000 })
    await cache.get('k', 0, async () => 'old')
    const failing = async (): Promise<string> => {
      throw new Error('D1 down')
    }
    expect(await cache.get('k', 500, failing)).toBe('old')
    await expect(cache.get('k', 1500, failing)).rejects.toThrow('D1 down')
  })

  it('invalidate() forgets the key and drops a load that was in flight before it', async () => {
    const cache = new ExperimentCache<string>()
    let release: (v: string) => void = () => undefined
    const slow = cache.get('k', 0, () => new Promise<string>((r) => (release = r)))
    cache.invalidate('k')
    release('before-invalidate')
    expect(await slow).toBe('before-invalidate')
    expect(await cache.get('k', 1, async () => 'after')).toBe('after')
  })

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    const cache = new ExperimentCache<string>({ maxEntries: 2 })
    for (const k of ['a', 'b', 'c']) await cache.get(k, 0, async () => k)
    expect(cache.size).toBe(2)
    let reloaded = false
    await cache.get('a', 1, async () => {
      reloaded = true
      return 'a'
    })
    expect(reloaded).toBe(true)
  })

  it('joins a shared load for joinLoadMs only: a load whose call was ended cannot wedge the key', async () => {
    const cache = new ExperimentCache<string>({ ttlMs: 5_000, joinLoadMs: 2_000 })
    let loads = 0
    const never = () => {
      loads++
      return new Promise<string | null>(() => undefined)
    }
    void cache.get('k', 0, never) // its call is gone: nothing will settle it
    void cache.get('k', 1_999, never) // still joined: no second load
    expect(loads).toBe(1)
    let late!: (v: string) => void
    const retried = cache.get('k', 2_000, () => {
      loads++
      return new Promise<string | null>((ok) => (late = ok))
    })
    expect(loads).toBe(2)
    late('v2')
    expect(await retried).toBe('v2')
    // Stored: served from the cache within its TTL, no third load.
    expect(await cache.get('k', 2_500, never)).toBe('v2')
    expect(loads).toBe(2)
  })
})

