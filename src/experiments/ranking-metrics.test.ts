import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ctrAt1, exposureMetrics, ndcgAtK, reciprocalRankOfFirstClick } from './ranking-metrics'

const ranked = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']

describe('ctrAt1', () => {
  it('is 1 only for a click on the rank-1 document', () => {
    expect(ctrAt1({ ranked_ids: ranked, clicks: ['c', 'a'] })).toBe(1)
    expect(ctrAt1({ ranked_ids: ranked, clicks: ['b'] })).toBe(0)
    expect(ctrAt1({ ranked_ids: ranked, clicks: [] })).toBe(0)
    expect(ctrAt1({ ranked_ids: [], clicks: ['a'] })).toBe(0)
  })
})

describe('reciprocalRankOfFirstClick', () => {
  it('takes the best-ranked click, whatever the click order', () => {
    expect(reciprocalRankOfFirstClick({ ranked_ids: ranked, clicks: ['e', 'c'] })).toBeCloseTo(1 / 3, 15)
    expect(reciprocalRankOfFirstClick({ ranked_ids: ranked, clicks: ['c', 'e'] })).toBeCloseTo(1 / 3, 15)
    expect(reciprocalRankOfFirstClick({ ranked_ids: ranked, clicks: ['l'] })).toBeCloseTo(1 / 12, 15)
  })

  it('is 0 without a click on a served document', () => {
    expect(reciprocalRankOfFirstClick({ ranked_ids: ranked, clicks: [] })).toBe(0)
    expect(reciprocalRankOfFirstClick({ ranked_ids: ranked, clicks: ['zz'] })).toBe(0)
  })
})

describe('ndcgAtK', () => {
  it('linear gain, log2 discount, ideal from all grades given (hand-computed)', () => {
    // Served top 10: a(0) b(2) c(3) d e(1) …; k (3) is at rank 11; z (2) was graded but not served.
    // DCG@10 = 2/log2 3 + 3/log2 4 + 1/log2 6 = 3.148712314…
    // IDCG@10 from [3, 3, 2, 2, 1] = 3 + 3/log2 3 + 2/2 + 2/log2 5 + 1/log2 6 = 7.140995184…
    const grades = { a: 0, b: 2, c: 3, e: 1, k: 3, z: 2 }
    const dcg = 2 / Math.log2(3) + 3 / 2 + 1 / Math.log2(6)
    const idcg = 3 + 3 / Math.log2(3) + 1 + 2 / Math.log2(5) + 1 / Math.log2(6)
    expect(ndcgAtK({ ranked_ids: ranked, grades })).toBeCloseTo(dcg / idcg, 14)
    expect(ndcgAtK({ ranked_ids: ranked, grades })).toBeCloseTo(0.44093466431544637, 14)
  })

  it('is 1 for the ideal order and respects k', () => {
    expect(ndcgAtK({ ranked_ids: ['x', 'y', 'z'], grades: { x: 3, y: 2, z: 1 } })).toBe(1)
    // With k = 1 only rank 1 counts: 2 / 3.
    expect(ndcgAtK({ ranked_ids: ['y', 'x'], grades: { x: 3, y: 2 } }, 1)).toBeCloseTo(2 / 3, 15)
  })

  it('is null without grades and 0 when every grade is 0 or negative', () => {
    expect(ndcgAtK({ ranked_ids: ranked, grades: {} })).toBeNull()
    expect(ndcgAtK({ ranked_ids: ranked, grades: { a: 0, b: -1 } })).toBe(0)
  })

  it('counts a repeated id once', () => {
    expect(ndcgAtK({ ranked_ids: ['x', 'x', 'y'], grades: { y: 1 } })).toBeCloseTo(1 / Math.log2(3), 15)
  })

  it('rejects a bad k', () => {
    expect(() => ndcgAtK({ ranked_ids: ranked, grades: { a: 1 } }, 0)).toThrow(RangeError)
  })

  it('stays in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 20 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: -1, max: 3 })),
        (ids, grades) => {
          const v = ndcgAtK({ ranked_ids: ids, grades })
          if (Object.keys(grades).length === 0) expect(v).toBeNull()
          else {
            expect(v).toBeGreaterThanOrEqual(0)
            expect(v).toBeLessThanOrEqual(1 + 1e-12)
          }
        }
      )
    )
  }, 30_000)
})

describe('exposureMetrics', () => {
  it('bundles the three', () => {
    expect(exposureMetrics({ ranked_ids: ['a', 'b'], clicks: ['b'], grades: { b: 1 } })).toEqual({
      ctr_at_1: 0,
      reciprocal_rank: 0.5,
      ndcg_at_10: 1 / Math.log2(3),
    })
  })
})
