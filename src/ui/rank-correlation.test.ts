import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { averageRanks, formatRankChange, kendallTauB, rankChanges, spearmanRho } from './rank-correlation'

describe('rank correlation', () => {
  it("matches scipy's documented reference values", () => {
    // scipy.stats.kendalltau docs example (tau-b, with ties in both lists): -0.47140452079103173
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 12)
    // scipy.stats.spearmanr docs example (a tie in y): 0.8207826816681233
    expect(spearmanRho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12)
  })

  it('average ranks: best first, ties share the mean rank', () => {
    expect(averageRanks([0.9, 0.1, 0.5])).toEqual([1, 3, 2])
    expect(averageRanks([0.5, 0.9, 0.5, 0.1])).toEqual([2.5, 1, 2.5, 4])
    expect(averageRanks([])).toEqual([])
  })

  it('identical orders give 1, reversed give −1, one swap of four gives 2/3 and 0.8', () => {
    expect(kendallTauB([4, 3, 2, 1], [40, 30, 20, 10])).toBe(1)
    expect(kendallTauB([4, 3, 2, 1], [1, 2, 3, 4])).toBe(-1)
    expect(spearmanRho([4, 3, 2, 1], [1, 2, 3, 4])).toBeCloseTo(-1, 12)
    // Swap the first two of four: C = 5, D = 1 → τ = 4/6; Σd² = 2 → ρ = 1 − 12/60 = 0.8.
    expect(kendallTauB([4, 3, 2, 1], [3, 4, 2, 1])).toBeCloseTo(2 / 3, 12)
    expect(spearmanRho([4, 3, 2, 1], [3, 4, 2, 1])).toBeCloseTo(0.8, 12)
  })

  it('is NaN when undefined: fewer than two items or a list entirely tied', () => {
    expect(kendallTauB([1], [2])).toBeNaN()
    expect(spearmanRho([], [])).toBeNaN()
    expect(kendallTauB([0.5, 0.5, 0.5], [1, 2, 3])).toBeNaN()
    expect(spearmanRho([1, 2, 3], [0.2, 0.2, 0.2])).toBeNaN()
  })

  it('refuses lists of different lengths or non-finite values', () => {
    expect(() => kendallTauB([1, 2], [1])).toThrow(RangeError)
    expect(() => spearmanRho([1, Number.NaN], [1, 2])).toThrow(RangeError)
  })

  it('without ties, ρ equals 1 − 6Σd²/(n(n²−1)) and τ equals (C − D)/(n(n−1)/2)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 30 }).chain((x) =>
          fc.tuple(fc.constant(x), fc.shuffledSubarray(x, { minLength: x.length, maxLength: x.length }))
        ),
        ([x, y]) => {
          const n = x.length
          const rx = averageRanks(x)
          const ry = averageRanks(y)
          let d2 = 0
          for (let i = 0; i < n; i++) d2 += ((rx[i] as number) - (ry[i] as number)) ** 2
          expect(spearmanRho(x, y)).toBeCloseTo(1 - (6 * d2) / (n * (n * n - 1)), 9)
          let c = 0
          let d = 0
          for (let i = 0; i < n; i++)
            for (let j = i + 1; j < n; j++) {
              const s = Math.sign((x[i] as number) - (x[j] as number)) * Math.sign((y[i] as number) - (y[j] as number))
              if (s > 0) c++
              else d++
            }
          expect(kendallTauB(x, y)).toBeCloseTo((c - d) / ((n * (n - 1)) / 2), 9)
        }
      )
    )
  }, 30_000)

  it('is symmetric, bounded in [−1, 1], and invariant under monotone transforms', () => {
    const list = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 25 })
    fc.assert(
      fc.property(list, list, (a, b) => {
        const n = Math.min(a.length, b.length)
        const x = a.slice(0, n)
        const y = b.slice(0, n)
        for (const f of [kendallTauB, spearmanRho]) {
          const r = f(x, y)
          if (Number.isNaN(r)) continue
          expect(r).toBeGreaterThanOrEqual(-1 - 1e-12)
          expect(r).toBeLessThanOrEqual(1 + 1e-12)
          expect(f(y, x)).toBeCloseTo(r, 12)
          expect(f(x.map((v) => v * 3 + 7), y.map((v) => Math.exp(v)))).toBeCloseTo(r, 12)
        }
      })
    )
  }, 30_000)

  it('rank changes: positive delta means moved up in B; missing documents are reported', () => {
    const changes = rankChanges([2, 0, 1, 3], [0, 2, 3])
    expect(changes).toEqual([
      { index: 0, rankA: 2, rankB: 1, delta: 1 },
      { index: 2, rankA: 1, rankB: 2, delta: -1 },
      { index: 3, rankA: 4, rankB: 3, delta: 1 },
      { index: 1, rankA: 3, rankB: 0, delta: 0 },
    ])
    expect([2, -1, 0].map(formatRankChange)).toEqual(['↑2', '↓1', '='])
  })
})
