/**
 * References, independent of this code: SciPy 1.17.1 `stats.ttest_rel(b, a)` and
 * `stats.permutation_test((b, a), mean-difference, permutation_type='samples', n_resamples=inf)`
 * (exact enumeration of sign flips), plus a hand count for the small case.
 */
import { describe, expect, it } from 'vitest'
import { comparePaired, EXACT_LIMIT, pairedTTest, randomisationTest } from './paired-comparison'

const byQuery = (xs: readonly number[]) => new Map(xs.map((x, i) => [`q${i + 1}`, x]))

describe('comparePaired', () => {
  const a = [0.5, 0.2, 0.9, 0.4, 0.7, 0.3]
  const b = [0.6, 0.2, 1.0, 0.7, 0.65, 0.5]

  it('mean difference, wins/ties/losses, paired t and the exact randomisation test (6 queries)', () => {
    const c = comparePaired(byQuery(a), byQuery(b), 1)
    expect(c.queries).toBe(6)
    expect(c.meanDifference).toBeCloseTo(0.65 / 6, 12)
    expect([c.wins, c.ties, c.losses]).toEqual([4, 1, 1])
    // scipy.stats.ttest_rel(b, a): t = 2.07107221060079, p = 0.09311260456851629
    expect(c.pairedT.t).toBeCloseTo(2.07107221060079, 10)
    expect(c.pairedT.dof).toBe(5)
    expect(c.pairedT.p).toBeCloseTo(0.09311260456851629, 9)
    // By hand: d = 0.1, 0, 0.1, 0.3, −0.05, 0.2; Σ|d| = 0.75 over 5 non-zero d, |Σd| = 0.65. Only
    // "all as observed or with 0.05 flipped" (and their mirrors) reach |Σ| ≥ 0.65: 4 of 32 = 0.125
    // (scipy permutation_test: 0.125).
    expect(c.randomisation).toEqual({ p: 0.125, method: 'exact', samples: 32 })
  })

  it('pairs only queries both systems have, and says "no difference" for identical runs', () => {
    const c = comparePaired(byQuery(a), new Map([['q1', 0.5], ['q9', 1]]), 1)
    expect(c.queries).toBe(1)
    const same = comparePaired(byQuery(a), byQuery(a), 1)
    expect([same.wins, same.ties, same.losses, same.meanDifference]).toEqual([0, 6, 0, 0])
    expect(same.pairedT.p).toBe(1)
    expect(same.randomisation.p).toBe(1)
  })

  it('Monte Carlo above the exact limit agrees with scipy’s exact enumeration (22 queries)', () => {
    const a2 = [0.625, 0.897, 0.776, 0.225, 0.3, 0.874, 0.005, 0.821, 0.797, 0.468, 0.303, 0.278, 0.255, 0.445, 0.505, 0.553, 0.996, 0.793, 0.622, 0.989, 0.215, 0.16]
    const b2 = [0.452, 1.031, 0.887, 0.268, -0.123, 0.846, 0.075, 0.924, 0.571, 0.452, 0.187, 0.196, 0.547, 0.363, 0.578, 0.81, 0.959, 0.851, 0.724, 1.082, 0.05, 0.255]
    expect(a2.length).toBeGreaterThan(EXACT_LIMIT)
    const c = comparePaired(byQuery(a2), byQuery(b2), 42)
    expect(c.pairedT.p).toBeCloseTo(0.9141136557905201, 9) // scipy ttest_rel
    expect(c.randomisation.method).toBe('monte_carlo')
    expect(Math.abs(c.randomisation.p - 0.9162678718566895)).toBeLessThan(0.01) // scipy exact; MC se ≈ 0.002
    // Seeded: the same seed gives the same p.
    expect(comparePaired(byQuery(a2), byQuery(b2), 42).randomisation.p).toBe(c.randomisation.p)
  })

  it('handles degenerate inputs without NaN', () => {
    expect(pairedTTest([])).toEqual({ t: null, dof: 0, p: 1 })
    expect(pairedTTest([0.2, 0.2, 0.2])).toEqual({ t: null, dof: 2, p: null })
    expect(randomisationTest([0, 0], 1)).toEqual({ p: 1, method: 'exact', samples: 1 })
    // A single non-zero difference: both signs give the same |Σ|, so p = 1.
    expect(randomisationTest([0.3], 1).p).toBe(1)
  })
})
