/**
 * The experiment report reads its graded exposures in pages, so that no query's result grows with
 * the experiment: with 3,200 graded exposures of worst-case ids (256-character document ids and
 * unit ids of 3-byte characters, the longest feedback and `user` take; UUID-length request ids, the
 * exposures' key), the latest grades nDCG@10 reads are, ids alone, over D1's 50 MB result limit
 * ("Maximum query result size", developers.cloudflare.com/d1/platform/limits/; enforced here by the
 * strict D1 of helpers.ts), which one unpaged query returned. nDCG@10 is checked against a value
 * worked out here from the seeded grades; each unit's exposures are spread over every page, and a
 * page reads no grade past the snapshot the first batch took. Then the largest report the Free
 * plan's 50 subrequests allow (report-repo.ts: 24,000 graded exposures, counted by the strict
 * subrequest limit of helpers.ts), and the 503 one more gets.
 * Seeded straight into D1 with INSERT … SELECT so the test stays fast.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExperimentReport } from '../../src/experiments/report'
import { GRADED_PAGE_SQL, GRADES_PAGE_SQL, maxReportGradedExposures, REPORT_PAGE_EXPOSURES } from '../../src/experiments/report-repo'
import { api, createExperiment, db, type ErrorBody } from './experiments-helpers'
import { callWorker, D1_MAX_RESULT_BYTES, subrequestsOf } from './helpers'
import { WORKERS_FREE_SUBREQUESTS } from './subrequest-limit'

const EXPOSURES = 3200 // 1,600 per arm
const DOCS = 20
const UNITS_PER_ARM = 40
const CJK = '字'
// 256 characters: 'd' + 2 digits + 253 CJK characters (3 UTF-8 bytes each).
const docId = (k: number) => `d${String(k).padStart(2, '0')}${CJK.repeat(253)}`
/**
 * Exposure i's latest grade of document k: the first 10 documents (0 … 2) all below the last 10
 * (3 … 4), so nDCG@10 reads all 20 (the first 10 for the DCG, the 10 highest for the ideal); the
 * pattern shifts with i, so exposures differ, and the treatment's (odd i) first 10 are graded lower.
 */
const grade = (i: number, k: number) => (k < 10 ? (i + k) % (3 - (i % 2)) : 3 + ((i + k) % 2))

/** nDCG@10 worked out by hand: gain = grade, discount log2(rank + 1), ideal from the 10 highest grades. */
function expectedNdcg(i: number): number {
  const discount = (r: number) => Math.log2(r + 2)
  const grades = Array.from({ length: DOCS }, (_, k) => grade(i, k))
  const dcg = grades.slice(0, 10).reduce((s, g, r) => s + g / discount(r), 0)
  const ideal = [...grades]
    .sort((a, b) => b - a)
    .slice(0, 10)
    .reduce((s, g, r) => s + g / discount(r), 0)
  return dcg / ideal
}

/** Graded exposures `from` … `to` - 1 of `experimentId`: 20 worst-case ids each, or one short one. */
async function seedGraded(experimentId: string, from: number, to: number, worstCase: boolean): Promise<void> {
  const ranked = JSON.stringify(Array.from({ length: worstCase ? DOCS : 1 }, (_, k) => (worstCase ? docId(k) : `d${k}`)))
  // Request ids of 36 characters, a UUID's length (request-id.ts), in the order of i.
  await db()
    .prepare(
      `INSERT INTO exposures (tenant, request_id, experiment_id, variant_key, variant_index, unit_id, ranked_ids, created_at)
       WITH RECURSIVE n(i) AS (SELECT ?5 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
       SELECT 'public', printf('%s-%0*d', ?2, 35 - length(?2), i), ?2, CASE i % 2 WHEN 0 THEN 'control' ELSE 'treatment' END, i % 2,
              printf('u%d-%03d', i % 2, (i / 2) % ${UNITS_PER_ARM}) || ?3, ?4, '2026-11-01T00:00:00.000Z'
       FROM n`
    )
    .bind(to, experimentId, worstCase ? CJK.repeat(250) : '', ranked, from)
    .run()
  const grades = (where: string, g: string) =>
    db().prepare(
      `INSERT INTO feedback (tenant, request_id, experiment_id, variant_index, kind, doc_id, rank, grade, created_at)
       SELECT 'public', request_id, ?1, variant_index, 'grade', doc_id, k + 1, ${g}, '2026-11-02T00:00:00.000Z'
       FROM (SELECT e.request_id, e.variant_index, j.value AS doc_id, j.key AS k, CAST(substr(e.request_id, length(?1) + 2) AS INTEGER) AS i
             FROM exposures e, json_each(e.ranked_ids) j WHERE e.tenant = 'public' AND e.experiment_id = ?1)
       WHERE i >= ?2 AND ${where}
       ORDER BY request_id, k`
    ).bind(experimentId, from)
  // Document 0 graded 100 first, then regraded: a report that took any grade but the latest would differ.
  await db().batch([grades('k = 0', '100'), grades('1', 'CASE WHEN k < 10 THEN (i + k) % (3 - i % 2) ELSE 3 + (i + k) % 2 END')])
}

describe('experiment report read in pages', () => {
  beforeAll(async () => {
    await createExperiment({
      id: 'rep-pages',
      name: 'pages',
      variants: [
        { key: 'control', weight: 0.5, instruction: 'Control instruction' },
        { key: 'treatment', weight: 0.5, instruction: 'Treatment instruction' },
      ],
    })
    await seedGraded('rep-pages', 0, EXPOSURES, true)
  }, 60_000)

  it('seeds latest grades whose ids alone pass D1 50 MB result limit', async () => {
    const row = await db()
      .prepare(
        `SELECT COUNT(*) AS n, SUM(length(CAST(doc_id AS BLOB)) + length(CAST(request_id AS BLOB))) AS bytes FROM feedback
         WHERE id IN (SELECT MAX(id) FROM feedback WHERE tenant = 'public' AND experiment_id = 'rep-pages' AND kind = 'grade' GROUP BY request_id, doc_id)`
      )
      .first<{ n: number; bytes: number }>()
    expect(row?.n).toBe(EXPOSURES * DOCS)
    expect(row?.bytes).toBeGreaterThan(D1_MAX_RESULT_BYTES)
  })

  it('answers 200 with the nDCG@10 worked out from the seeded grades', async () => {
    const res = await api<ExperimentReport>('GET', '/v1/experiments/rep-pages/report')
    expect(res.status, res.text.slice(0, 500)).toBe(200)
    const [control, treatment] = res.json.arms
    expect([control?.graded_exposures, treatment?.graded_exposures]).toEqual([EXPOSURES / 2, EXPOSURES / 2])
    expect([control?.metrics.ndcg_at_10.n, treatment?.metrics.ndcg_at_10.n]).toEqual([UNITS_PER_ARM, UNITS_PER_ARM])
    for (const arm of [0, 1]) {
      const values = Array.from({ length: EXPOSURES / 2 }, (_, j) => expectedNdcg(2 * j + arm))
      const mean = values.reduce((s, v) => s + v, 0) / values.length
      expect(res.json.arms[arm]?.metrics.ndcg_at_10.mean).toBeCloseTo(mean, 12)
    }
    expect(control?.metrics.ndcg_at_10.mean).not.toBeCloseTo(treatment?.metrics.ndcg_at_10.mean ?? NaN, 4)
  })

  it('a page reads no feedback past the snapshot it is given (later pages see what the first batch saw)', async () => {
    // Every exposure's first grade (document 0: 100) was written before any of the latest ones.
    const before = await db().prepare(`SELECT MAX(id) AS id FROM feedback WHERE experiment_id = 'rep-pages' AND grade = 100`).first<{ id: number }>()
    const { results } = await db().prepare(GRADES_PAGE_SQL).bind('public', 'rep-pages', '', before?.id).all<{ doc_id: string; grade: number }>()
    expect(results.length).toBe(REPORT_PAGE_EXPOSURES)
    expect(results.every((r) => r.grade === 100 && r.doc_id === docId(0))).toBe(true)
  })

  it('a full page of worst-case exposures returns under half of D1 result limit', async () => {
    const size = (rows: unknown[]) => new TextEncoder().encode(JSON.stringify(rows)).byteLength
    const page = await db().prepare(GRADED_PAGE_SQL).bind('public', 'rep-pages', '', Number.MAX_SAFE_INTEGER).all()
    const grades = await db().prepare(GRADES_PAGE_SQL).bind('public', 'rep-pages', '', Number.MAX_SAFE_INTEGER).all()
    expect(page.results.length).toBe(REPORT_PAGE_EXPOSURES)
    expect(grades.results.length).toBe(REPORT_PAGE_EXPOSURES * DOCS)
    expect(size(page.results) + size(grades.results)).toBeLessThan(D1_MAX_RESULT_BYTES / 2)
  })
})

describe('the largest report one invocation can read (Workers Free: 50 subrequests)', () => {
  // 48 batches of 500: the 50 subrequests less the rate limiter's and the experiment's read.
  const MAX_REPORT_GRADED_EXPOSURES_FREE = 24_000

  it(`reads ${MAX_REPORT_GRADED_EXPOSURES_FREE} graded exposures (every D1 batch counted by the strict subrequest limit), and answers 503 naming the limit past it`, async () => {
    expect(maxReportGradedExposures(WORKERS_FREE_SUBREQUESTS)).toBe(MAX_REPORT_GRADED_EXPOSURES_FREE)
    await createExperiment({
      id: 'rep-max',
      name: 'max',
      variants: [
        { key: 'control', weight: 0.5, instruction: 'Control instruction' },
        { key: 'treatment', weight: 0.5, instruction: 'Treatment instruction' },
      ],
    })
    await seedGraded('rep-max', 0, MAX_REPORT_GRADED_EXPOSURES_FREE, false)

    // Rate-limited (the binding's call is one subrequest), so the invocation spends all 50.
    const limited = { vars: { RATE_LIMIT_ANONYMOUS: 'true' }, headers: { 'cf-connecting-ip': '203.0.113.7' } }
    const res = await callWorker('/v1/experiments/rep-max/report', undefined, { ...limited, method: 'GET' })
    const text = await res.text()
    expect(res.status, text.slice(0, 500)).toBe(200)
    const fits = JSON.parse(text) as ExperimentReport
    expect(fits.arms.reduce((s, a) => s + a.graded_exposures, 0)).toBe(MAX_REPORT_GRADED_EXPOSURES_FREE)
    expect([subrequestsOf(res).count, subrequestsOf(res).of('ratelimit'), subrequestsOf(res).of('d1')]).toEqual([WORKERS_FREE_SUBREQUESTS, 1, 49])

    await seedGraded('rep-max', MAX_REPORT_GRADED_EXPOSURES_FREE, MAX_REPORT_GRADED_EXPOSURES_FREE + 1, false)
    const past = await callWorker('/v1/experiments/rep-max/report', undefined, { ...limited, method: 'GET' })
    const error = ((await past.json()) as ErrorBody).error
    expect(past.status, JSON.stringify(error)).toBe(503)
    expect(error?.code).toBe('storage_unavailable')
    expect(error?.message).toContain(`${MAX_REPORT_GRADED_EXPOSURES_FREE + 1} graded exposures`)
    expect(error?.message).toContain(`at most ${MAX_REPORT_GRADED_EXPOSURES_FREE}`)
    expect(error?.message).toContain('MAX_SUBREQUESTS')
    // Refused after the first batch (and the experiment's read), not at the runtime's 51st subrequest.
    expect(subrequestsOf(past).of('d1')).toBe(2)
  })
})
