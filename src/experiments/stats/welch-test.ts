/**
 * @module welch-test
 * Two-arm comparison exactly as GrowthBook's frequentist engine computes it
 * (github.com/growthbook/growthbook, packages/stats/gbstats/frequentist/tests.py `TwoSidedTTest`,
 * models/tests.py `EffectMoments`, utils.py `frequentist_variance`/`variance_of_ratios`; MIT):
 * - absolute lift Δ = m_b − m_a, se² = v_a/n_a + v_b/n_b;
 * - relative lift Δ/|m_a|, delta-method se² = v_b/(n_b·m_a²) + v_a·m_b²/(n_a·m_a⁴);
 * - Welch–Satterthwaite dof = (v_a/n_a + v_b/n_b)² / (v_a²/(n_a²(n_a−1)) + v_b²/(n_b²(n_b−1)));
 * - CI = estimate ± t_{1−α/2, dof}·se, p = 2·P(T_dof > |estimate/se|).
 * Arm a is the control (baseline), arm b the treatment.
 * One departure from gbstats: it gives no effect at all when either arm's variance is 0
 * (`ZERO_NEGATIVE_VARIANCE`), e.g. an arm in which no one clicked. Such an arm is still a sample
 * (its mean is known, its spread is 0), and Welch's test needs only se² = v_a/n_a + v_b/n_b > 0:
 * the absolute difference is tested whenever one arm varies (dof then n − 1 of the other arm).
 * The relative lift is left out on its own (`relativeError`) when the control mean is 0 or its
 * delta-method variance is 0 (a constant treatment at 0), where it is undefined or degenerate.
 * Check (gbstats test_tests.py
 * `test_two_sided_ttest_binom`): 14/28 vs 16/30 → relative 0.06667, se 0.2717,
 * CI (−0.47767, 0.61101), p = 0.80707.
 * Pure: no I/O.
 */
import { toArmStat, type ArmInput, type ArmStat } from './arm-stat'
import { studentTQuantile, studentTTwoSidedP } from './distributions'

export const WELCH_METHOD = 'gbstats-two-sided-ttest' as const
export const WELCH_METHOD_LABEL =
  "Welch two-sided t-test (GrowthBook gbstats TwoSidedTTest: Welch–Satterthwaite dof, delta-method relative lift)"

/** One effect (absolute or relative) with its 1 − α interval. */
export interface Effect {
  estimate: number
  /** Standard error of the estimate. */
  se: number
  /** Two-sided 1 − α confidence interval [lower, upper]. */
  ci: [number, number]
  pValue: number
}

/**
 * Why an effect could not be computed:
 * - `too_few_units`: an arm has fewer than 2 units (no variance, no dof): no effect at all;
 * - `zero_variance`: both arms have variance 0 (every unit the same in each): no effect at all;
 *   for the relative lift alone, its delta-method variance is 0;
 * - `baseline_zero`: the control mean is 0, so the relative lift is undefined (the absolute
 *   difference is still tested).
 */
export type TestError = 'too_few_units' | 'zero_variance' | 'baseline_zero'

export interface ComparisonResult {
  method: string
  alpha: number
  control: ArmStat
  treatment: ArmStat
  /** Welch–Satterthwaite degrees of freedom (null when the test could not run). */
  dof: number | null
  /** The test: `significant` in the report is this effect's p < α (its interval excludes 0). */
  absolute: Effect | null
  relative: Effect | null
  /** Why there is no effect at all (absolute and relative both null). */
  error: TestError | null
  /** Why there is no relative lift: `error`, or its own reason when only the relative lift is missing. */
  relativeError: TestError | null
}

export interface TestOptions {
  /** Significance level; 0.05 → 95% intervals (gbstats default). */
  alpha?: number
}

/** Point estimate and standard error of one effect. */
export interface Moment {
  estimate: number
  se: number
}

/** Point estimates and standard errors of both effects (the relative one, or why it has none). */
export interface EffectMoments {
  absolute: Moment
  relative: Moment | TestError
  dof: number
}

/**
 * gbstats EffectMoments for both difference types, except that one arm of variance 0 still has
 * an absolute difference (module doc). Never returns a NaN or an infinite se: every division is
 * by a quantity checked > 0 first.
 */
export function effectMoments(a: ArmStat, b: ArmStat): EffectMoments | TestError {
  if (a.n < 2 || b.n < 2) return 'too_few_units'
  // A variance a rounding hair below 0 (armFromSums' one-pass formula) is 0.
  const va = a.variance > 0 ? a.variance / a.n : 0
  const vb = b.variance > 0 ? b.variance / b.n : 0
  if (!(va + vb > 0)) return 'zero_variance'

  const absolute = { estimate: b.mean - a.mean, se: Math.sqrt(va + vb) }
  // Welch–Satterthwaite with the per-arm variances of the mean; an arm with va = 0 adds 0 to the
  // denominator, which stays > 0 because the other arm's term is.
  const dof = (va + vb) ** 2 / ((vb * vb) / (b.n - 1) + (va * va) / (a.n - 1))
  // Only squares that underflow (variances near 1e-160) could make it 0/0.
  if (!(dof > 0 && Number.isFinite(dof))) return 'zero_variance'
  return { absolute, relative: relativeMoment(a, b, va, vb), dof }
}

/** variance_of_ratios(mean_m = m_b, var_m = v_b/n_b, mean_d = m_a, var_d = v_a/n_a, cov = 0). */
function relativeMoment(a: ArmStat, b: ArmStat, va: number, vb: number): Moment | TestError {
  if (a.mean === 0) return 'baseline_zero'
  const ma2 = a.mean * a.mean
  const relVar = vb / ma2 + (va * b.mean * b.mean) / (ma2 * ma2)
  if (!(relVar > 0)) return 'zero_variance'
  return { estimate: (b.mean - a.mean) / Math.abs(a.mean), se: Math.sqrt(relVar) }
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`)
}

/**
 * Welch two-sided t-test of treatment `b` against control `a`, for a binary metric
 * (`{ n, x }`) or a mean metric (`{ n, mean, variance }` with the n − 1 variance).
 *
 * @example welchTest({ n: 28, x: 14 }, { n: 30, x: 16 }).relative
 * // → { estimate: 0.0667, se: 0.2717, ci: [-0.47767, 0.61101], pValue: 0.80707 }
 */
export function welchTest(a: ArmInput, b: ArmInput, options: TestOptions = {}): ComparisonResult {
  const alpha = options.alpha ?? 0.05
  checkAlpha(alpha)
  const control = toArmStat(a)
  const treatment = toArmStat(b)
  const moments = effectMoments(control, treatment)
  if (typeof moments === 'string') {
    return { method: WELCH_METHOD, alpha, control, treatment, dof: null, absolute: null, relative: null, error: moments, relativeError: moments }
  }
  const tCrit = studentTQuantile(1 - alpha / 2, moments.dof)
  const effect = (m: Moment): Effect => {
    const halfwidth = tCrit * m.se
    return {
      estimate: m.estimate,
      se: m.se,
      ci: [m.estimate - halfwidth, m.estimate + halfwidth],
      pValue: studentTTwoSidedP(m.estimate / m.se, moments.dof),
    }
  }
  return {
    method: WELCH_METHOD,
    alpha,
    control,
    treatment,
    dof: moments.dof,
    absolute: effect(moments.absolute),
    relative: typeof moments.relative === 'string' ? null : effect(moments.relative),
    error: null,
    relativeError: typeof moments.relative === 'string' ? moments.relative : null,
  }
}
