/**
 * References: p-values from GrowthBook's gbstats `check_srm` itself (packages/stats/gbstats/utils.py
 * at commit 8f1db4456915a8e7b7faf23d5632ca7219d2f469, SciPy 1.17.1); GrowthBook publishes no SRM
 * test vector. χ² values computed by hand from the definition.
 */
import { describe, expect, it } from 'vitest'
import { assignedShares, srmCheck } from './srm-check'

describe('srmCheck', () => {
  it.each([
    [[5000, 5200], [0.5, 0.5], 0.0476703806561615, false],
    [[4900, 5100], [0.5, 0.5], 0.04550026389635857, false],
    [[1000, 1100, 900], [1 / 3, 1 / 3, 1 / 3], 4.539992976248486e-5, true],
    [[5000, 5500], [0.5, 0.5], 1.0635492679527356e-6, true],
    [[820, 180], [0.8, 0.2], 0.11384629800665763, false],
  ])('%j against %j (gbstats check_srm)', (counts, weights, p, mismatch) => {
    const r = srmCheck(counts, weights)
    expect(Math.abs(r.p - p)).toBeLessThanOrEqual(1e-9 * p)
    expect(r.mismatch).toBe(mismatch)
    expect(r.dof).toBe(counts.length - 1)
  })

  it('computes χ² = Σ (o − e)²/e with e from the weights', () => {
    const r = srmCheck([5000, 5200], [0.5, 0.5])
    expect(r.expected).toEqual([5100, 5100])
    expect(r.chi2).toBeCloseTo((100 * 100 * 2) / 5100, 12)
    // Weights need not sum to 1.
    expect(srmCheck([5000, 5200], [1, 1]).chi2).toBeCloseTo(r.chi2, 12)
  })

  it('skips zero-weight arms in the χ² and reports p = 1 with no units, as gbstats', () => {
    expect(srmCheck([100, 0], [1, 0])).toMatchObject({ chi2: 0, p: 1, mismatch: false, zeroWeightUnits: 0 })
    expect(srmCheck([0, 0], [0.5, 0.5])).toMatchObject({ chi2: 0, p: 1, mismatch: false })
  })

  it('calls any unit in a zero-weight arm a mismatch, whatever the χ² p (assignment never picks such an arm)', () => {
    const r = srmCheck([500, 495, 5], [0.5, 0.5, 0])
    expect(r.p).toBeGreaterThan(0.5)
    expect(r).toMatchObject({ mismatch: true, zeroWeightUnits: 5 })
  })

  it('reports the assigned share of each arm (normalised weights) next to the observed share', () => {
    // Weights the schema accepts (sum 0.99..1.01) are not shares until normalised: 0.3/0.99, 0.69/0.99.
    const r = srmCheck([300, 700], [0.3, 0.69])
    expect(r.assignedShares[0]).toBeCloseTo(0.3 / 0.99, 14)
    expect(r.assignedShares[1]).toBeCloseTo(0.69 / 0.99, 14)
    expect(r.observedShares).toEqual([0.3, 0.7])
    expect(r.expected[0]).toBeCloseTo((1000 * 0.3) / 0.99, 10)
    expect(srmCheck([0, 0], [0.5, 0.5])).toMatchObject({ assignedShares: [0.5, 0.5], observedShares: null })
    expect(assignedShares([1, 3, 0])).toEqual([0.25, 0.75, 0])
    expect(() => assignedShares([0, 0])).toThrow(RangeError)
  })

  it('takes a threshold', () => {
    expect(srmCheck([5000, 5200], [0.5, 0.5], 0.05).mismatch).toBe(true)
  })

  it('rejects malformed input', () => {
    expect(() => srmCheck([1], [1])).toThrow(RangeError)
    expect(() => srmCheck([1, 2], [1])).toThrow(RangeError)
    expect(() => srmCheck([1, -2], [0.5, 0.5])).toThrow(RangeError)
    expect(() => srmCheck([1, 2], [0, 0])).toThrow(RangeError)
  })
})
