/**
 * References: GrowthBook's own test (packages/stats/tests/test_shared_models.py
 * `TestRatioStatistic.test_basic_calculations`: revenue [10, 20, 30] over users [1, 1, 1] → ratio
 * 20, covariance 0) and hand computations written out below.
 */
import { describe, expect, it } from 'vitest'
import { addUnitToRatio, armFromRatioSums, emptyRatioSums } from './ratio-stat'

function sums(units: ReadonlyArray<readonly [number, number]>) {
  const s = emptyRatioSums()
  for (const [x, y] of units) addUnitToRatio(s, x, y)
  return s
}

describe('armFromRatioSums (gbstats RatioStatistic)', () => {
  it('GrowthBook’s basic case: a constant denominator leaves the numerator’s sample variance', () => {
    const a = armFromRatioSums(sums([[10, 1], [20, 1], [30, 1]]))
    expect(a.mean).toBe(20)
    // v_y = 0 and c = 0, so σ² = v_x/1 = ((10−20)² + 0 + (30−20)²)/2 = 100.
    expect(a.variance).toBeCloseTo(100, 12)
    expect(a.n).toBe(3)
  })

  it('a unit whose ratio equals the arm’s adds no variance; the spread between users does', () => {
    // Every user clicked half their searches: X − R·Y = 0 for each, so σ² = 0 exactly.
    expect(armFromRatioSums(sums([[1, 2], [5, 10], [2, 4]])).variance).toBe(0)
    // Users (x, y) = (2, 2), (0, 2): R = ½, m_x = 1, m_y = 2, v_x = 2, v_y = 0, c = 0 → σ² = 2/4 = 0.5.
    expect(armFromRatioSums(sums([[2, 2], [0, 2]])).variance).toBeCloseTo(0.5, 15)
  })

  it('ignores units with a zero denominator and has no variance with fewer than 2 units', () => {
    const s = sums([[0, 0], [3, 4]])
    expect(s.units).toBe(1)
    expect(armFromRatioSums(s)).toEqual({ n: 1, mean: 0.75, variance: 0 })
    expect(armFromRatioSums(emptyRatioSums())).toEqual({ n: 0, mean: 0, variance: 0 })
    expect(() => armFromRatioSums({ ...emptyRatioSums(), sumX: Number.NaN })).toThrow(RangeError)
  })
})
