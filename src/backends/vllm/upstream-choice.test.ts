import { describe, expect, it } from 'vitest'
import { effectiveLatency, loadCost, observeFailure, observeLatency, pickTwoChoices } from './upstream-choice'

/** A deterministic random source cycling through the given draws. */
const draws = (...xs: number[]) => {
  let i = 0
  return () => xs[i++ % xs.length] as number
}

describe('latency estimate', () => {
  it('the first sample sets the EWMA, later ones move it by alpha', () => {
    let e = observeLatency({ ewmaMs: null, at: 0 }, 100, 10)
    expect(e).toEqual({ ewmaMs: 100, at: 10 })
    e = observeLatency(e, 200, 20, 0.3)
    expect(e.ewmaMs).toBeCloseTo(130, 10)
    expect(e.at).toBe(20)
  })

  it('a fast failure is charged at least double the estimate', () => {
    expect(observeFailure({ ewmaMs: 40, at: 0 }, 1, 5, 10).ewmaMs).toBe(80)
    expect(observeFailure({ ewmaMs: 40, at: 0 }, 500, 5, 10).ewmaMs).toBe(500)
    // Unknown upstream: from the pool's prior.
    expect(observeFailure({ ewmaMs: null, at: 0 }, 1, 5, 30).ewmaMs).toBe(60)
  })

  it('a stale estimate fades towards half the best, where an unknown upstream starts, so it comes to undercut the best; a better one does not move', () => {
    const slow = { ewmaMs: 205, at: 0 }
    expect(effectiveLatency(slow, 0, 10, 1000)).toBe(205)
    expect(effectiveLatency(slow, 1000, 10, 1000)).toBeCloseTo(5 + 200 / Math.E, 10)
    expect(effectiveLatency(slow, 100_000, 10, 1000)).toBeCloseTo(5, 6)
    // Past a few time constants it is cheaper than the best's own 10 ms: tried again, even at one call in flight.
    expect(loadCost(0, effectiveLatency(slow, 10_000, 10, 1000))).toBeLessThan(loadCost(0, 10))
    expect(effectiveLatency({ ewmaMs: 4, at: 0 }, 100_000, 10, 1000)).toBe(4)
    expect(effectiveLatency({ ewmaMs: null, at: 0 }, 0, 42, 1000)).toBe(21)
  })

  it('load cost grows with outstanding calls', () => {
    expect(loadCost(0, 10)).toBe(10)
    expect(loadCost(3, 10)).toBe(40)
    expect(loadCost(2, 0)).toBeCloseTo(0.3, 10)
  })
})

describe('pickTwoChoices', () => {
  const cost = (c: { c: number }) => c.c

  it('handles zero and one candidate', () => {
    expect(pickTwoChoices([], cost, Math.random)).toBeUndefined()
    const only = { c: 9 }
    expect(pickTwoChoices([only], cost, Math.random)).toBe(only)
  })

  it('draws two distinct candidates and keeps the cheaper', () => {
    const cs = [{ c: 5 }, { c: 1 }, { c: 3 }]
    // i = floor(0.0*3) = 0, j = floor(0.0*2) = 0 → bumped to 1: {5} vs {1}
    expect(pickTwoChoices(cs, cost, draws(0, 0))).toBe(cs[1])
    // i = floor(0.9*3) = 2, j = floor(0.0*2) = 0: {3} vs {5}
    expect(pickTwoChoices(cs, cost, draws(0.9, 0))).toBe(cs[2])
    // Never the same candidate twice: i = 1, j = floor(0.5*2) = 1 → bumped to 2: {1} vs {3}
    expect(pickTwoChoices(cs, cost, draws(0.5, 0.5))).toBe(cs[1])
  })

  it('with two candidates always returns the cheaper, whatever the draws', () => {
    const cs = [{ c: 2 }, { c: 1 }]
    for (const r of [0, 0.3, 0.6, 0.99]) expect(pickTwoChoices(cs, cost, draws(r, r))).toBe(cs[1])
  })

  it('never picks the worst of many (it always loses its duel)', () => {
    const cs = Array.from({ length: 6 }, (_, i) => ({ c: i }))
    let seed = 7
    const rnd = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const counts = new Array<number>(6).fill(0)
    for (let k = 0; k < 3000; k++) {
      const pick = pickTwoChoices(cs, cost, rnd) as { c: number }
      counts[pick.c] = (counts[pick.c] ?? 0) + 1
    }
    expect(counts[5]).toBe(0)
    // The best wins every duel it is drawn into: 2/6 of draws include it ≈ 1000 of 3000.
    expect(counts[0]).toBeGreaterThan(850)
    expect(counts[0]).toBeLessThan(1150)
  })
})

describe('failure penalty cap', () => {
  it('stops doubling at MAX_PENALTY_MS', async () => {
    const { MAX_PENALTY_MS } = await import('./upstream-choice')
    let e = { ewmaMs: 10 as number | null, at: 0 }
    for (let i = 0; i < 40; i++) e = observeFailure(e, 1, i, 10)
    expect(e.ewmaMs).toBe(MAX_PENALTY_MS)
  })
})
