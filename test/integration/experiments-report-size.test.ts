/**
 * The experiment report stays under D1's 50 MB query result limit ("Maximum query result size",
 * developers.cloudflare.com/d1/platform/limits/; enforced here by the strict D1 of helpers.ts) when
 * every graded exposure has 1,000 graded documents: reading every latest grade came back as one row
 * per graded document, past 50 MB for these 72 exposures (about 555 with short ids). nDCG@10 needs
 * only the grades of each ranking's first 10 documents and its 10 highest grades; the value is
 * checked against one worked out here from the seeded rows, with regrades (the latest wins) and ties.
 * Seeded straight into D1 with INSERT … SELECT so the test stays fast.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExperimentReport } from '../../src/experiments/report'
import { GRADES_PAGE_SQL } from '../../src/experiments/report-repo'
import { api, createExperiment, db } from './experiments-helpers'
import { D1_MAX_RESULT_BYTES } from './helpers'

const EXPOSURES = 72 // 36 per arm, two per user
const DOCS = 1000
// 256 characters, the longest document id feedback takes: 'd' + 4 digits + 251 CJK characters (3 UTF-8 bytes each).
const docId = (n: number) => `d${String(n).padStart(4, '0')}${'字'.repeat(251)}`
/** The latest grade of document n in every exposure: 12 documents tie at the top grade, 4. */
const latestGrade = (n: number) => (n >= DOCS - 12 ? 4 : n % 4)
/** Documents graded 100 first, then regraded to `latestGrade`: a report that took any grade but the latest would differ. */
const REGRADED = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 500, 501]
/** Arm 0 serves d0 … d999; arm 1 d995 … d999 then d0 … d994. */
const rankings = [
  Array.from({ length: DOCS }, (_, i) => i),
  Array.from({ length: DOCS }, (_, i) => (i + DOCS - 5) % DOCS),
]

/** nDCG@10 worked out by hand: gain = grade, discount log2(rank + 1), ideal from the 10 highest grades. */
function expectedNdcg(order: readonly number[]): number {
  const discount = (i: number) => Math.log2(i + 2)
  const dcg = order.slice(0, 10).reduce((s, n, i) => s + latestGrade(n) / discount(i), 0)
  const ideal = order
    .map(latestGrade)
    .sort((a, b) => b - a)
    .slice(0, 10)
    .reduce((s, g, i) => s + g / discount(i), 0)
  return dcg / ideal
}

describe('experiment report with 1,000 graded documents per exposure', () => {
  beforeAll(async () => {
    await createExperiment({
      id: 'rep-big',
      name: 'big',
      variants: [
        { key: 'control', weight: 0.5, instruction: 'Control instruction' },
        { key: 'treatment', weight: 0.5, instruction: 'Treatment instruction' },
      ],
    })
    const [r0, r1] = rankings.map((order) => JSON.stringify(order.map(docId)))
    await db()
      .prepare(
        `INSERT INTO exposures (tenant, request_id, experiment_id, variant_key, variant_index, unit_id, ranked_ids, created_at)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         SELECT 'public', printf('big-%03d', i), 'rep-big', CASE i % 2 WHEN 0 THEN 'control' ELSE 'treatment' END, i % 2,
                printf('big-u%d-%03d', i % 2, i / 4), CASE i % 2 WHEN 0 THEN ?2 ELSE ?3 END, '2026-11-01T00:00:00.000Z'
         FROM n`
      )
      .bind(EXPOSURES, r0, r1)
      .run()
    // Each exposure's documents by their (duplicate-free) rank: the old grades, then the latest ones.
    const grades = (where: string, grade: string) =>
      db().prepare(
        `INSERT INTO feedback (tenant, request_id, experiment_id, variant_index, kind, doc_id, rank, grade, created_at)
         SELECT 'public', request_id, 'rep-big', variant_index, 'grade', doc_id, position + 1, ${grade}, '2026-11-02T00:00:00.000Z'
         FROM (SELECT e.request_id, e.variant_index, j.value AS doc_id, j.key AS position, CAST(substr(j.value, 2, 4) AS INTEGER) AS n
               FROM exposures e, json_each(e.ranked_ids) j WHERE e.tenant = 'public' AND e.experiment_id = 'rep-big')
         WHERE ${where}
         ORDER BY request_id, position`
      )
    await db().batch([
      grades(`n IN (${REGRADED.join(', ')})`, '100'),
      grades('1', `CASE WHEN n >= ${DOCS - 12} THEN 4 ELSE n % 4 END`),
    ])
  }, 60_000)

  it('seeds latest grades whose rows alone pass D1 50 MB result limit', async () => {
    const row = await db()
      .prepare(
        `SELECT COUNT(*) AS n, SUM(length(CAST(doc_id AS BLOB)) + length(CAST(request_id AS BLOB))) AS bytes FROM feedback
         WHERE tenant = 'public' AND experiment_id = 'rep-big' AND kind = 'grade' AND id IN (
           SELECT MAX(id) FROM feedback WHERE tenant = 'public' AND experiment_id = 'rep-big' AND kind = 'grade' GROUP BY request_id, doc_id)`
      )
      .first<{ n: number; bytes: number }>()
    expect(row?.n).toBe(EXPOSURES * DOCS)
    // The ids' bytes alone, without the JSON around them.
    expect(row?.bytes).toBeGreaterThan(D1_MAX_RESULT_BYTES)
  })

  it('answers 200 with the nDCG@10 worked out from the seeded grades', async () => {
    const res = await api<ExperimentReport>('GET', '/v1/experiments/rep-big/report')
    expect(res.status, res.text.slice(0, 500)).toBe(200)
    const [control, treatment] = res.json.arms
    expect([control?.exposures, treatment?.exposures, control?.units, treatment?.units]).toEqual([36, 36, 18, 18])
    // Every exposure of an arm has the same ranking and grades, so the arm's mean is that exposure's value.
    const ndcg0 = expectedNdcg(rankings[0] ?? [])
    const ndcg1 = expectedNdcg(rankings[1] ?? [])
    // d0 … d9 (grades 0,1,2,3,0,1,2,3,0,1) against ten 4s; d995 … d999 (4s) then d0 … d4.
    expect(ndcg0).toBeCloseTo((1 / Math.log2(3) + 2 / 2 + 3 / Math.log2(5) + 1 / Math.log2(7) + 2 / Math.log2(8) + 3 / Math.log2(9) + 1 / Math.log2(11)) / (4 * [2, 3, 4, 5, 6, 7, 8, 9, 10, 11].reduce((s, r) => s + 1 / Math.log2(r), 0)), 12)
    expect(control?.metrics.ndcg_at_10.mean).toBeCloseTo(ndcg0, 12)
    expect(treatment?.metrics.ndcg_at_10.mean).toBeCloseTo(ndcg1, 12)
    expect(ndcg1).not.toBeCloseTo(ndcg0, 3)
  })

  it('reads at most 20 grades per exposure: those of the first 10 documents and the 10 highest', async () => {
    const { results } = await db().prepare(GRADES_PAGE_SQL).bind('public', 'rep-big', '', Number.MAX_SAFE_INTEGER).all<{ request_id: string; doc_id: string; grade: number }>()
    const perExposure = new Map<string, number>()
    for (const r of results) perExposure.set(r.request_id, (perExposure.get(r.request_id) ?? 0) + 1)
    expect(perExposure.size).toBe(EXPOSURES)
    expect(Math.max(...perExposure.values())).toBeLessThanOrEqual(20)
    expect(results.every((r) => r.grade === latestGrade(Number(r.doc_id.slice(1, 5))))).toBe(true)
  })
})
