/**
 * @module report-repo
 * Reads what an experiment report needs from D1, aggregated in SQL where SQL can do it exactly:
 * per arm, exposures and distinct units; per clicked exposure, whether rank 1 was clicked and the
 * reciprocal rank of its best-ranked click (summed, with the sum of squares for the variance);
 * per converted exposure, its conversion value. nDCG@10 needs each graded exposure's ranking and
 * its latest grade per document, so those rows come back and experiments/report.ts computes it
 * with the same pure function as everywhere (ranking-metrics.ts `ndcgAtK`).
 * The four reads go in one `batch`, so they see one snapshot of the tables.
 */
import { exposureMetrics } from './ranking-metrics'

/** Per-arm sums; an arm with no exposure has zeros. */
export interface ArmAggregate {
  variantIndex: number
  exposures: number
  units: number
  /** Exposures with at least one click. */
  clicked: number
  /** Exposures whose rank-1 result was clicked. */
  top1Clicked: number
  /** Σ and Σ² over exposures of 1/rank of the best-ranked click (0 for exposures without a click). */
  rrSum: number
  rrSumSq: number
  /** Exposures with at least one conversion, and the sum of conversion values. */
  converted: number
  conversionValue: number
  /** nDCG@10 of each exposure that has graded feedback. */
  ndcgValues: number[]
}

interface CountRow {
  variant_index: number
  exposures: number
  units: number
}
interface ClickRow {
  variant_index: number
  clicked: number
  top1: number
  rr_sum: number
  rr_sumsq: number
}
interface ConversionRow {
  variant_index: number
  converted: number
  value_sum: number
}
interface GradeRow {
  request_id: string
  variant_index: number
  doc_id: string
  grade: number
  ranked_ids: string
}

export async function readArmAggregates(
  db: D1Database,
  tenant: string,
  experimentId: string,
  armCount: number
): Promise<ArmAggregate[]> {
  const counts = db
    .prepare(
      `SELECT variant_index, COUNT(*) AS exposures, COUNT(DISTINCT unit_id) AS units
       FROM exposures WHERE tenant = ?1 AND experiment_id = ?2 GROUP BY variant_index`
    )
    .bind(tenant, experimentId)
  // Per clicked exposure: was rank 1 clicked, and 1 / the best rank clicked (clicks are
  // recorded with the rank they were served at, so no JSON needs to be read here).
  const clicks = db
    .prepare(
      `SELECT variant_index, COUNT(*) AS clicked, SUM(top1) AS top1, SUM(rr) AS rr_sum, SUM(rr * rr) AS rr_sumsq
       FROM (SELECT MIN(variant_index) AS variant_index, MAX(rank = 1) AS top1, 1.0 / MIN(rank) AS rr
             FROM feedback WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'click'
             GROUP BY request_id)
       GROUP BY variant_index`
    )
    .bind(tenant, experimentId)
  const conversions = db
    .prepare(
      `SELECT variant_index, COUNT(*) AS converted, SUM(v) AS value_sum
       FROM (SELECT MIN(variant_index) AS variant_index, SUM(COALESCE(value, 1)) AS v
             FROM feedback WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'conversion'
             GROUP BY request_id)
       GROUP BY variant_index`
    )
    .bind(tenant, experimentId)
  // The latest grade per (exposure, document): the highest feedback id wins.
  const grades = db
    .prepare(
      `SELECT f.request_id, f.variant_index, f.doc_id, f.grade, e.ranked_ids
       FROM feedback f JOIN exposures e ON e.tenant = f.tenant AND e.request_id = f.request_id
       WHERE f.id IN (SELECT MAX(id) FROM feedback
                      WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'grade'
                      GROUP BY request_id, doc_id)
       ORDER BY f.request_id`
    )
    .bind(tenant, experimentId)

  const [countRes, clickRes, conversionRes, gradeRes] = await db.batch<unknown>([counts, clicks, conversions, grades])

  const arms: ArmAggregate[] = Array.from({ length: armCount }, (_, variantIndex) => ({
    variantIndex,
    exposures: 0,
    units: 0,
    clicked: 0,
    top1Clicked: 0,
    rrSum: 0,
    rrSumSq: 0,
    converted: 0,
    conversionValue: 0,
    ndcgValues: [],
  }))
  // Exposures recorded under an arm index the current definition no longer has are ignored:
  // the rules (experiment-rules.ts) forbid changing the arms once an experiment has started.
  const arm = (i: number) => arms[i]

  for (const r of (countRes?.results ?? []) as CountRow[]) {
    const a = arm(r.variant_index)
    if (a) Object.assign(a, { exposures: r.exposures, units: r.units })
  }
  for (const r of (clickRes?.results ?? []) as ClickRow[]) {
    const a = arm(r.variant_index)
    if (a) Object.assign(a, { clicked: r.clicked, top1Clicked: r.top1, rrSum: r.rr_sum, rrSumSq: r.rr_sumsq })
  }
  for (const r of (conversionRes?.results ?? []) as ConversionRow[]) {
    const a = arm(r.variant_index)
    if (a) Object.assign(a, { converted: r.converted, conversionValue: r.value_sum })
  }

  const graded = new Map<string, { variantIndex: number; rankedIds: string[]; grades: Record<string, number> }>()
  for (const r of (gradeRes?.results ?? []) as GradeRow[]) {
    let g = graded.get(r.request_id)
    if (!g) {
      // A prototype-less object: a document id such as "__proto__" must stay a plain key.
      g = { variantIndex: r.variant_index, rankedIds: JSON.parse(r.ranked_ids) as string[], grades: Object.create(null) as Record<string, number> }
      graded.set(r.request_id, g)
    }
    g.grades[r.doc_id] = r.grade
  }
  for (const g of graded.values()) {
    const ndcg = exposureMetrics({ ranked_ids: g.rankedIds, clicks: [], grades: g.grades }).ndcg_at_10
    if (ndcg !== null) arm(g.variantIndex)?.ndcgValues.push(ndcg)
  }
  return arms
}
