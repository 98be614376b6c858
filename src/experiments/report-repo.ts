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
 * then summed per unit in `addGradedUnit`. Those rows grow with the graded exposures, so they are
 * read in pages of REPORT_PAGE_EXPOSURES (keyset pagination by request_id), one D1 batch each:
 * unpaged they passed D1's 50 MB result limit at about 3,000 graded exposures with worst-case ids.
 * The first batch also reads the arm sums and the last feedback id, and the later pages read no
 * feedback past that id, so every read sees the tables as the first batch did. Each batch is a
 * subrequest, so a report reads at most `maxReportGradedExposures` graded exposures (24,000 on
 * Workers Free), and answers 503 naming the limit past it. Every read is served by an index on
 * (tenant, experiment_id, …) (migrations/0006) or the exposures' key, so what a report reads grows
 * with the experiment, not with the tenant's history.
 */
import { STORAGE_SUBREQUESTS } from '../backends/subrequest-budget'
import { ApiError } from '../errors'
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
  /** The arm's graded exposures with a unit, the ones the pages read. */
  graded: number
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
         COALESCE(SUM(g.events), 0) AS grade_events, COALESCE(SUM(v.events), 0) AS conversion_events,
         SUM(g.request_id IS NOT NULL) AS graded
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
       SUM(conversion_events) AS conversion_events, SUM(graded) AS graded
FROM per_unit GROUP BY variant_index`

/**
 * Graded exposures per report query: a page's worst case (256-character document and unit ids of
 * 3-byte characters: 20 grade rows and 10 ranked ids each) returns about 13 MB over its two reads
 * (8.4 MB of grades, 4.3 MB of rankings), a quarter of D1's 50 MB result limit
 * (developers.cloudflare.com/d1/platform/limits/; measured by
 * test/integration/experiments-report-pages.test.ts). Unpaged, the grades alone passed that limit at
 * about 3,000 such exposures (29,000 with typical ids).
 */
export const REPORT_PAGE_EXPOSURES = 500

/**
 * D1 batches one report may make: the invocation's subrequests (MAX_SUBREQUESTS; every D1 call is
 * one, developers.cloudflare.com/workers/platform/limits/, "Subrequests") less the rate limiter's
 * call and the experiment's read, which come before it. Each batch reads one page.
 */
export function maxReportBatches(maxSubrequests: number): number {
  return maxSubrequests - STORAGE_SUBREQUESTS.rateLimit - STORAGE_SUBREQUESTS.experimentRead
}

/** The most graded exposures a report can read: 24,000 on Workers Free (MAX_SUBREQUESTS=50). */
export function maxReportGradedExposures(maxSubrequests: number): number {
  return Math.max(1, maxReportBatches(maxSubrequests)) * REPORT_PAGE_EXPOSURES
}

/**
 * The feedback id the report's snapshot ends at: the pages after the first are read in later
 * batches, and see only feedback rows up to it (`id <= ?4`), so every page reads the tables as the
 * first batch did (ARM_SUMS_SQL's grade counts included): ids grow in commit order (AUTOINCREMENT,
 * sqlite.org/autoinc.html; D1 has one writer), and neither exposures nor feedback rows are ever
 * updated or deleted (an experiment with exposures cannot be deleted: experiment-repo.ts). A
 * rowid's MAX is one b-tree seek.
 */
export const FEEDBACK_SNAPSHOT_SQL = `SELECT COALESCE(MAX(id), 0) AS id FROM feedback`

// One page of graded exposures: the next REPORT_PAGE_EXPOSURES after ?3 by request_id (keyset
// pagination: each page starts where the last ended, found in the index, not by skipping rows),
// with a grade in the snapshot (?4) and a unit. The ids are walked in order in idx_feedback_report
// (tenant, experiment_id, kind, request_id, …: migrations/0006), each group checked once (HAVING)
// against the exposures' key (tenant, request_id), and the walk stops at the page's end (no sort of
// the rest): what a page reads does not grow with the experiment.
const PAGE_CTE = `page AS (
  SELECT e.request_id, e.variant_index, e.unit_id, e.ranked_ids FROM exposures e
  WHERE e.tenant = ?1 AND e.request_id IN (
    SELECT f.request_id FROM feedback f
    WHERE f.tenant = ?1 AND f.experiment_id = ?2 AND f.kind = 'grade' AND f.request_id > ?3 AND f.id <= ?4
    GROUP BY f.request_id
    HAVING EXISTS (SELECT 1 FROM exposures x WHERE x.tenant = ?1 AND x.request_id = f.request_id AND x.experiment_id = ?2 AND x.unit_id <> '')
    ORDER BY f.request_id LIMIT ${REPORT_PAGE_EXPOSURES})
)`

// The page's latest grade per (exposure, document) (the highest feedback id in the snapshot wins),
// but only those nDCG@10 can read: the grades of the ranking's first DEFAULT_NDCG_K distinct ids (its DCG) and the
// DEFAULT_NDCG_K highest grades (its ideal DCG), at most 20 rows per exposure. Every latest grade,
// one row per graded document, was 58 MB for 72 exposures with 1,000 graded documents of 256-character
// ids (about 555 exposures with short ids), past D1's 50 MB result limit
// (developers.cloudflare.com/d1/platform/limits/). The rows left out change no number: a document
// outside the first 10 adds nothing to the DCG, and a grade below the 10 highest nothing to the ideal
// DCG (ndcgCut sums the first 10 of the grades sorted descending; grades tied at the 10th are equal
// values, so which of them comes back does not matter); an exposure with any grade keeps at least
// its highest, so it still counts as graded (nDCG 0, not null, when every grade is 0). The first ids
// are worked out from ranked_ids as GRADED_PAGE_SQL does (a repeated id counts at its first
// position), not from the stored feedback rank. Grades served by idx_feedback_report
// (migrations/0006), which also holds doc_id (and the rowid, id). Window functions
// need SQLite 3.25; D1 runs at least 3.38 (feedback-repo.ts already uses its `->>`).
export const GRADES_PAGE_SQL = `
WITH ${PAGE_CTE}, latest AS (
  SELECT request_id, doc_id, grade, ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY grade DESC) AS by_grade
  FROM feedback
  WHERE id IN (
    SELECT MAX(id) FROM feedback
    WHERE tenant = ?1 AND experiment_id = ?2 AND kind = 'grade' AND id <= ?4 AND request_id IN (SELECT request_id FROM page)
    GROUP BY request_id, doc_id)
), first_ids AS (
  SELECT request_id, value AS doc_id FROM (
    SELECT p.request_id, j.value, ROW_NUMBER() OVER (PARTITION BY p.request_id ORDER BY MIN(j.key)) AS position
    FROM page p, json_each(p.ranked_ids) j
    GROUP BY p.request_id, j.value
  ) WHERE position <= ${DEFAULT_NDCG_K}
)
SELECT l.request_id, l.doc_id, l.grade FROM latest l
LEFT JOIN first_ids f ON f.request_id = l.request_id AND f.doc_id = l.doc_id
WHERE l.by_grade <= ${DEFAULT_NDCG_K} OR f.request_id IS NOT NULL`

// Each of the page's graded exposures, once, in request_id order (the last one is the next page's
// start), with its ranking: with the grades joined in SQL it came back once per grade
// (a 100-id ranking graded on 4 documents, 4 times), 24 MB for a million exposures, toward D1's
// 50 MB result limit and the isolate's 128 MB. And only its first DEFAULT_NDCG_K distinct ids,
// all that nDCG@10 reads (a repeated id counts at its first rank: ranking-metrics.ts; the ideal
// DCG comes from the grades): whole rankings of 1,000 ids were 53 MB for 1,400 graded exposures,
// past D1's result limit ("Maximum query result size 50 MB",
// developers.cloudflare.com/d1/platform/limits/), and 139 MB parsed. Returned as an object of
// first position → id and ordered in JS (`prefixIds`): SQL guarantees no order inside an aggregate
// without the `ORDER BY` argument of SQLite 3.44, and D1 does not state its SQLite version.
export const GRADED_PAGE_SQL = `
WITH ${PAGE_CTE}
SELECT p.request_id, p.variant_index, p.unit_id,
       (SELECT json_group_object(first, value) FROM (
          SELECT value, MIN(key) AS first FROM json_each(p.ranked_ids) GROUP BY value ORDER BY first LIMIT ${DEFAULT_NDCG_K}
        )) AS ranked_ids
FROM page p ORDER BY p.request_id`

interface GradedExposure {
  variantIndex: number
  unitId: string
  rankedIds: string[]
  grades: Record<string, number>
}

/**
 * Per-arm aggregates of `armCount` arms. The first batch reads the snapshot's last feedback id, the
 * arm sums and the first page; each further page is one batch. A report with more graded exposures
 * than the invocation's subrequests can page through is refused (503, naming the limit) before any
 * page after the first is read: past the limit the next D1 call would throw (a 500).
 */
export async function readArmAggregates(
  db: D1Database,
  tenant: string,
  experimentId: string,
  armCount: number,
  maxSubrequests: number
): Promise<ArmAggregate[]> {
  const page = (after: string, snapshot: number) => [
    db.prepare(GRADED_PAGE_SQL).bind(tenant, experimentId, after, snapshot),
    db.prepare(GRADES_PAGE_SQL).bind(tenant, experimentId, after, snapshot),
  ]
  // One batch is one transaction: every row the first one reads is within the snapshot it reads.
  const [snapRes, sumRes, ...first] = await db.batch<unknown>([
    db.prepare(FEEDBACK_SNAPSHOT_SQL),
    db.prepare(ARM_SUMS_SQL).bind(tenant, experimentId),
    ...page('', Number.MAX_SAFE_INTEGER),
  ])
  const snapshot = ((snapRes?.results ?? []) as Array<{ id: number }>)[0]?.id ?? 0

  const arms = Array.from({ length: armCount }, (_, i) => emptyArmAggregate(i))
  const sums = (sumRes?.results ?? []) as ArmRow[]
  // Exposures recorded under an arm index the current definition no longer has are ignored:
  // the rules (experiment-rules.ts) forbid changing the arms once an experiment has started.
  for (const r of sums) {
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

  // Every arm's graded exposures, those of an arm no longer defined too: the pages read them all.
  const graded = sums.reduce((n, r) => n + r.graded, 0)
  const maxGraded = maxReportGradedExposures(maxSubrequests)
  if (graded > maxGraded) {
    throw new ApiError(
      'storage_unavailable',
      `this experiment has ${graded} graded exposures, more than one report can read: it reads them ${REPORT_PAGE_EXPOSURES} per D1 query ` +
        `(D1 returns at most 50 MB per query), and each query is one of the invocation's MAX_SUBREQUESTS=${maxSubrequests} subrequests, ` +
        `so it reads at most ${maxGraded} (Workers Free allows 50 subrequests; on a Paid plan raise MAX_SUBREQUESTS)`
    )
  }

  // nDCG@10 per graded exposure, collected per (arm, unit) over every page in request_id order,
  // then summed into the arm. Floating-point sums depend on order: the one unpaged read returned
  // them in request_id order too (its plan walked the graded ids by the exposures' key), so the
  // units and their values are added as before.
  const perUnit = new Map<string, UnitValues>()
  let read = 0
  let [rankingRes, gradeRes] = first
  for (;;) {
    const rows = (rankingRes?.results ?? []) as GradedExposureRow[]
    addPage(perUnit, rows, (gradeRes?.results ?? []) as GradeRow[])
    read += rows.length
    const last = rows.at(-1)
    if (last === undefined || rows.length < REPORT_PAGE_EXPOSURES || read >= graded) break
    ;[rankingRes, gradeRes] = await db.batch<unknown>(page(last.request_id, snapshot))
  }
  for (const u of perUnit.values()) {
    const a = arms[u.variantIndex]
    if (a) addGradedUnit(a, u.values)
  }
  return arms
}

interface UnitValues {
  variantIndex: number
  values: number[]
}

/** Adds one page's nDCG@10 values to their units in `perUnit` (in place), in the page's order. */
function addPage(perUnit: Map<string, UnitValues>, rankings: readonly GradedExposureRow[], grades: readonly GradeRow[]): void {
  const graded = new Map<string, GradedExposure>()
  for (const r of rankings) {
    // A prototype-less object: a document id such as "__proto__" must stay a plain key.
    graded.set(r.request_id, { variantIndex: r.variant_index, unitId: r.unit_id, rankedIds: prefixIds(r.ranked_ids), grades: Object.create(null) as Record<string, number> })
  }
  for (const r of grades) {
    const g = graded.get(r.request_id)
    if (g) g.grades[r.doc_id] = r.grade
  }
  for (const g of graded.values()) {
    const ndcg = exposureMetrics({ ranked_ids: g.rankedIds, clicks: [], grades: g.grades }).ndcg_at_10
    if (ndcg === null) continue
    const key = `${g.variantIndex}\u0000${g.unitId}`
    const u = perUnit.get(key) ?? { variantIndex: g.variantIndex, values: [] }
    u.values.push(ndcg)
    perUnit.set(key, u)
  }
}

/** GRADED_PAGE_SQL's `{"<first position>": id}` as ids in rank order. */
export function prefixIds(json: string): string[] {
  const byPosition = JSON.parse(json) as Record<string, string>
  return Object.keys(byPosition)
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => byPosition[String(k)] as string)
}
