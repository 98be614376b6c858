/**
 * @module report-trust
 * Whether an experiment report can be acted on yet, and why not (`trustworthy`,
 * `untrusted_reason` in report.ts). Pure: plain counts in, sentences out.
 *
 * A report is not trustworthy while any of these holds:
 *  - the split is not what was configured (sample-ratio mismatch, stats/srm-check.ts);
 *  - an arm has fewer than 2 users (no variance, no test);
 *  - an arm's users amount to fewer than MIN_EFFECTIVE_UNITS equally active ones;
 *  - a metric that is being recorded has fewer than MIN_METRIC_EVENTS events (or non-events) in
 *    an arm. A metric with no event in any arm (no one sends grades, say) is not measured, and
 *    says nothing either way, so it does not hold the report back; its comparison has no test.
 * A treatment arm of weight 0 is assigned no user (assign-variant.ts): it is left out of the last
 * three rules, which would otherwise hold the report back for good. A user found in it anyway is a
 * sample-ratio mismatch (srm-check.ts `zeroWeightUnits`), the first rule.
 */

/**
 * Below this many effective units (`effective_units`) in an arm the report says its tests are not
 * to be trusted yet. The delta-method Welch test rests on a normal approximation over users, which
 * needs many users of comparable weight: when a few users make most of the exposures the variance
 * estimate itself is too noisy. In the A/A simulations of `npm run bench -- ab-calibration`
 * (bench/results/ab-calibration.md, "Small and concentrated samples") its false-positive rate
 * stays near α from an effective 100 units per arm and rises well above it below 50.
 */
export const MIN_EFFECTIVE_UNITS = 100

/**
 * Below this many events, or non-events, of a metric in an arm its comparison is not to be trusted
 * yet: the "success–failure condition" of the normal approximation behind a difference of two
 * proportions asks for at least 10 successes and 10 failures in each group (OpenIntro Statistics,
 * 4th ed., §6.2.1, openintro.org/book/os). With fewer, the sampling distribution of a rate is
 * visibly skewed and a t interval around it, or its p-value, is off however many users there are
 * (3 clicks in 5,000 searches is a rate known to a factor of about 3). nDCG@10 is not a rate: the
 * same floor applies to its graded exposures, the observations it is averaged over.
 */
export const MIN_METRIC_EVENTS = 10

/**
 * Kish's effective sample size of an arm's users weighted by their exposures, (Σy)² / Σy²: the
 * number of equally active users the arm's exposures amount to (n when every user searched as
 * often; far fewer when a few users dominate).
 */
export function effectiveUnits(sumY: number, sumY2: number): number {
  return sumY2 > 0 ? (sumY * sumY) / sumY2 : 0
}

/** What the rules read of one arm (report.ts `ReportArm` has these fields). */
export interface TrustArm {
  key: string
  weight: number
  /** Arm 0: every comparison is against it, so it counts whatever its weight. */
  control: boolean
  units: number
  effective_units: number
  exposures: number
  top1_clicks: number
  clicked_exposures: number
  conversions: number
  graded_exposures: number
}

export type TrustMetric = 'ctr_at_1' | 'mrr' | 'ndcg_at_10' | 'conversion_rate'

/** Each metric's events in an arm, and what they are called in a sentence. */
interface MetricEvents {
  events: number
  /** Exposures without the event; null for nDCG@10, which is not a rate. */
  nonEvents: number | null
  label: string
}

export function metricEvents(arm: TrustArm, metric: TrustMetric): MetricEvents {
  const rate = (events: number, label: string): MetricEvents => ({ events, nonEvents: arm.exposures - events, label })
  switch (metric) {
    case 'ctr_at_1':
      return rate(arm.top1_clicks, 'searches with a rank-1 click')
    case 'mrr':
      return rate(arm.clicked_exposures, 'searches with a click')
    case 'conversion_rate':
      return rate(arm.conversions, 'searches with a conversion')
    case 'ndcg_at_10':
      return { events: arm.graded_exposures, nonEvents: null, label: 'graded searches' }
  }
}

/** The arms the rules read: the control, and the arms users are assigned to (weight > 0; module doc). */
export function assignedArms<T extends Pick<TrustArm, 'weight' | 'control'>>(arms: readonly T[]): T[] {
  return arms.filter((a) => a.control || a.weight > 0)
}

/** A metric is measured once any arm has one event of it. */
export function metricMeasured(arms: readonly TrustArm[], metric: TrustMetric): boolean {
  return arms.some((a) => metricEvents(a, metric).events > 0)
}

/** The arms (with their count) where `metric` has fewer than MIN_METRIC_EVENTS events or non-events. */
export function fewEventArms(arms: readonly TrustArm[], metric: TrustMetric): string[] {
  const out: string[] = []
  for (const a of arms) {
    const e = metricEvents(a, metric)
    if (e.events < MIN_METRIC_EVENTS) out.push(`arm "${a.key}" has ${e.events} ${e.label}`)
    else if (e.nonEvents !== null && e.nonEvents < MIN_METRIC_EVENTS) out.push(`arm "${a.key}" has only ${e.nonEvents} searches without one`)
  }
  return out
}

export interface TrustInput {
  arms: readonly TrustArm[]
  metrics: readonly TrustMetric[]
  labels: Record<TrustMetric, string>
  srmMismatch: boolean
}

export interface TrustVerdict {
  trustworthy: boolean
  /** Each reason, one sentence; empty when trustworthy. */
  reasons: string[]
  /** Per metric: measured and too few events in some arm. */
  fewEvents: Record<TrustMetric, boolean>
}

export function assessTrust({ arms: all, metrics, labels, srmMismatch }: TrustInput): TrustVerdict {
  const arms = assignedArms(all)
  const reasons: string[] = []
  if (srmMismatch) reasons.push('sample-ratio mismatch: users per arm do not follow the configured weights')
  const tiny = arms.filter((a) => a.units < 2)
  if (tiny.length > 0) reasons.push(`fewer than 2 users in ${tiny.map((a) => `arm "${a.key}"`).join(', ')}: no test can be computed`)
  const thin = arms.filter((a) => a.units >= 2 && a.effective_units < MIN_EFFECTIVE_UNITS)
  if (thin.length > 0) {
    reasons.push(`fewer than ${MIN_EFFECTIVE_UNITS} effective users in ${thin.map((a) => `arm "${a.key}" (${a.effective_units})`).join(', ')}`)
  }
  const fewEvents = {} as Record<TrustMetric, boolean>
  for (const m of metrics) {
    const few = metricMeasured(arms, m) ? fewEventArms(arms, m) : []
    fewEvents[m] = few.length > 0
    if (few.length > 0) reasons.push(`too few events for ${labels[m]} (${few.join('; ')}; at least ${MIN_METRIC_EVENTS} each)`)
  }
  return { trustworthy: reasons.length === 0, reasons, fewEvents }
}
