/**
 * @module ratio-stat
 * A ratio metric over randomisation units, with its variance by the delta method, as GrowthBook's
 * gbstats models it (github.com/growthbook/growthbook, packages/stats/gbstats/models/statistics.py
 * `RatioStatistic`, `compute_covariance`; utils.py `variance_of_ratios`; MIT) and as Deng, Knoblich
 * and Lu describe it ("Applying the Delta Method in Metric Analytics", KDD 2018, §3):
 *
 * Each unit (user) i contributes a numerator X_i (e.g. its rank-1 clicks) and a denominator Y_i
 * (e.g. its searches). The arm's metric is R = ΣX/ΣY — the same figure as pooling every exposure —
 * but its sampling variance comes from the spread *between units*, so a user who searches ten
 * times counts as one observation, not ten. With n units, sample means m_x, m_y, sample variances
 * v_x, v_y and covariance c (all with the n − 1 denominator):
 *
 *   per-unit variance  σ² = v_x/m_y² + v_y·m_x²/m_y⁴ − 2·c·m_x/m_y³,  Var(R) ≈ σ²/n.
 *
 * The tests in this folder take { n, mean: R, variance: σ² } like any other arm (`ArmStat`).
 * Pure: no I/O.
 */
import type { ArmStat } from './arm-stat'

/** Sufficient statistics of a ratio metric over units: the sums SQL (or a simulation) produces. */
export interface RatioSums {
  /** Units with a non-zero denominator (units with no exposure for the metric are not counted). */
  units: number
  sumX: number
  sumX2: number
  sumY: number
  sumY2: number
  sumXY: number
}

export function emptyRatioSums(): RatioSums {
  return { units: 0, sumX: 0, sumX2: 0, sumY: 0, sumY2: 0, sumXY: 0 }
}

/** Adds one unit's numerator and denominator (in place); a zero denominator adds nothing. */
export function addUnitToRatio(s: RatioSums, x: number, y: number): void {
  if (!(y > 0)) return
  s.units += 1
  s.sumX += x
  s.sumX2 += x * x
  s.sumY += y
  s.sumY2 += y * y
  s.sumXY += x * y
}

/**
 * gbstats `RatioStatistic`: mean ΣX/ΣY (0 when ΣY = 0), per-unit delta-method variance (0 when
 * n ≤ 1). A variance that rounding pushes a hair below 0 is 0.
 */
export function armFromRatioSums(s: RatioSums): ArmStat {
  const n = s.units
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`units must be a non-negative integer, got ${n}`)
  for (const k of ['sumX', 'sumX2', 'sumY', 'sumY2', 'sumXY'] as const) {
    if (!Number.isFinite(s[k])) throw new RangeError(`${k} must be finite, got ${s[k]}`)
  }
  const mean = s.sumY === 0 ? 0 : s.sumX / s.sumY
  if (n <= 1 || s.sumY === 0) return { n, mean, variance: 0 }
  const mx = s.sumX / n
  const my = s.sumY / n
  const vx = (s.sumX2 - (s.sumX * s.sumX) / n) / (n - 1)
  const vy = (s.sumY2 - (s.sumY * s.sumY) / n) / (n - 1)
  const c = (s.sumXY - (s.sumX * s.sumY) / n) / (n - 1)
  const variance = vx / (my * my) + (vy * mx * mx) / my ** 4 - (2 * c * mx) / my ** 3
  // Rounding only: the exact value is a variance of X − R·Y, never negative.
  return { n, mean, variance: variance > 1e-15 * Math.max(1, mean * mean) ? variance : 0 }
}
