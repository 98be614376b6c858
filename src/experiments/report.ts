/**
 * @module report
 * The experiment report (`GET /v1/experiments/{id}/report`) from per-arm aggregates
 * (report-repo.ts). Pure: statistics only, the clock passed in.
 *
 * Unit of analysis: the user, the unit assignment randomises (sticky per `user`). Exposures of one
 * user are not independent (a heavy searcher who always clicks is one person, not ten trials), so
 * every metric is a ratio of per-user sums with its variance over users by the delta method
 * (stats/ratio-stat.ts, gbstats `RatioStatistic`; unit-aggregate.ts defines the four metrics):
 * CTR@1, MRR of clicks, nDCG@10 (graded exposures only) and conversion rate, plus the total value.
 * The point estimates equal the pooled per-exposure figures; the intervals and p-values do not.
 * Each treatment arm is compared with the control (arm 0) by GrowthBook's frequentist engine
 * (stats/welch-test.ts: Welch t-test over units, Welch–Satterthwaite dof, delta-method relative
 * lift, 95% intervals), or its sequential (always-valid) test when asked (stats/sequential-test.ts,
 * whose sample size N is then the number of units).
 * Sample-ratio mismatch: χ² of the distinct units per arm against the configured weights
 * (stats/srm-check.ts, GrowthBook's check_srm, which counts users per variation). Units, not
 * exposures, because assignment is per unit: an arm whose users search more often has more
 * exposures without any fault in the split. `srm.assigned_shares` (normalised weights) stand next
 * to `srm.observed_shares`.
 * `significant` is the absolute difference's test: its p_value < α, which is the same as its
 * interval excluding 0 (both come from one t statistic, or one confidence sequence), so the flag
 * never disagrees with the numbers shown next to it. The relative lift is reported as well (its
 * delta-method p-value can differ) but decides nothing.
 * `trustworthy` and `untrusted_reason`: report-trust.ts.
 */
import type { ExperimentRecord } from './experiment-schema'
import type { ArmStat } from './stats/arm-stat'
import { studentTQuantile } from './stats/distributions'
import { DEFAULT_SEQUENTIAL_TUNING, SEQUENTIAL_METHOD, SEQUENTIAL_METHOD_LABEL, sequentialTest } from './stats/sequential-test'
import { SRM_THRESHOLD, srmCheck } from './stats/srm-check'
import { armFromRatioSums } from './stats/ratio-stat'
import { WELCH_METHOD, WELCH_METHOD_LABEL, welchTest, type ComparisonResult, type Effect, type TestError } from './stats/welch-test'
import { assessTrust, assignedArms, effectiveUnits, MIN_EFFECTIVE_UNITS, MIN_METRIC_EVENTS } from './report-trust'
import { REPORT_METRICS, type ArmAggregate, type FeedbackEvents, type ReportMetric } from './unit-aggregate'

export { MIN_EFFECTIVE_UNITS, MIN_METRIC_EVENTS, REPORT_METRICS, type ReportMetric }

/** What `method.unit_of_analysis` names: the `user` of the rerank call (or its unit header). */
export const UNIT_OF_ANALYSIS = 'user' as const

/** One sentence for readers of the report (JSON notes and the page). */
export const UNIT_EXPLANATION =
  'Each user (the unit that was randomised) counts once: a metric is the ratio of per-user sums ' +
  '(e.g. rank-1 clicks / searches) and its uncertainty is measured between users (delta method), ' +
  'so a heavy searcher counts as one observation, not as many.'

export const METRIC_LABELS: Record<ReportMetric, string> = {
  ctr_at_1: 'CTR@1',
  mrr: 'MRR of clicks',
  ndcg_at_10: 'nDCG@10 (graded)',
  conversion_rate: 'Conversion rate',
}

export type ReportMethod = 'welch' | 'sequential'

export interface ReportOptions {
  method?: ReportMethod
  alpha?: number
  /** Sequential test only: N*, the anticipated total sample size. */
  tuning?: number
  generatedAt: string
}

export interface ArmMetric {
  /** Units (users) the metric is over (users with a graded exposure for nDCG). */
  n: number
  /** The ratio's denominator: exposures (graded exposures for nDCG). */
  exposures: number
  mean: number
  /** Per-unit delta-method variance of the ratio (Var of the mean = variance / n). */
  variance: number
  /** 1 − α interval of the arm's mean (t with n − 1 dof), null when n < 2. */
  ci: [number, number] | null
}

export interface ReportArm {
  key: string
  index: number
  weight: number
  control: boolean
  exposures: number
  units: number
  /** Kish's effective sample size over the arm's users (effectiveUnits): below MIN_EFFECTIVE_UNITS, a note. */
  effective_units: number
  clicked_exposures: number
  top1_clicks: number
  graded_exposures: number
  conversions: number
  conversion_value: number
  /** Feedback rows recorded for this arm's exposures, by kind. */
  feedback_events: FeedbackEvents
  metrics: Record<ReportMetric, ArmMetric>
}

export interface ReportEffect {
  estimate: number
  se: number
  ci: [number, number]
  p_value: number
}

export interface MetricComparison {
  /** Treatment − control: the test. */
  absolute: ReportEffect | null
  /** (treatment − control) / |control|, with its delta-method interval: descriptive. */
  relative: ReportEffect | null
  dof: number | null
  /** `absolute.p_value` < α (equivalently, `absolute.ci` excludes 0); false without a test. */
  significant: boolean
  /** Why no test could be computed: too_few_units, zero_variance. */
  error: TestError | null
  /** Why there is no relative lift: `error`, or baseline_zero / zero_variance of the lift alone. */
  relative_error: TestError | null
  /** The metric is recorded but an arm has fewer than MIN_METRIC_EVENTS events or non-events (report-trust.ts). */
  few_events: boolean
}

export interface ReportComparison {
  variant: string
  variant_index: number
  control: string
  metrics: Record<ReportMetric, MetricComparison>
}

export interface ExperimentReport {
  experiment: {
    id: string
    name: string
    status: ExperimentRecord['status']
    coverage: number
    started_at: string | null
    stopped_at: string | null
    version: number
  }
  generated_at: string
  method: {
    id: typeof WELCH_METHOD | typeof SEQUENTIAL_METHOD
    name: string
    alpha: number
    confidence_level: number
    unit_of_analysis: typeof UNIT_OF_ANALYSIS
    metric_type: 'ratio_delta_method'
    sequential_tuning?: number
  }
  totals: { exposures: number; units: number }
  /** False while the report cannot be acted on yet (report-trust.ts says when). */
  trustworthy: boolean
  /** Why not, when `trustworthy` is false (absent otherwise). */
  untrusted_reason?: string
  arms: ReportArm[]
  comparisons: ReportComparison[]
  srm: {
    basis: 'units'
    observed: number[]
    expected: number[]
    weights: number[]
    /** Each arm's expected share of the users: its weight over the weights' sum. */
    assigned_shares: number[]
    /** Each arm's observed share of the users; null with no user yet. */
    observed_shares: number[] | null
    chi2: number
    dof: number
    p_value: number
    threshold: number
    mismatch: boolean
    /** Units in arms of weight 0: assignment never puts one there, so any is a mismatch. */
    zero_weight_units: number
  }
  notes: string[]
}

function armStats(a: ArmAggregate): Record<ReportMetric, ArmStat> {
  return {
    ctr_at_1: armFromRatioSums(a.ratios.ctr_at_1),
    mrr: armFromRatioSums(a.ratios.mrr),
    ndcg_at_10: armFromRatioSums(a.ratios.ndcg_at_10),
    conversion_rate: armFromRatioSums(a.ratios.conversion_rate),
  }
}

function armMetric(s: ArmStat, exposures: number, alpha: number): ArmMetric {
  let ci: [number, number] | null = null
  if (s.n >= 2) {
    const half = studentTQuantile(1 - alpha / 2, s.n - 1) * Math.sqrt(Math.max(0, s.variance) / s.n)
    ci = [s.mean - half, s.mean + half]
  }
  return { n: s.n, exposures, mean: s.mean, variance: s.variance, ci }
}

function effect(e: Effect | null): ReportEffect | null {
  return e === null ? null : { estimate: e.estimate, se: e.se, ci: e.ci, p_value: e.pValue }
}

/** The test's result on the wire; `significant` from the very effect whose p and CI are shown. */
function comparison(r: ComparisonResult, fewEvents: boolean): MetricComparison {
  return {
    absolute: effect(r.absolute),
    relative: effect(r.relative),
    dof: r.dof,
    significant: r.absolute !== null && r.absolute.pValue < r.alpha,
    error: r.error,
    relative_error: r.relativeError,
    few_events: fewEvents,
  }
}

export function buildExperimentReport(
  experiment: ExperimentRecord,
  aggregates: readonly ArmAggregate[],
  options: ReportOptions
): ExperimentReport {
  const alpha = options.alpha ?? 0.05
  const method = options.method ?? 'welch'
  const tuning = options.tuning ?? DEFAULT_SEQUENTIAL_TUNING
  const stats = aggregates.map(armStats)

  const arms: ReportArm[] = experiment.variants.map((v, i) => {
    const a = aggregates[i] as ArmAggregate
    const s = stats[i] as Record<ReportMetric, ArmStat>
    return {
      key: v.key,
      index: i,
      weight: v.weight,
      control: i === 0,
      exposures: a.exposures,
      units: a.units,
      effective_units: Math.round(10 * effectiveUnits(a.ratios.ctr_at_1.sumY, a.ratios.ctr_at_1.sumY2)) / 10,
      clicked_exposures: a.clicked,
      top1_clicks: a.top1Clicked,
      graded_exposures: a.gradedExposures,
      conversions: a.converted,
      conversion_value: a.conversionValue,
      feedback_events: { ...a.feedbackEvents },
      metrics: {
        ctr_at_1: armMetric(s.ctr_at_1, a.ratios.ctr_at_1.sumY, alpha),
        mrr: armMetric(s.mrr, a.ratios.mrr.sumY, alpha),
        ndcg_at_10: armMetric(s.ndcg_at_10, a.ratios.ndcg_at_10.sumY, alpha),
        conversion_rate: armMetric(s.conversion_rate, a.ratios.conversion_rate.sumY, alpha),
      },
    }
  })

  const weights = experiment.variants.map((v) => v.weight)
  const observed = arms.map((a) => a.units)
  const srm = srmCheck(observed, weights, SRM_THRESHOLD)
  const trust = assessTrust({ arms, metrics: REPORT_METRICS, labels: METRIC_LABELS, srmMismatch: srm.mismatch })

  const control = stats[0] as Record<ReportMetric, ArmStat>
  const test = (a: ArmStat, b: ArmStat) => (method === 'sequential' ? sequentialTest(a, b, { alpha, tuning }) : welchTest(a, b, { alpha }))
  const comparisons: ReportComparison[] = arms.slice(1).map((arm) => {
    const s = stats[arm.index] as Record<ReportMetric, ArmStat>
    const metrics = {} as Record<ReportMetric, MetricComparison>
    for (const m of REPORT_METRICS) metrics[m] = comparison(test(control[m], s[m]), trust.fewEvents[m])
    return { variant: arm.key, variant_index: arm.index, control: arms[0]?.key ?? '', metrics }
  })

  const notes: string[] = [UNIT_EXPLANATION]
  if (srm.mismatch) {
    const why = srm.zeroWeightUnits > 0 ? `${srm.zeroWeightUnits} units in an arm of weight 0` : `χ² p = ${srm.p.toPrecision(3)} < ${SRM_THRESHOLD}`
    notes.push(
      `Sample-ratio mismatch (${why}): units per arm do not follow the configured weights; ` +
        'the comparison is not trustworthy until the cause is found (a bug in assignment, lost exposures, bots).'
    )
  }
  // An arm of weight 0 gets no users by design (report-trust.ts): no note for it.
  const assigned = assignedArms(arms)
  if (assigned.some((a) => a.units < 2)) notes.push('An arm has fewer than 2 users: no test can be computed yet.')
  else {
    const thin = assigned.filter((a) => a.effective_units < MIN_EFFECTIVE_UNITS)
    if (thin.length > 0) {
      notes.push(
        `Too few users of comparable weight for these tests to hold their ${alpha} false-positive rate: ` +
          thin.map((a) => `arm "${a.key}" has ${a.units} users whose exposures amount to ${a.effective_units} equally active users`).join('; ') +
          ` (effective_units, under ${MIN_EFFECTIVE_UNITS}). In A/A simulations Welch's test flags far more often than α at such sizes; wait for more users, or read ?method=sequential.`
      )
    }
  }
  const fewEventMetrics = REPORT_METRICS.filter((m) => trust.fewEvents[m])
  if (fewEventMetrics.length > 0) {
    notes.push(
      `Too few feedback events for ${fewEventMetrics.map((m) => METRIC_LABELS[m]).join(', ')}: the result is not yet trustworthy ` +
        `(each arm needs at least ${MIN_METRIC_EVENTS} events and ${MIN_METRIC_EVENTS} non-events of a rate, the success–failure condition of the normal approximation; ` +
        'comparisons[].metrics.<metric>.few_events says which).'
    )
  }
  if (comparisons.length > 0) {
    notes.push(
      `Each of the ${REPORT_METRICS.length} metrics${comparisons.length > 1 ? ` in each of the ${comparisons.length} comparisons` : ''} is tested at α = ${alpha} on its own, so one of them ` +
        'comes out "significant" by chance more often than α (npm run bench -- ab-calibration measures how often in A/A experiments): decide which metric decides before the experiment starts.'
    )
  }
  if (method === 'sequential') {
    notes.push('Sequential intervals and p-values stay valid however often the report is looked at; they are wider than Welch’s.')
  } else {
    notes.push('Fixed-horizon test: decide the sample size in advance; looking repeatedly and stopping at the first p < α inflates false positives (use ?method=sequential).')
  }

  return {
    experiment: {
      id: experiment.id,
      name: experiment.name,
      status: experiment.status,
      coverage: experiment.coverage,
      started_at: experiment.started_at,
      stopped_at: experiment.stopped_at,
      version: experiment.version,
    },
    generated_at: options.generatedAt,
    method: {
      id: method === 'sequential' ? SEQUENTIAL_METHOD : WELCH_METHOD,
      name: method === 'sequential' ? SEQUENTIAL_METHOD_LABEL : WELCH_METHOD_LABEL,
      alpha,
      confidence_level: 1 - alpha,
      unit_of_analysis: UNIT_OF_ANALYSIS,
      metric_type: 'ratio_delta_method',
      ...(method === 'sequential' ? { sequential_tuning: tuning } : {}),
    },
    totals: {
      exposures: arms.reduce((s, a) => s + a.exposures, 0),
      units: arms.reduce((s, a) => s + a.units, 0),
    },
    trustworthy: trust.trustworthy,
    ...(trust.trustworthy ? {} : { untrusted_reason: `Not yet trustworthy: ${trust.reasons.join('; ')}.` }),
    arms,
    comparisons,
    srm: {
      basis: 'units',
      observed,
      expected: srm.expected,
      weights,
      assigned_shares: srm.assignedShares,
      observed_shares: srm.observedShares,
      chi2: srm.chi2,
      dof: srm.dof,
      p_value: srm.p,
      threshold: SRM_THRESHOLD,
      mismatch: srm.mismatch,
      zero_weight_units: srm.zeroWeightUnits,
    },
    notes,
  }
}
