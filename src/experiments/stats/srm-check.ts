/**
 * @module srm-check
 * Sample-ratio mismatch: Pearson's χ² goodness of fit of the units per arm against the configured
 * weights, as GrowthBook's gbstats `check_srm` (packages/stats/gbstats/utils.py, MIT):
 * e_i = w_i/Σw · Σo, χ² = Σ (o_i − e_i)²/e_i over arms with w_i > 0, p = χ²_sf(χ², k − 1),
 * p = 1 when no unit was observed. GrowthBook's default alert threshold is p < 0.001.
 *
 * One departure from gbstats: a unit in a zero-weight arm is a mismatch on its own. The χ² skips
 * such arms (their expected count is 0), so gbstats reports p ≈ 1 however many units land there;
 * but assignment never picks a zero-weight arm (assign-variant.ts: its bucket range is empty) and
 * weights cannot change while an experiment runs (experiment-rules.ts), so any unit there is an
 * assignment or recording bug.
 * Pure: no I/O.
 */
import { chiSquareSf } from './distributions'

export const SRM_THRESHOLD = 0.001

export interface SrmResult {
  chi2: number
  /** k − 1, k the number of arms (gbstats counts every arm, zero-weight ones too). */
  dof: number
  p: number
  /** p below the threshold, or units in a zero-weight arm: the split is not what was configured; distrust the arm comparison. */
  mismatch: boolean
  /** Units observed in arms whose weight is 0 (module doc: a mismatch whatever p says). */
  zeroWeightUnits: number
  /** Expected units per arm under the configured weights. */
  expected: number[]
  /** Each arm's share of the units under the configured weights, w_i / Σw (sums to 1). */
  assignedShares: number[]
  /** Each arm's share of the units observed, o_i / Σo; null when no unit was observed. */
  observedShares: number[] | null
}

/**
 * The share of units each arm is assigned: its weight over the weights' sum. Assignment
 * (assign-variant.ts, GrowthBook `getBucketRanges`) gives arm i the bucket range c·w_i, so among
 * units in the experiment arm i gets w_i / Σw whatever the coverage c; the schema lets Σw be
 * anywhere in [0.99, 1.01], so the raw weights are not shares.
 */
export function assignedShares(weights: readonly number[]): number[] {
  let total = 0
  for (const w of weights) {
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weights must be finite and ≥ 0, got ${w}`)
    total += w
  }
  if (!(total > 0)) throw new RangeError('the weights sum to 0')
  return weights.map((w) => w / total)
}

/**
 * @example srmCheck([5000, 5200], [0.5, 0.5]) // → { chi2: 3.9216, dof: 1, p: 0.0477, mismatch: false, ... }
 */
export function srmCheck(
  observedCounts: readonly number[],
  expectedWeights: readonly number[],
  threshold = SRM_THRESHOLD
): SrmResult {
  const k = observedCounts.length
  if (k < 2) throw new RangeError(`srmCheck needs at least 2 arms, got ${k}`)
  if (expectedWeights.length !== k) {
    throw new RangeError(`srmCheck: ${k} counts but ${expectedWeights.length} weights`)
  }
  let total = 0
  for (const o of observedCounts) {
    if (!Number.isFinite(o) || o < 0) throw new RangeError(`srmCheck: counts must be finite and ≥ 0, got ${o}`)
    total += o
  }
  for (const w of expectedWeights) {
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`srmCheck: weights must be finite and ≥ 0, got ${w}`)
  }
  if (!expectedWeights.some((w) => w > 0)) throw new RangeError('srmCheck: the weights sum to 0')

  const shares = assignedShares(expectedWeights)
  const expected = shares.map((s) => s * total)
  const dof = k - 1
  if (total === 0) return { chi2: 0, dof, p: 1, mismatch: false, zeroWeightUnits: 0, expected, assignedShares: shares, observedShares: null }
  const observedShares = observedCounts.map((o) => o / total)

  let chi2 = 0
  let zeroWeightUnits = 0
  observedCounts.forEach((o, i) => {
    const e = expected[i] as number
    if ((expectedWeights[i] as number) <= 0) {
      zeroWeightUnits += o
      return
    }
    chi2 += ((o - e) * (o - e)) / e
  })
  const p = chiSquareSf(chi2, dof)
  return { chi2, dof, p, mismatch: p < threshold || zeroWeightUnits > 0, zeroWeightUnits, expected, assignedShares: shares, observedShares }
}
