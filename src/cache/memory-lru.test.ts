import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ByteBoundedLru, ENTRY_OVERHEAD_BYTES, SCOPE_OVERHEAD_BYTES } from './memory-lru'

const S = 'scope-digest'
const cost = (d: string) => ByteBoundedLru.entryBytes(d)
const SCOPE = ByteBoundedLru.scopeBytes(S)
const FAR = Number.MAX_SAFE_INTEGER

describe('ByteBoundedLru', () => {
  it('evicts the oldest entry not read since it was stored (second chance)', () => {
    const lru = new ByteBoundedLru(SCOPE + cost('a') * 3)
    lru.set(S, 'a', 0.1, FAR)
    lru.set(S, 'b', 0.2, FAR)
    lru.set(S, 'c', 0.3, FAR)
    expect(lru.get(S, 'a', 0)).toBe(0.1) // a was used: spared once
    lru.set(S, 'd', 0.4, FAR)
    expect(lru.has(S, 'b')).toBe(false)
    expect([lru.get(S, 'a', 0), lru.get(S, 'c', 0), lru.get(S, 'd', 0)]).toEqual([0.1, 0.3, 0.4])
    expect(lru.evictions).toBe(1)
    expect(lru.sizeBytes).toBe(SCOPE + cost('a') * 3)
  })

  it('matches a reference second-chance model over random operations (property)', () => {
    const docs = fc.constantFrom(...'abcdefghijklmnop'.split('').map((c, i) => c.repeat(1 + (i % 5))))
    const op = fc.oneof(
      fc.record({ t: fc.constant('set' as const), d: docs, v: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ t: fc.constant('get' as const), d: docs })
    )
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SCOPE + 8 * (ENTRY_OVERHEAD_BYTES + 5) }), fc.array(op, { maxLength: 300 }), (cap, ops) => {
        const lru = new ByteBoundedLru(cap)
        let ref: Array<{ d: string; v: number; used: boolean }> = [] // insertion order, oldest first
        const bytes = () => (ref.length > 0 ? SCOPE : 0) + ref.reduce((n, e) => n + cost(e.d), 0)
        const evictTo = (limit: number) => {
          while (bytes() > limit) {
            const e = ref.shift() as { d: string; v: number; used: boolean }
            if (e.used) ref.push({ ...e, used: false })
          }
        }
        for (const o of ops) {
          if (o.t === 'get') {
            const e = ref.find((x) => x.d === o.d)
            if (e) e.used = true
            expect(lru.get(S, o.d, 0)).toBe(e?.v)
          } else {
            ref = ref.filter((x) => x.d !== o.d)
            if (cap > ENTRY_OVERHEAD_BYTES) {
              for (;;) {
                const had = ref.length > 0
                const need = cost(o.d) + (had ? 0 : SCOPE)
                if (need > cap) break
                evictTo(cap - need)
                if (had === ref.length > 0) {
                  ref.push({ d: o.d, v: o.v, used: false })
                  break
                }
              }
            }
            lru.set(S, o.d, o.v, FAR)
          }
          expect(lru.size).toBe(ref.length)
          expect(lru.sizeBytes).toBe(bytes())
          expect(lru.sizeBytes).toBeLessThanOrEqual(cap)
        }
      }),
      { numRuns: 300 }
    )
  }, 30_000)

  it('never exceeds its bound with many scopes, deletes and resizes (property)', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('set' as const), s: fc.string({ maxLength: 30 }), d: fc.string({ maxLength: 40 }) }),
      fc.record({ t: fc.constant('get' as const), s: fc.string({ maxLength: 30 }), d: fc.string({ maxLength: 40 }) }),
      fc.record({ t: fc.constant('del' as const), s: fc.string({ maxLength: 30 }), d: fc.string({ maxLength: 40 }) }),
      fc.record({ t: fc.constant('cap' as const), c: fc.integer({ min: 0, max: 5000 }) })
    )
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.array(op, { maxLength: 200 }), (cap, ops) => {
        const lru = new ByteBoundedLru(cap)
        const model = new Map<string, number>()
        for (const o of ops) {
          if (o.t === 'set') {
            const v = Math.random()
            lru.set(o.s, o.d, v, FAR)
            model.set(`${o.s}\u0000${o.d}`, v)
          } else if (o.t === 'get') {
            const v = lru.get(o.s, o.d, 0)
            if (v !== undefined) expect(v).toBe(model.get(`${o.s}\u0000${o.d}`))
          } else if (o.t === 'del') lru.delete(o.s, o.d)
          else lru.setCapacity(o.c)
          expect(lru.sizeBytes).toBeLessThanOrEqual(lru.capacityBytes)
          expect(lru.sizeBytes >= 0 && (lru.size === 0) === (lru.sizeBytes === 0)).toBe(true)
        }
      })
    )
  }, 30_000)

  it('charges a scope once and frees it with its last entry', () => {
    const lru = new ByteBoundedLru(1 << 20)
    lru.set(S, 'x', 0.5, FAR)
    lru.set(S, 'y', 0.5, FAR)
    lru.set('other', 'x', 0.5, FAR)
    expect(lru.sizeBytes).toBe(SCOPE + ByteBoundedLru.scopeBytes('other') + 2 * cost('x') + cost('y'))
    lru.delete(S, 'x')
    lru.delete(S, 'y')
    expect(lru.sizeBytes).toBe(ByteBoundedLru.scopeBytes('other') + cost('x'))
    expect(lru.get(S, 'x', 0)).toBeUndefined()
    expect(lru.get('other', 'x', 0)).toBe(0.5)
  })

  it('charges one byte per character for Latin-1 text and two for wider text', () => {
    expect(ByteBoundedLru.entryBytes('abc')).toBe(ENTRY_OVERHEAD_BYTES + 3)
    expect(ByteBoundedLru.entryBytes('caf\u00e9')).toBe(ENTRY_OVERHEAD_BYTES + 4)
    expect(ByteBoundedLru.entryBytes('北京')).toBe(ENTRY_OVERHEAD_BYTES + 4)
    expect(ByteBoundedLru.scopeBytes('ab')).toBe(SCOPE_OVERHEAD_BYTES + 2)
  })

  it('evicts in amortised constant time under churn (the queue is copied only when mostly dead)', () => {
    // Counted, not timed: the queue is compacted only once its dead slots (behind the hand, or
    // tombstones) outnumber the 50,000 live entries, so 250,000 evictions plus at most 100,000
    // second chances advance the hand by at most 350,000 slots: at most 7 copies, not one per eviction.
    const lru = new ByteBoundedLru(SCOPE + 50_000 * (ENTRY_OVERHEAD_BYTES + 8))
    for (let i = 0; i < 300_000; i++) {
      lru.set(S, `k${String(i).padStart(7, '0')}`, 0.5, FAR)
      if (i % 3 === 0) lru.get(S, `k${String(i - 5000).padStart(7, '0')}`, 0)
    }
    expect(lru.size).toBe(50_000)
    expect(lru.evictions).toBe(250_000)
    expect(lru.compactions).toBeGreaterThanOrEqual(1)
    expect(lru.compactions).toBeLessThanOrEqual(7)
  }, 20_000)

  it('drops the tombstones of expired entries in a tier that never fills', () => {
    const lru = new ByteBoundedLru(1 << 30)
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5000; i++) lru.set(S, `r${round}-${i}`, 0.5, 1000 * (round + 1))
      // every entry of this round expires on its first read after its deadline
      for (let i = 0; i < 5000; i++) expect(lru.get(S, `r${round}-${i}`, 1000 * (round + 1))).toBeUndefined()
      expect(lru.size).toBe(0)
    }
    expect(lru.sizeBytes).toBe(0)
    expect(lru.evictions).toBe(0)
    // 25,000 insertions and as many expiries: the queue was rebuilt rather than grown without end.
    expect(lru.compactions).toBeGreaterThanOrEqual(4)
  })

  it('keeps the prompt tokens a pair cost beside its score', () => {
    const lru = new ByteBoundedLru(1 << 16)
    lru.set(S, 'a', 0.5, FAR, 412)
    lru.set(S, 'b', 0.25, FAR)
    expect(lru.lookup(S, 'a', 0)).toMatchObject({ score: 0.5, tokens: 412 })
    expect(lru.lookup(S, 'b', 0)).toMatchObject({ score: 0.25, tokens: undefined })
    expect(lru.lookup(S, 'a', FAR)).toBeUndefined()
  })

  it('replaces an entry without double counting', () => {
    const lru = new ByteBoundedLru(SCOPE + cost('k') * 2)
    lru.set(S, 'k', 0.1, FAR)
    lru.set(S, 'k', 0.2, FAR)
    expect(lru.size).toBe(1)
    expect(lru.sizeBytes).toBe(SCOPE + cost('k'))
    expect(lru.get(S, 'k', 0)).toBe(0.2)
  })

  it('stores nothing with a zero bound and drops an entry larger than the bound', () => {
    const zero = new ByteBoundedLru(0)
    zero.set(S, 'a', 0.5, FAR)
    expect(zero.get(S, 'a', 0)).toBeUndefined()
    const small = new ByteBoundedLru(SCOPE + cost('ab') - 1)
    small.set(S, 'ab', 0.5, FAR)
    expect(small.size).toBe(0)
    expect(small.sizeBytes).toBe(0)
  })

  it('expires entries at their deadline and frees their bytes', () => {
    const lru = new ByteBoundedLru(10_000)
    lru.set(S, 'a', 0.5, 1000)
    expect(lru.get(S, 'a', 999)).toBe(0.5)
    expect(lru.get(S, 'a', 1000)).toBeUndefined()
    expect(lru.sizeBytes).toBe(0)
    expect(lru.size).toBe(0)
  })

  it('shrinks to a new bound by evicting the oldest entries', () => {
    const lru = new ByteBoundedLru(SCOPE + cost('a') * 4)
    for (const k of ['a', 'b', 'c', 'd']) lru.set(S, k, 0.5, FAR)
    lru.setCapacity(SCOPE + cost('a') * 2)
    expect(lru.size).toBe(2)
    expect(lru.has(S, 'a')).toBe(false)
    expect(lru.get(S, 'd', 0)).toBe(0.5)
  })
})
