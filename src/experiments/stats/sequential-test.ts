/**
 * @module sequential-test
 * Always-valid (sequential) two-sided test as GrowthBook's gbstats computes it
 * (packages/stats/gbstats/frequentist/tests.py `SequentialTwoSidedTTest`, `sequential_rho`,
 * `sequential_interval_halfwidth`; MIT), the normal-mixture mSPRT / asymptotic confidence sequence
 * of Waudby-Smith et al., "Time-uniform central limit theory and asymptotic confidence sequences"
 * (arXiv:2103.06476v7, eqs. 9, 155, 161). With N = n_a + n_b, s² = se²·N, tuning N*:
 * - ρ = √((−2 ln α + ln(−2 ln α + 1)) / N*)
 * - halfwidth = s·√(2(Nρ² + 1)·ln(√(Nρ² + 1)/α) / (Nρ)²)
 * - p = min(1, 1/E) with ln E = ρ²·(est²N/se²)/(2(Nρ² + 1)) − ½ ln(Nρ² + 1).
 * The estimates and standard errors are those of the Welch test (module welch-test).
 * Pure: no I/O.
 */
import { toArmStat, type ArmInput } from './arm-stat'
import { effectMoments, type ComparisonResult, type Effect, type Moment, type TestOptions } from './welch-test'

export const SEQUENTIAL_METHOD = 'gbstats-sequential-two-sided-ttest' as const
export const SEQUENTIAL_METHOD_LABEL =
  'Sequential two-sided test (GrowthBook gbstats SequentialTwoSidedTTest: normal-mixture confidence sequence)'

/** gbstats SequentialConfig default: the sample size at which the interval is tightest. */
export const DEFAULT_SEQUENTIAL_TUNING = 5000

export interface SequentialOptions extends TestOptions {
  /** N*, the anticipated total sample size (gbstats `sequential_tuning_parameter`). */
  tuning?: number
}

/** ρ of gbstats `sequential_rho` (two-sided). */
export function sequentialRho(alpha: number, tuning: number): number {
  const l = -2 * Math.log(alpha)
  return Math.sqrt((l + Math.log(l + 1)) / tuning)
}

/**
 * Sequential two-sided test of treatment `b` against control `a`; valid however often it is looked at.
 *
 * @example sequentialTest({ n: 3000, x: 1396 }, { n: 3461, x: 2422 }).relative
 * // → { estimate: 0.50386, se: 0.03386, ci: [0.40098, 0.60675], pValue: ~0 }
 */
export function sequentialTest(a: ArmInput, b: ArmInput, options: SequentialOptions = {}): ComparisonResult {
  const alpha = options.alpha ?? 0.05
  const tuning = options.tuning ?? DEFAULT_SEQUENTIAL_TUNING
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`)
  if (!(tuning > 0) || !Number.isFinite(tuning)) throw new RangeError(`tuning must be a positive number, got ${tuning}`)
  const control = toArmStat(a)
  const treatment = toArmStat(b)
  const moments = effectMoments(control, treatment)
  const method = SEQUENTIAL_METHOD
  if (typeof moments === 'string') {
    return { method, alpha, control, treatment, dof: null, absolute: null, relative: null, error: moments, relativeError: moments }
  }
  const n = control.n + treatment.n
  const rho = sequentialRho(alpha, tuning)
  const nRho2p1 = n * rho * rho + 1
  const effect = (m: Moment): Effect => {
    const s2 = m.se * m.se * n
    const halfwidth = Math.sqrt(s2) * Math.sqrt((2 * nRho2p1 * Math.log(Math.sqrt(nRho2p1) / alpha)) / (n * rho) ** 2)
    const st2 = (m.estimate * m.estimate * n) / (m.se * m.se)
    const logE = (rho * rho * st2) / (2 * nRho2p1) - 0.5 * Math.log(nRho2p1)
    return {
      estimate: m.estimate,
      se: m.se,
      ci: [m.estimate - halfwidth, m.estimate + halfwidth],
      pValue: Math.min(1, Math.exp(-logE)),
    }
  }
  return {
    method,
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
