import { describe, expect, it } from 'vitest'
import { budgetVerdict, medianInterval } from '../../bench/lib/stats'

describe('bench statistics: the median\'s interval and budget verdicts', () => {
  it('takes the sign-test order statistics (9 rounds: 2nd and 8th, 96.1 %)', () => {
    const nine = [9, 1, 8, 2, 7, 3, 6, 4, 5]
    const i = medianInterval(nine)
    expect([i.lo, i.hi]).toEqual([2, 8])
    expect(i.coverage).toBeCloseTo(1 - 2 * (10 / 512), 10)
    // 20 values: P(B ≤ 5) = 0.0207 ≤ 0.025 < P(B ≤ 6) = 0.0577, so the 6th and 15th.
    const twenty = Array.from({ length: 20 }, (_, j) => j + 1)
    expect(medianInterval(twenty)).toMatchObject({ lo: 6, hi: 15 })
    expect(medianInterval(twenty).coverage).toBeGreaterThanOrEqual(0.95)
  })

  it('falls back to the whole range, with the coverage it reaches, when too few values', () => {
    const five = medianInterval([3, 1, 2, 5, 4])
    expect([five.lo, five.hi]).toEqual([1, 5])
    expect(five.coverage).toBeCloseTo(1 - 2 / 32, 10)
    expect(medianInterval([]).coverage).toBe(0)
  })

  it('says met, not met or undecided by where the interval lies', () => {
    expect(budgetVerdict([0.72, 0.75, 0.8, 0.71, 0.9, 0.74, 0.76, 0.78, 0.73], 0.7, 'min')).toMatch(/^\*\*met\*\* \(median 0\.75, 96\.1 % interval 0\.72–0\.80\)$/u)
    expect(budgetVerdict([0.6, 0.66, 0.72, 0.69, 0.74, 0.7, 0.65, 0.71, 0.68], 0.7, 'min')).toMatch(/^\*\*undecided\*\*/u)
    expect(budgetVerdict([12, 13, 11, 14, 12.5, 13.5, 11.5, 12, 13], 10, 'max')).toMatch(/^\*\*not met\*\*/u)
    expect(budgetVerdict([2.1, 2.4, 2.2, 2.9, 2.5, 2.3, 2.6, 2.2, 2.8], 3, 'max')).toMatch(/^\*\*met\*\*/u)
  })
})
