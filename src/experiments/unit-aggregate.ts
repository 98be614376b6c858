/**
 * @module unit-aggregate
 * Per-arm sufficient statistics of an experiment, summed over randomisation units (users).
 *
 * Assignment is sticky per unit, so the unit is what the report analyses: each unit contributes,
 * per metric, a numerator and a denominator (stats/ratio-stat.ts):
 *  - CTR@1: its exposures whose rank-1 result was clicked / its exposures;
 *  - MRR of clicks: Σ over its exposures of 1/rank of the best-ranked click / its exposures;
 *  - conversion rate: its exposures with a conversion / its exposures;
 *  - nDCG@10: Σ nDCG@10 over its graded exposures / its graded exposures (units without a graded
 *    exposure are not in this metric).
 * report-repo.ts fills these sums from D1 (SQL sums per unit, then per arm); `aggregateUnits` fills
 * them from per-unit rows, for tests and the A/A calibration bench (bench/ab-calibration.bench.ts),
 * which then call the same `buildExperimentReport` the route calls.
 * Pure: no I/O.
 */
import { addUnitToRatio, emptyRatioSums, type RatioSums } from './stats/ratio-stat'

export const REPORT_METRICS = ['ctr_at_1', 'mrr', 'ndcg_at_10', 'conversion_rate'] as const
export type ReportMetric = (typeof REPORT_METRICS)[number]

/** Per-arm totals and, per metric, the ratio sums over units. An arm with no exposure has zeros. */
export interface ArmAggregate {
  variantIndex: number
  exposures: number
  /** Distinct units with at least one exposure (the SRM check counts these). */
  units: number
  /** Exposures with at least one click. */
  clicked: number
  /** Exposures whose rank-1 result was clicked. */
  top1Clicked: number
  /** Exposures with at least one conversion, and the sum of conversion values. */
  converted: number
  conversionValue: number
  /** Exposures with graded feedback. */
  gradedExposures: number
  /** Feedback rows recorded for the arm's exposures, by kind (a click or grade per document, a regrade too). */
  feedbackEvents: FeedbackEvents
  ratios: Record<ReportMetric, RatioSums>
}

export interface FeedbackEvents {
  clicks: number
  grades: number
  conversions: number
}

/** What one unit did in one arm. */
export interface UnitRow {
  variantIndex: number
  exposures: number
  clicked: number
  top1Clicked: number
  /** Σ over the unit's exposures of 1/rank of the best-ranked click (0 for an exposure without one). */
  rrSum: number
  converted: number
  conversionValue: number
  /** nDCG@10 of each of the unit's graded exposures. */
  ndcgValues: readonly number[]
  /**
   * The unit's feedback rows by kind. Absent: one per clicked exposure, graded exposure and
   * conversion (the fewest rows that data can come from), which is what simulations record.
   */
  feedbackEvents?: FeedbackEvents
}

export function emptyArmAggregate(variantIndex: number): ArmAggregate {
  return {
    variantIndex,
    exposures: 0,
    units: 0,
    clicked: 0,
    top1Clicked: 0,
    converted: 0,
    conversionValue: 0,
    gradedExposures: 0,
    feedbackEvents: { clicks: 0, grades: 0, conversions: 0 },
    ratios: {
      ctr_at_1: emptyRatioSums(),
      mrr: emptyRatioSums(),
      ndcg_at_10: emptyRatioSums(),
      conversion_rate: emptyRatioSums(),
    },
  }
}

/** Adds a unit's graded exposures to the arm's nDCG@10 sums (in place). */
export function addGradedUnit(arm: ArmAggregate, ndcgValues: readonly number[]): void {
  let sum = 0
  for (const v of ndcgValues) {
    if (!Number.isFinite(v)) throw new RangeError(`nDCG values must be finite, got ${v}`)
    sum += v
  }
  arm.gradedExposures += ndcgValues.length
  addUnitToRatio(arm.ratios.ndcg_at_10, sum, ndcgValues.length)
}

/** Adds one unit to its arm (in place). */
function addUnit(arm: ArmAggregate, u: UnitRow): void {
  if (!Number.isInteger(u.exposures) || u.exposures < 1) throw new RangeError(`a unit has at least one exposure, got ${u.exposures}`)
  arm.exposures += u.exposures
  arm.units += 1
  arm.clicked += u.clicked
  arm.top1Clicked += u.top1Clicked
  arm.converted += u.converted
  arm.conversionValue += u.conversionValue
  const events = u.feedbackEvents ?? { clicks: u.clicked, grades: u.ndcgValues.length, conversions: u.converted }
  arm.feedbackEvents.clicks += events.clicks
  arm.feedbackEvents.grades += events.grades
  arm.feedbackEvents.conversions += events.conversions
  addUnitToRatio(arm.ratios.ctr_at_1, u.top1Clicked, u.exposures)
  addUnitToRatio(arm.ratios.mrr, u.rrSum, u.exposures)
  addUnitToRatio(arm.ratios.conversion_rate, u.converted, u.exposures)
  if (u.ndcgValues.length > 0) addGradedUnit(arm, u.ndcgValues)
}

/** Per-arm aggregates of `armCount` arms from per-unit rows; rows of an unknown arm are ignored. */
export function aggregateUnits(rows: Iterable<UnitRow>, armCount: number): ArmAggregate[] {
  const arms = Array.from({ length: armCount }, (_, i) => emptyArmAggregate(i))
  for (const r of rows) {
    const arm = arms[r.variantIndex]
    if (arm) addUnit(arm, r)
  }
  return arms
}
