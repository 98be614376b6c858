/**
 * @module report-repo
 * Reads what an experiment report needs from D1, summed per randomisation unit and then per arm
 * (unit-aggregate.ts says what each sum means). SQL does what it can do exactly: per exposure,
 * whether rank 1 was clicked, 1/rank of its best-ranked click and whether it converted; per
 * (arm, unit), the sums over its exposures; per arm, the number of units and the sums, squares and
 * cross-products a ratio metric's delta-method variance needs (stats/ratio-stat.ts) — so the
 * result has one row per arm however many users there are. nDCG@10 needs each graded exposure's
 * first 10 ranked ids (once) and the latest grades it can read (at most 20 per exposure), so those
 * rows come back and are scored with the same pure function as everywhere (ranking-metrics.ts),
 * then summed per unit in `addGradedUnit`.
 * The reads go in one `batch`, so they see one snapshot of the tables; every one of them is served
 * by an index on (tenant, experiment_id, …) (migrations/0006), so what a report reads grows with
 * the experiment, not with the tenant's history.
 */
import { DEFAULT_NDCG_K, exposureMetrics } from './ranking-metrics'
import { addGradedUnit, emptyArmAggregate, type ArmAggregate } from './unit-aggregate'

interface ArmRow {
  variant_index: number
  units: number
  exposures: number
  exposures_sq: number
  clicked: number
  top1: number
  top1_sq: number
  top1_n: number
  rr: number
  rr_sq: number
  rr_n: number
  converted: number
  converted_sq: number
  converted_n: number
  value_sum: number
  click_events: number
  grade_events: number
  conversion_events: number
}
interface GradeRow {
  request_id: string
  doc_id: string
  grade: number
}
interface GradedExposureRow {
  request_id: string
  variant_index: number
  unit_id: string
  ranked_ids: string
}

// Per exposure: its click summary (clicks are recorded with the rank they were served at, so no
// JSON is read), its conversions and its feedback rows by kind; per (arm, unit): sums over its
// exposures; per arm: sums over units. An empty unit id is no unit (assign-variant.ts records no
// exposure for it, as GrowthBook skips an empty hash value): were one stored, its exposures would
// otherwise be summed as one giant user, so they are left out.
export const ARM_SUMS_SQL = `
WITH clicks AS (
  SELECT request_id, MAX(rank = 1) AS top1, 1.0 / MIN(rank) AS rr, COUNT(*) AS events
  FROM feedback WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'click' GROUP BY request_id
), conversions AS (
  SELECT request_id, SUM(COALESCE(value, 1)) AS v, COUNT(*) AS events
  FROM feedback WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'conversion' GROUP BY request_id
), grades AS (
  SELECT request_id, COUNT(*) AS events
  FROM feedback WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'grade' GROUP BY request_id
), per_unit AS (
  SELECT e.variant_index AS variant_index, e.unit_id AS unit_id, COUNT(*) AS n,
         SUM(c.request_id IS NOT NULL) AS clicked, COALESCE(SUM(c.top1), 0) AS top1,
         COALESCE(SUM(c.rr), 0.0) AS rr, SUM(v.request_id IS NOT NULL) AS converted,
         COALESCE(SUM(v.v), 0.0) AS value_sum, COALESCE(SUM(c.events), 0) AS click_events,
         COALESCE(SUM(g.events), 0) AS grade_events, COALESCE(SUM(v.events), 0) AS conversion_events
  FROM exposures e
  LEFT JOIN clicks c ON c.request_id = e.request_id
  LEFT JOIN conversions v ON v.request_id = e.request_id
  LEFT JOIN grades g ON g.request_id = e.request_id
  WHERE e.tenant = ?1 AND e.experiment_id = ?2 AND e.unit_id <> ''
  GROUP BY e.variant_index, e.unit_id
)
SELECT variant_index, COUNT(*) AS units, SUM(n) AS exposures, SUM(n * n) AS exposures_sq,
       SUM(clicked) AS clicked, SUM(top1) AS top1, SUM(top1 * top1) AS top1_sq, SUM(top1 * n) AS top1_n,
       SUM(rr) AS rr, SUM(rr * rr) AS rr_sq, SUM(rr * n) AS rr_n,
       SUM(converted) AS converted, SUM(converted * converted) AS converted_sq, SUM(converted * n) AS converted_n,
       SUM(value_sum) AS value_sum, SUM(click_events) AS click_events, SUM(grade_events) AS grade_events,
       SUM(conversion_events) AS conversion_events
FROM per_unit GROUP BY variant_index`

// The latest grade per (exposure, document) (the highest feedback id wins), but only those nDCG@10
// can read: the grades of the ranking's first DEFAULT_NDCG_K distinct ids (its DCG) and the
// DEFAULT_NDCG_K highest grades (its ideal DCG), at most 20 rows per exposure. Every latest grade,
// one row per graded document, was 58 MB for 72 exposures with 1,000 graded documents of 256-character
// ids (about 555 exposures with short ids), past D1's 50 MB result limit
// (developers.cloudflare.com/d1/platform/limits/). The rows left out change no number: a document
// outside the first 10 adds nothing to the DCG, and a grade below the 10 highest nothing to the ideal
// DCG (ndcgCut sums the first 10 of the grades sorted descending; grades tied at the 10th are equal
// values, so which of them comes back does not matter); an exposure with any grade keeps at least
// its highest, so it still counts as graded (nDCG 0, not null, when every grade is 0). The first ids
// are worked out from ranked_ids as GRADED_EXPOSURES_SQL does (a repeated id counts at its first
// position), not from the stored feedback rank. Grades served by idx_feedback_report
// (migrations/0006), which also holds doc_id; the rankings by the exposures' key. Window functions
// need SQLite 3.25; D1 runs at least 3.38 (feedback-repo.ts already uses its `->>`).
export const LATEST_GRADES_SQL = `
WITH latest AS (
  SELECT request_id, doc_id, grade, ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY grade DESC) AS by_grade
  FROM feedback
  WHERE id IN (SELECT MAX(id) FROM feedback WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'grade' GROUP BY request_id, doc_id)
), first_ids AS (
  SELECT request_id, value AS doc_id FROM (
    SELECT e.request_id, j.value, ROW_NUMBER() OVER (PARTITION BY e.request_id ORDER BY MIN(j.key)) AS position
    FROM exposures e, json_each(e.ranked_ids) j
    WHERE e.tenant = ?1 AND e.request_id IN (SELECT request_id FROM latest)
    GROUP BY e.request_id, j.value
  ) WHERE position <= ${DEFAULT_NDCG_K}
)
SELECT l.request_id, l.doc_id, l.grade FROM latest l
LEFT JOIN first_ids f ON f.request_id = l.request_id AND f.doc_id = l.doc_id
WHERE l.by_grade <= ${DEFAULT_NDCG_K} OR f.request_id IS NOT NULL`

// Each graded exposure's ranking, once: with the grades joined in SQL it came back once per grade
// (a 100-id ranking graded on 4 documents, 4 times), 24 MB for a million exposures, toward D1's
// 50 MB result limit and the isolate's 128 MB. And only its first DEFAULT_NDCG_K distinct ids,
// all that nDCG@10 reads (a repeated id counts at its first rank: ranking-metrics.ts; the ideal
// DCG comes from the grades): whole rankings of 1,000 ids were 53 MB for 1,400 graded exposures,
// past D1's result limit ("Maximum query result size 50 MB",
// developers.cloudflare.com/d1/platform/limits/), and 139 MB parsed. Returned as an object of
// first position → id and ordered in JS (`prefixIds`): SQL guarantees no order inside an aggregate
// without the `ORDER BY` argument of SQLite 3.44, and D1 does not state its SQLite version.
export const GRADED_EXPOSURES_SQL = `
SELECT e.request_id, e.variant_index, e.unit_id,
       (SELECT json_group_object(first, value) FROM (
          SELECT value, MIN(key) AS first FROM json_each(e.ranked_ids) GROUP BY value ORDER BY first LIMIT ${DEFAULT_NDCG_K}
        )) AS ranked_ids
FROM exposures e
WHERE e.tenant = ?1 AND e.unit_id <> '' AND e.request_id IN (
  SELECT DISTINCT request_id FROM feedback WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'grade')`

export async function readArmAggregates(
  db: D1Database,
  tenant: string,
  experimentId: string,
  armCount: number
): Promise<ArmAggregate[]> {
  const sums = db.prepare(ARM_SUMS_SQL).bind(tenant, experimentId)
  const grades = db.prepare(LATEST_GRADES_SQL).bind(tenant, experimentId)
  const rankings = db.prepare(GRADED_EXPOSURES_SQL).bind(tenant, experimentId)

  const [sumRes, gradeRes, rankingRes] = await db.batch<unknown>([sums, grades, rankings])

  const arms = Array.from({ length: armCount }, (_, i) => emptyArmAggregate(i))
  // Exposures recorded under an arm index the current definition no longer has are ignored:
  // the rules (experiment-rules.ts) forbid changing the arms once an experiment has started.
  for (const r of (sumRes?.results ?? []) as ArmRow[]) {
    const a = arms[r.variant_index]
    if (!a) continue
    Object.assign(a, {
      exposures: r.exposures,
      units: r.units,
      clicked: r.clicked,
      top1Clicked: r.top1,
      converted: r.converted,
      conversionValue: r.value_sum,
      feedbackEvents: { clicks: r.click_events, grades: r.grade_events, conversions: r.conversion_events },
    })
    const denominator = { units: r.units, sumY: r.exposures, sumY2: r.exposures_sq }
    a.ratios.ctr_at_1 = { ...denominator, sumX: r.top1, sumX2: r.top1_sq, sumXY: r.top1_n }
    a.ratios.mrr = { ...denominator, sumX: r.rr, sumX2: r.rr_sq, sumXY: r.rr_n }
    a.ratios.conversion_rate = { ...denominator, sumX: r.converted, sumX2: r.converted_sq, sumXY: r.converted_n }
  }

  const graded = new Map<string, { variantIndex: number; unitId: string; rankedIds: string[]; grades: Record<string, number> }>()
  for (const r of (rankingRes?.results ?? []) as GradedExposureRow[]) {
    // A prototype-less object: a document id such as "__proto__" must stay a plain key.
    graded.set(r.request_id, { variantIndex: r.variant_index, unitId: r.unit_id, rankedIds: prefixIds(r.ranked_ids), grades: Object.create(null) as Record<string, number> })
  }
  for (const r of (gradeRes?.results ?? []) as GradeRow[]) {
    const g = graded.get(r.request_id)
    if (g) g.grades[r.doc_id] = r.grade
  }
  // nDCG@10 per graded exposure, collected per (arm, unit), then summed into the arm.
  const perUnit = new Map<string, { variantIndex: number; values: number[] }>()
  for (const g of graded.values()) {
    const ndcg = exposureMetrics({ ranked_ids: g.rankedIds, clicks: [], grades: g.grades }).ndcg_at_10
    if (ndcg === null) continue
    const key = `${g.variantIndex}\u0000${g.unitId}`
    const u = perUnit.get(key) ?? { variantIndex: g.variantIndex, values: [] }
    u.values.push(ndcg)
    perUnit.set(key, u)
  }
  for (const u of perUnit.values()) {
    const a = arms[u.variantIndex]
    if (a) addGradedUnit(a, u.values)
  }
  return arms
}

/** GRADED_EXPOSURES_SQL's `{"<first position>": id}` as ids in rank order. */
export function prefixIds(json: string): string[] {
  const byPosition = JSON.parse(json) as Record<string, string>
  return Object.keys(byPosition)
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => byPosition[String(k)] as string)
}
