/**
 * @module welch-test
 * Two-arm comparison exactly as GrowthBook's frequentist engine computes it
 * (github.com/growthbook/growthbook, packages/stats/gbstats/frequentist/tests.py `TwoSidedTTest`,
 * models/tests.py `EffectMoments`, utils.py `frequentist_variance`/`variance_of_ratios`; MIT):
 * - absolute lift Δ = m_b − m_a, se² = v_a/n_a + v_b/n_b;
 * - relative lift Δ/|m_a|, delta-method se² = v_b/(n_b·m_a²) + v_a·m_b²/(n_a·m_a⁴);
 * - Welch–Satterthwaite dof = (v_a/n_a + v_b/n_b)² / (v_a²/(n_a²(n_a−1)) + v_b²/(n_b²(n_b−1)));
 * - CI = estimate ± t_{1−α/2, dof}·se, p = 2·P(T_dof > |estimate/se|).
 * Arm a is the control (baseline), arm b the treatment. Check (gbstats test_tests.py
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
 * Why no effect could be computed (gbstats returns an uninformative default in these cases):
 * - `too_few_units`: an arm has fewer than 2 units (no variance, no dof);
 * - `zero_variance`: an arm's variance is 0 (e.g. a rate of exactly 0 or 1);
 * - `baseline_zero`: the control mean is 0, so relative lift is undefined.
 */
export type TestError = 'too_few_units' | 'zero_variance' | 'baseline_zero'

export interface ComparisonResult {
  method: string
  alpha: number
  control: ArmStat
  treatment: ArmStat
  /** Welch–Satterthwaite degrees of freedom (null when the test could not run). */
  dof: number | null
  absolute: Effect | null
  relative: Effect | null
  error: TestError | null
}

export interface TestOptions {
  /** Significance level; 0.05 → 95% intervals (gbstats default). */
  alpha?: number
}

/** Point estimates and standard errors of both effects, or why there are none. */
export interface EffectMoments {
  absolute: { estimate: number; se: number }
  relative: { estimate: number; se: number }
  dof: number
}

/** gbstats EffectMoments for both difference types, with its error checks in its order. */
export function effectMoments(a: ArmStat, b: ArmStat): EffectMoments | TestError {
  if (a.n < 2 || b.n < 2) return 'too_few_units'
  const va = a.variance / a.n
  const vb = b.variance / b.n
  if (!(a.variance > 0) || !(b.variance > 0) || !(va + vb > 0)) return 'zero_variance'
  if (a.mean === 0) return 'baseline_zero'

  const absolute = { estimate: b.mean - a.mean, se: Math.sqrt(va + vb) }
  // variance_of_ratios(mean_m = m_b, var_m = v_b/n_b, mean_d = m_a, var_d = v_a/n_a, cov = 0).
  const ma2 = a.mean * a.mean
  const relVar = vb / ma2 + (va * b.mean * b.mean) / (ma2 * ma2)
  const relative = { estimate: (b.mean - a.mean) / Math.abs(a.mean), se: Math.sqrt(relVar) }
  const dof =
    (va + vb) ** 2 /
    ((b.variance * b.variance) / (b.n * b.n * (b.n - 1)) + (a.variance * a.variance) / (a.n * a.n * (a.n - 1)))
  return { absolute, relative, dof }
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
    return { method: WELCH_METHOD, alpha, control, treatment, dof: null, absolute: null, relative: null, error: moments }
  }
  const tCrit = studentTQuantile(1 - alpha / 2, moments.dof)
  const effect = (m: { estimate: number; se: number }): Effect => {
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
    relative: effect(moments.relative),
    error: null,
  }
}
