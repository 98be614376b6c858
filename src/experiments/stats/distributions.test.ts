/**
 * Reference values: the printed t and χ² tables (t_{0.975,10} = 2.228139, t_{0.975,1} = 12.706205,
 * χ²_{0.95,1} = 3.841459, χ²_{0.95,2} = 5.991465) and SciPy 1.17.1 (`scipy.stats.t`, `chi2`, `norm`,
 * `scipy.special.betainc`, `gammainc`, `gammaln`; Boost/Cephes implementations, independent of ours).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  chiSquareCdf,
  chiSquareSf,
  logGamma,
  normalCdf,
  normalQuantile,
  regularizedGammaP,
  regularizedGammaQ,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
  studentTSf,
  studentTTwoSidedP,
} from './distributions'

/** |got − want| ≤ rel·|want| (+ a tiny absolute floor for values near 0). */
function expectRel(got: number, want: number, rel = 1e-10, abs = 1e-300) {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want) + abs)
}

describe('logGamma', () => {
  it.each([
    [0.1, 2.252712651734206],
    [0.5, 0.5723649429247],
    [1, 0],
    [2.5, 0.2846828704729192],
    [10, 12.801827480081469],
    [171.3, 708.1149470389971],
    [1e5, 1051287.7089736569],
  ])('lnΓ(%d)', (x, want) => expectRel(logGamma(x), want, 1e-13, 1e-14))

  it('is NaN outside x > 0', () => expect(logGamma(0)).toBeNaN())
})

describe('regularizedIncompleteBeta', () => {
  it.each([
    [0.3, 2, 3, 0.34829999999999994],
    [0.9, 0.5, 0.5, 0.7951672353008665],
    [0.01, 10, 0.5, 1.770034965528571e-21],
    [0.5, 200, 300, 0.9999964565197356],
    [0.999, 3000, 0.5, 0.01428560678371607],
  ])('I_%d(%d, %d)', (x, a, b, want) => expectRel(regularizedIncompleteBeta(x, a, b), want, 1e-11))

  it('is 0 at x = 0 and 1 at x = 1, NaN for bad parameters', () => {
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0)
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1)
    expect(regularizedIncompleteBeta(0.5, 0, 3)).toBeNaN()
  })

  it('satisfies I_x(a, b) = 1 − I_{1−x}(b, a)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0.1, max: 500, noNaN: true }),
        fc.double({ min: 0.1, max: 500, noNaN: true }),
        (x, a, b) => {
          const lhs = regularizedIncompleteBeta(x, a, b)
          expect(lhs).toBeGreaterThanOrEqual(0)
          expect(lhs).toBeLessThanOrEqual(1)
          expect(Math.abs(lhs - (1 - regularizedIncompleteBeta(1 - x, b, a)))).toBeLessThan(1e-12)
        }
      )
    )
  }, 30_000)
})

describe('regularized incomplete gamma', () => {
  it.each([
    [0.5, 0.1, 0.34527915398142317, 0.6547208460185768],
    [3, 2, 0.32332358381693654, 0.6766764161830634],
    [10, 15, 0.9301463393005901, 0.06985366069940986],
    [100, 90, 0.15822098918643007, 0.84177901081357],
  ])('P(%d, %d) and Q', (a, x, p, q) => {
    expectRel(regularizedGammaP(a, x), p, 1e-12)
    expectRel(regularizedGammaQ(a, x), q, 1e-12)
  })
})

describe('Student t', () => {
  it('matches the printed table: t_{0.975,10} = 2.228139, t_{0.975,1} = 12.706205', () => {
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 6)
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 6)
  })

  it.each([
    [0.975, 10, 2.228138851986274],
    [0.975, 1, 12.706204736174694],
    [0.975, 2, 4.302652729749462],
    [0.975, 30, 2.0422724563012378],
    [0.95, 5, 2.0150483733330233],
    [0.995, 3, 5.840909309733355],
    [0.975, 1e6, 1.959966356814107],
    [0.999999, 4, 41.5778541501515],
    [0.975, 0.5, 164.55767348048818],
    [0.975, 55.7, 2.0034788415684046],
  ])('quantile(%d, dof %d) = SciPy', (p, dof, want) => {
    expectRel(studentTQuantile(p, dof), want, 1e-9)
    expectRel(studentTQuantile(1 - p, dof), -want, 1e-9)
  })

  it.each([
    [2.0, 5, 0.050969739414929174],
    [-1.5, 3, 0.8847080673775886],
    [10, 2, 0.004926228511662845],
    [50, 1, 0.006365349100972797],
    [0.3, 1000, 0.38211975208362203],
    [5, 100000, 2.8713508393208397e-7],
    [40, 30, 6.863022597203209e-28],
  ])('sf(%d, dof %d) = SciPy', (t, dof, want) => {
    expectRel(studentTSf(t, dof), want, 1e-9)
  })

  it('cdf, sf and two-sided p agree', () => {
    expect(studentTCdf(0, 7)).toBe(0.5)
    expectRel(studentTCdf(2, 5) + studentTSf(2, 5), 1, 1e-15)
    expectRel(studentTTwoSidedP(-2, 5), 2 * 0.050969739414929174, 1e-9)
  })

  it('quantile inverts the CDF', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0.5, max: 1e5, noNaN: true }),
        (p, dof) => {
          expect(Math.abs(studentTCdf(studentTQuantile(p, dof), dof) - p)).toBeLessThan(1e-12)
        }
      )
    )
  }, 30_000)

  it('handles the edges', () => {
    expect(studentTQuantile(0.5, 3)).toBe(0)
    expect(studentTQuantile(1, 3)).toBe(Number.POSITIVE_INFINITY)
    expect(studentTQuantile(0, 3)).toBe(Number.NEGATIVE_INFINITY)
    expect(studentTQuantile(1.5, 3)).toBeNaN()
    expect(studentTSf(Number.POSITIVE_INFINITY, 3)).toBe(0)
    // Past 1e7 dof the normal is used.
    expectRel(studentTQuantile(0.975, 1e9), 1.959963984540054, 1e-7)
  })
})

describe('χ²', () => {
  it('χ² survival at the 5% critical values is 0.05 (printed table)', () => {
    expect(chiSquareSf(3.841459, 1)).toBeCloseTo(0.05, 7)
    expect(chiSquareSf(5.991465, 2)).toBeCloseTo(0.05, 7)
  })

  it.each([
    [3.841459, 1, 0.04999999465319563],
    [5.991465, 2, 0.04999998867770084],
    [10, 3, 0.01856613546304325],
    [0.5, 4, 0.9735009788392561],
    [100, 50, 3.454931382984871e-5],
    [1e-3, 1, 0.9747728793699604],
    [30, 2, 3.0590232050182594e-7],
    [200, 2, 3.7200759760208177e-44],
  ])('sf(%d, k %d) = SciPy', (x, k, want) => {
    expectRel(chiSquareSf(x, k), want, 1e-10)
    expectRel(chiSquareCdf(x, k), 1 - want, 1e-10, 1e-15)
  })

  it('is 1 below 0 (survival)', () => expect(chiSquareSf(0, 3)).toBe(1))
})

describe('normal', () => {
  it.each([
    [-3, 0.0013498980316300933],
    [-1.96, 0.024997895148220435],
    [0, 0.5],
    [1, 0.8413447460685429],
    [6, 0.9999999990134123],
  ])('Φ(%d)', (z, want) => expectRel(normalCdf(z), want, 1e-12))

  it('quantile', () => {
    expectRel(normalQuantile(0.975), 1.959963984540054, 1e-12)
    expectRel(normalQuantile(1e-10), -6.361340902404056, 1e-9)
  })
})
