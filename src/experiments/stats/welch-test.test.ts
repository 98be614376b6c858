/**
 * References:
 * - "published": GrowthBook's own expectations in packages/stats/tests/frequentist/test_tests.py
 *   (github.com/growthbook/growthbook, MIT), given to 5 decimals.
 * - "gbstats": full-precision outputs of gbstats itself (packages/stats/gbstats at commit
 *   8f1db4456915a8e7b7faf23d5632ca7219d2f469, run with SciPy 1.17.1) for extra cases.
 */
import { describe, expect, it } from 'vitest'
import { armFromCounts, armFromSums, armFromValues } from './arm-stat'
import { sequentialRho, sequentialTest, SEQUENTIAL_METHOD } from './sequential-test'
import { welchTest, WELCH_METHOD, type ComparisonResult, type Effect } from './welch-test'

function close(got: number, want: number, rel = 1e-9) {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want)))
}

function expectEffect(e: Effect | null, want: { estimate: number; se: number; ci: [number, number]; p: number }, digits?: number) {
  expect(e).not.toBeNull()
  const got = e as Effect
  if (digits !== undefined) {
    expect(got.estimate).toBeCloseTo(want.estimate, digits)
    expect(got.se).toBeCloseTo(want.se, digits)
    expect(got.ci[0]).toBeCloseTo(want.ci[0], digits)
    expect(got.ci[1]).toBeCloseTo(want.ci[1], digits)
    expect(got.pValue).toBeCloseTo(want.p, digits)
  } else {
    close(got.estimate, want.estimate)
    close(got.se, want.se)
    close(got.ci[0], want.ci[0])
    close(got.ci[1], want.ci[1])
    close(got.pValue, want.p, 1e-8)
  }
}

// gbstats test_tests.py SampleMeanStatistic fixtures.
const meanA = armFromSums({ n: 3407, sum: 1396.87, sumSquares: 52377.9767 })
const meanB = armFromSums({ n: 3461, sum: 2422.7, sumSquares: 134698.29 })
const seqMeanA = armFromSums({ n: 3000, sum: 1396.87, sumSquares: 52377.9767 })

describe('welchTest (gbstats TwoSidedTTest)', () => {
  it('published binomial case: 14/28 vs 16/30', () => {
    const r = welchTest({ n: 28, x: 14 }, { n: 30, x: 16 })
    expect(r.method).toBe(WELCH_METHOD)
    expect(r.error).toBeNull()
    expectEffect(r.relative, { estimate: 0.06667, se: 0.2717, ci: [-0.47767, 0.61101], p: 0.80707 }, 4)
    // 5 decimals, as gbstats's own test rounds (se is published to 4 there).
    expect(r.relative?.ci[0]).toBeCloseTo(-0.47767, 5)
    expect(r.relative?.ci[1]).toBeCloseTo(0.61101, 5)
    expect(r.relative?.pValue).toBeCloseTo(0.80707, 5)
    expect(r.relative?.estimate).toBeCloseTo(0.06667, 5)
  })

  it('binomial case at full precision, absolute and relative (gbstats)', () => {
    const r = welchTest({ n: 28, x: 14 }, { n: 30, x: 16 })
    close(r.dof as number, 55.70744914862206)
    expectEffect(r.relative, {
      estimate: 0.06666666666666665,
      se: 0.27169855689735606,
      ci: [-0.4776740282706786, 0.6110073616040119],
      p: 0.8070716832021887,
    })
    expectEffect(r.absolute, {
      estimate: 0.033333333333333326,
      se: 0.13124354355497922,
      ci: [-0.2296095491043773, 0.29627621577104396],
      p: 0.8004455444388894,
    })
  })

  it('published sample-mean case, relative and absolute', () => {
    const r = welchTest(meanA, meanB)
    expectEffect(r.relative, { estimate: 0.70732, se: 0.37879, ci: [-0.03526, 1.44989], p: 0.06191 }, 5)
    expectEffect(r.absolute, { estimate: 0.29, se: 0.12478, ci: [0.04538, 0.53462], p: 0.02016 }, 5)
    close(r.dof as number, 5841.742032093565)
  })

  it('a CTR-sized case and alpha = 0.1 (gbstats)', () => {
    const r = welchTest({ n: 1000, x: 120 }, { n: 1010, x: 150 })
    expectEffect(r.relative, {
      estimate: 0.2376237623762376,
      se: 0.14116454574233378,
      ci: [-0.039221602979597425, 0.5144691277320727],
      p: 0.0924714363159087,
    })
    expectEffect(r.absolute, {
      estimate: 0.028514851485148512,
      se: 0.01519230492988691,
      ci: [-0.0012795929115969537, 0.05830929588189398],
      p: 0.06067388101003357,
    })
    const r90 = welchTest({ n: 28, x: 14 }, { n: 30, x: 16 }, { alpha: 0.1 })
    close(r90.relative?.ci[0] as number, -0.38779537410525117)
    close(r90.absolute?.ci[1] as number, 0.2528604788700948)
  })

  it('a control arm of variance 0 (no one clicked) is still tested: absolute difference, no relative lift', () => {
    // gbstats gives no effect here (ZERO_NEGATIVE_VARIANCE); the difference is still testable.
    // By hand: p_b = 150/1010, v_b = p_b(1 − p_b) = 0.126507..., se = √(v_b/1010) = 0.0111917...,
    // dof = n_b − 1 = 1009 (Welch–Satterthwaite with v_a = 0), t = 13.27 → p far below 1e-30.
    const r: ComparisonResult = welchTest({ n: 1000, x: 0 }, { n: 1010, x: 150 })
    expect(r).toMatchObject({ error: null, relative: null, relativeError: 'baseline_zero' })
    const pb = 150 / 1010
    close(r.absolute?.estimate as number, pb, 1e-14)
    close(r.absolute?.se as number, Math.sqrt((pb * (1 - pb)) / 1010), 1e-14)
    close(r.dof as number, 1009, 1e-12)
    expect(r.absolute?.pValue).toBeLessThan(1e-30)
    expect(r.absolute?.ci[0]).toBeGreaterThan(0)
  })

  it('a treatment arm of variance 0 at 0 has an absolute test; its relative lift is degenerate and left out', () => {
    // Control 14/28 (v_a = 0.25, se = √(0.25/28)), treatment 0/30: Δ = −0.5, dof = 27.
    const r = welchTest({ n: 28, x: 14 }, { n: 30, x: 0 })
    expect(r).toMatchObject({ error: null, relative: null, relativeError: 'zero_variance' })
    close(r.absolute?.estimate as number, -0.5, 1e-14)
    close(r.absolute?.se as number, Math.sqrt(0.25 / 28), 1e-14)
    close(r.dof as number, 27, 1e-12)
    // Sequential too, and neither gives a non-finite number anywhere.
    const s = sequentialTest({ n: 28, x: 14 }, { n: 30, x: 0 })
    expect(s).toMatchObject({ error: null, relative: null, relativeError: 'zero_variance' })
    for (const x of [r, s]) {
      const nums = [x.dof, x.absolute?.estimate, x.absolute?.se, x.absolute?.pValue, ...(x.absolute?.ci ?? [])]
      expect(nums.every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true)
    }
  })

  it('a control of variance 0 at a non-zero mean has both effects (relative se from the treatment alone)', () => {
    // Control: every one of 20 users clicked (mean 1, v_a = 0); treatment 15/20 (v_b = 0.1875).
    const r = welchTest({ n: 20, x: 20 }, { n: 20, x: 15 })
    close(r.relative?.estimate as number, -0.25, 1e-14)
    close(r.relative?.se as number, Math.sqrt(0.1875 / 20), 1e-14)
    close(r.absolute?.se as number, Math.sqrt(0.1875 / 20), 1e-14)
    close(r.dof as number, 19, 1e-12)
  })

  it('both arms of variance 0 give no effect at all', () => {
    const r = welchTest({ n: 1000, x: 0 }, { n: 1010, x: 0 })
    expect(r).toMatchObject({ error: 'zero_variance', relativeError: 'zero_variance', absolute: null, relative: null, dof: null })
  })

  it('fewer than 2 units, or a zero mean baseline, gives no effect', () => {
    expect(welchTest({ n: 1, x: 1 }, { n: 10, x: 5 }).error).toBe('too_few_units')
    const zeroBase = welchTest({ n: 10, mean: 0, variance: 1 }, { n: 10, mean: 1, variance: 1 })
    expect(zeroBase).toMatchObject({ error: null, relative: null, relativeError: 'baseline_zero' })
    // The absolute difference is Welch's t on (0, 1) vs (1, 1), n = 10 each: t = 1/√0.2, dof = 18.
    close(zeroBase.absolute?.se as number, Math.sqrt(0.2), 1e-14)
    close(zeroBase.dof as number, 18, 1e-12)
  })

  it('a mean metric from per-unit values equals the sums form', () => {
    const values = [0, 1, 0.5, 0.333, 0, 1, 0.25, 0]
    const fromValues = armFromValues(values)
    const sum = values.reduce((s, v) => s + v, 0)
    const sumSquares = values.reduce((s, v) => s + v * v, 0)
    const fromSums = armFromSums({ n: values.length, sum, sumSquares })
    close(fromValues.mean, fromSums.mean, 1e-14)
    close(fromValues.variance, fromSums.variance, 1e-12)
    // A binary metric as values equals the counts form except for the n − 1 variance.
    const binary = armFromValues([1, 0, 0, 1])
    expect(binary.variance).toBeCloseTo((armFromCounts({ n: 4, x: 2 }).variance * 4) / 3, 14)
  })

  it('rejects bad input', () => {
    expect(() => welchTest({ n: 10, x: 11 }, { n: 10, x: 5 })).toThrow(RangeError)
    expect(() => welchTest({ n: 10, x: 5 }, { n: 10, x: 5 }, { alpha: 0 })).toThrow(RangeError)
    expect(() => welchTest({ n: 10, mean: 1, variance: -1 }, { n: 10, x: 5 })).toThrow(RangeError)
  })
})

describe('sequentialTest (gbstats SequentialTwoSidedTTest)', () => {
  it('published proportion case (N* = 5000)', () => {
    const r = sequentialTest({ n: 3000, x: 1396 }, { n: 3461, x: 2422 })
    expect(r.method).toBe(SEQUENTIAL_METHOD)
    expectEffect(r.relative, { estimate: 0.50386, se: 0.03386, ci: [0.40098, 0.60675], p: 0 }, 5)
    close(r.relative?.ci[0] as number, 0.4009784966859415)
    close(r.relative?.ci[1] as number, 0.6067482066783576)
    close(r.relative?.pValue as number, 5.174716682839778e-44, 1e-6)
    close(r.absolute?.ci[0] as number, 0.19804879693925878)
  })

  it('published sample-mean case (N* = 1000)', () => {
    const r = sequentialTest(seqMeanA, meanB, { tuning: 1000 })
    expectEffect(r.relative, { estimate: 0.50336, se: 0.33341, ci: [-0.55844, 1.56516], p: 1 }, 5)
    close(r.absolute?.ci[0] as number, -0.17908917909394972)
    close(r.absolute?.ci[1] as number, 0.6478425124272831)
  })

  it('a CTR-sized case (gbstats)', () => {
    const r = sequentialTest({ n: 1000, x: 120 }, { n: 1010, x: 150 })
    expectEffect(r.relative, {
      estimate: 0.2376237623762376,
      se: 0.14116454574233378,
      ci: [-0.203192923487798, 0.6784404482402733],
      p: 0.6960921218516956,
    })
    close(r.absolute?.pValue as number, 0.5354312744112575)
  })

  it('its interval is wider than the fixed-horizon one at the same data', () => {
    const fixed = welchTest({ n: 1000, x: 120 }, { n: 1010, x: 150 })
    const seq = sequentialTest({ n: 1000, x: 120 }, { n: 1010, x: 150 })
    expect((seq.relative as Effect).ci[0]).toBeLessThan((fixed.relative as Effect).ci[0])
    expect((seq.relative as Effect).ci[1]).toBeGreaterThan((fixed.relative as Effect).ci[1])
  })

  it('ρ follows eq. 161 of arXiv:2103.06476', () => {
    const l = -2 * Math.log(0.05)
    expect(sequentialRho(0.05, 5000)).toBeCloseTo(Math.sqrt((l + Math.log(l + 1)) / 5000), 15)
  })
})
