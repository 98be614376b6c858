/**
 * @module arm-stat
 * Per-arm sufficient statistics for a metric, as gbstats models them
 * (github.com/growthbook/growthbook, packages/stats/gbstats/models/statistics.py, MIT):
 * - a binary metric (`ProportionStatistic`): mean p = x/n, variance p(1 − p) (no n − 1 correction);
 * - a mean metric (`SampleMeanStatistic`): mean Σy/n, sample variance (Σy² − (Σy)²/n)/(n − 1),
 *   0 when n ≤ 1.
 * Pure: no I/O.
 */

/** What every test in this folder consumes. */
export interface ArmStat {
  /** Units (or exposures) in the arm. */
  n: number
  mean: number
  /** Per-unit variance of the metric (not of the mean). */
  variance: number
}

/** A binary metric: x successes out of n. */
export interface BinaryArm {
  n: number
  x: number
}

/** A mean metric given by its moments (variance with the n − 1 denominator). */
export interface MeanArm {
  n: number
  mean: number
  variance: number
}

export type ArmInput = BinaryArm | MeanArm

function assertCount(n: number, name: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`)
}

/** gbstats ProportionStatistic: mean x/n, variance p(1 − p). */
export function armFromCounts({ n, x }: BinaryArm): ArmStat {
  assertCount(n, 'n')
  if (!Number.isFinite(x) || x < 0 || x > n) throw new RangeError(`x must be in [0, n], got ${x} of ${n}`)
  const mean = n === 0 ? 0 : x / n
  return { n, mean, variance: mean * (1 - mean) }
}

/** gbstats SampleMeanStatistic from running sums. */
export function armFromSums({ n, sum, sumSquares }: { n: number; sum: number; sumSquares: number }): ArmStat {
  assertCount(n, 'n')
  const mean = n === 0 ? 0 : sum / n
  const variance = n <= 1 ? 0 : (sumSquares - (sum * sum) / n) / (n - 1)
  return { n, mean, variance }
}

/** Sufficient statistics of per-unit values (e.g. each exposure's reciprocal rank). */
export function armFromValues(values: readonly number[]): ArmStat {
  let sum = 0
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`metric values must be finite, got ${v}`)
    sum += v
  }
  const n = values.length
  const mean = n === 0 ? 0 : sum / n
  // Two-pass variance: the textbook sums formula loses digits when the mean is large.
  let ss = 0
  for (const v of values) ss += (v - mean) * (v - mean)
  return { n, mean, variance: n <= 1 ? 0 : ss / (n - 1) }
}

/** Normalise either input shape to an ArmStat. */
export function toArmStat(arm: ArmInput): ArmStat {
  if ('x' in arm) return armFromCounts(arm)
  assertCount(arm.n, 'n')
  if (!Number.isFinite(arm.mean)) throw new RangeError(`mean must be finite, got ${arm.mean}`)
  if (!Number.isFinite(arm.variance) || arm.variance < 0) {
    throw new RangeError(`variance must be a finite number ≥ 0, got ${arm.variance}`)
  }
  return { n: arm.n, mean: arm.mean, variance: arm.variance }
}
