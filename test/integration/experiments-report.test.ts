/**
 * `GET /v1/experiments/{id}/report` (JSON and page) against reference values computed
 * independently: exposures are seeded in D1 (two per user) and feedback goes through
 * `POST /v1/feedback`. The report analyses users (the randomisation unit): each metric is a ratio
 * of per-user sums with its variance over users (delta method, gbstats `RatioStatistic`).
 * Means, MRR, nDCG@10 and the SRM χ² are worked out by hand below; p-values and intervals come
 * from numpy/scipy on the per-user data (np.cov for the moments, scipy.stats.t for p and the
 * quantile; SciPy 1.17.1), not from this code.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExperimentReport } from '../../src/experiments/report'
import { ARM_SUMS_SQL, FEEDBACK_SNAPSHOT_SQL, GRADED_PAGE_SQL, GRADES_PAGE_SQL, prefixIds } from '../../src/experiments/report-repo'
import { asObject, validateJson, valueAt as at } from '../support/openapi/json-schema-check'
import { api, createExperiment, db, seedExposure } from './experiments-helpers'
import { callWorker } from './helpers'

const RANKED = ['d0', 'd1', 'd2', 'd3']

/** `count` exposures; exposure i belongs to user `unit-<prefix>-⌊i/perUnit⌋`. */
async function seedExposures(experimentId: string, arm: number, key: string, count: number, prefix: string, perUnit = 1) {
  const stmt = db().prepare(
    `INSERT INTO exposures (tenant, request_id, experiment_id, variant_key, variant_index, unit_id, ranked_ids, created_at)
     VALUES ('public', ?1, ?2, ?3, ?4, ?5, ?6, '2026-11-01T00:00:00.000Z')`
  )
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  await db().batch(ids.map((id, i) => stmt.bind(id, experimentId, key, arm, `unit-${prefix}-${Math.floor(i / perUnit)}`, JSON.stringify(RANKED))))
  return ids
}

async function feedback(body: Record<string, unknown>) {
  const res = await api('POST', '/v1/feedback', body)
  if (res.status !== 201) throw new Error(`feedback failed: ${res.status} ${res.text}`)
}

const ARMS = [
  { key: 'control', weight: 0.5, instruction: 'Control instruction' },
  { key: 'treatment', weight: 0.5, instruction: 'Treatment instruction' },
]

describe('experiment report', () => {
  beforeAll(async () => {
    await createExperiment({ id: 'rep-gb', name: 'A/B <script>alert(1)</script> & co', variants: ARMS })
    // 14 control users and 15 treatment users, two searches each.
    const control = await seedExposures('rep-gb', 0, 'control', 28, 'c', 2)
    const treatment = await seedExposures('rep-gb', 1, 'treatment', 30, 't', 2)
    // Control: 14 rank-1 clicks (one of them also clicked rank 3), 4 exposures clicked at rank 2
    // only, 2 at rank 4 only, 8 without a click.
    for (const id of control.slice(0, 14)) await feedback({ request_id: id, clicks: ['d0'] })
    await feedback({ request_id: control[0], clicks: ['d2'] })
    for (const id of control.slice(14, 18)) await feedback({ request_id: id, clicks: ['d1'] })
    for (const id of control.slice(18, 20)) await feedback({ request_id: id, clicks: ['d3'] })
    // Treatment: 16 rank-1 clicks, 6 exposures clicked at rank 3 only (one of them twice).
    for (const id of treatment.slice(0, 16)) await feedback({ request_id: id, clicks: ['d0'] })
    for (const id of treatment.slice(16, 22)) await feedback({ request_id: id, clicks: ['d2'] })
    await feedback({ request_id: treatment[16], clicks: ['d2'] })
    // Grades: control c-0 {d0:0, d1:3, d2:1}; c-1 graded d0 = 0, then re-graded 2 (latest wins);
    // treatment t-0 {d3: 2}.
    await feedback({ request_id: control[0], grades: { d0: 0, d1: 3, d2: 1 } })
    await feedback({ request_id: control[1], grades: { d0: 0 } })
    await feedback({ request_id: control[1], grades: { d0: 2 } })
    await feedback({ request_id: treatment[0], grades: { d3: 2 } })
    // Conversions: 3 control exposures worth 10, 6 treatment exposures worth 5 (one sent twice).
    for (const id of control.slice(0, 3)) await feedback({ request_id: id, conversion: 10 })
    for (const id of treatment.slice(0, 6)) await feedback({ request_id: id, conversion: 5 })
    await feedback({ request_id: treatment[0], conversion: 5 })
  })

  it('compares CTR@1 over users (14 vs 15 users, 14/28 vs 16/30 rank-1 clicks)', async () => {
    const res = await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')
    expect(res.status, res.text).toBe(200)
    const r = res.json
    expect(r.method).toMatchObject({ id: 'gbstats-two-sided-ttest', alpha: 0.05, unit_of_analysis: 'user', metric_type: 'ratio_delta_method' })
    expect(r.method.name).toMatch(/Welch/)
    expect(r.arms.map((a) => [a.key, a.exposures, a.units, a.top1_clicks])).toEqual([
      ['control', 28, 14, 14],
      ['treatment', 30, 15, 16],
    ])
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    expect(r.comparisons[0]).toMatchObject({ variant: 'treatment', control: 'control' })
    // Per-user (rank-1 clicks, searches): control (2,2)×7, (0,2)×7; treatment (2,2)×8, (0,2)×7.
    // Control σ² = v_x/m_y² = (28 − 14²/14)/13/4 = 0.269231 (v_y = c = 0: every user searched twice).
    expect(r.arms[0]?.metrics.ctr_at_1.variance).toBeCloseTo(0.2692307692307693, 12)
    expect(ctr?.relative?.estimate).toBeCloseTo(16 / 30 / 0.5 - 1, 12)
    expect(ctr?.dof).toBeCloseTo(26.843518866692573, 8)
    expect(ctr?.relative?.ci[0]).toBeCloseTo(-0.7507735748505033, 8)
    expect(ctr?.relative?.ci[1]).toBeCloseTo(0.8841069081838366, 8)
    expect(ctr?.relative?.p_value).toBeCloseTo(0.8683229106507895, 8)
    expect(ctr?.absolute?.p_value).toBeCloseTo(0.8637378103976762, 8)
    expect(ctr?.absolute?.estimate).toBeCloseTo(16 / 30 - 14 / 28, 12)
    expect(ctr?.significant).toBe(false)
  })

  it('computes MRR of clicks, mean nDCG@10 from the latest grades, and conversions per arm', async () => {
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')).json
    const [control, treatment] = r.arms
    // MRR: best-ranked click per exposure; exposures without a click count 0.
    expect(control?.metrics.mrr.mean).toBeCloseTo((14 * 1 + 4 / 2 + 2 / 4) / 28, 12)
    expect(treatment?.metrics.mrr.mean).toBeCloseTo((16 * 1 + 6 / 3) / 30, 12)
    expect(control?.clicked_exposures).toBe(20)
    expect(treatment?.clicked_exposures).toBe(22)
    // nDCG@10, linear gain, log2 discount, IDCG from the grades given (hand-computed).
    const c0 = (3 / Math.log2(3) + 1 / Math.log2(4)) / (3 + 1 / Math.log2(3))
    expect(control?.metrics.ndcg_at_10.mean).toBeCloseTo((c0 + 1) / 2, 12)
    expect(control?.metrics.ndcg_at_10.mean).toBeCloseTo(0.8295009024, 9)
    expect(treatment?.metrics.ndcg_at_10.n).toBe(1)
    expect(treatment?.metrics.ndcg_at_10.mean).toBeCloseTo(2 / Math.log2(5) / 2, 12)
    // Conversions: exposures with one (the rate), and the summed value.
    expect([control?.conversions, control?.conversion_value]).toEqual([3, 30])
    expect([treatment?.conversions, treatment?.conversion_value]).toEqual([6, 35])
    expect(treatment?.metrics.conversion_rate.mean).toBeCloseTo(6 / 30, 12)
    const conv = r.comparisons[0]?.metrics.conversion_rate
    expect(conv?.relative?.estimate).toBeCloseTo(6 / 30 / (3 / 28) - 1, 12)
    expect(conv?.relative?.p_value).toBeCloseTo(0.6098179294821705, 8) // scipy, per-user data
    expect(r.comparisons[0]?.metrics.mrr.absolute?.p_value).toBeCloseTo(0.9501337551992525, 8)
    // nDCG over users with grades: c-0 and c-1 are one user (2 graded searches), t-0 one user.
    expect(control?.metrics.ndcg_at_10).toMatchObject({ n: 1, exposures: 2 })
  })

  it('counts feedback events per arm, gives assigned and observed shares, and says why it is not trustworthy yet', async () => {
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')).json
    // Rows recorded (a repeated click or a regrade is a row too): control 14 + 1 + 4 + 2 clicks,
    // 3 + 1 + 1 grades, 3 conversions; treatment 16 + 6 + 1 clicks, 1 grade, 6 + 1 conversions.
    expect(r.arms.map((a) => [a.exposures, a.units, a.feedback_events])).toEqual([
      [28, 14, { clicks: 21, grades: 5, conversions: 3 }],
      [30, 15, { clicks: 23, grades: 1, conversions: 7 }],
    ])
    expect(r.srm.assigned_shares).toEqual([0.5, 0.5])
    expect(r.srm.observed_shares).toEqual([14 / 29, 15 / 29])
    // 14 and 15 users (effective 14 and 15: two searches each); conversions 3 in control; MRR
    // non-events 8 in control (28 − 20 clicked); nDCG@10 graded 2 and 1.
    expect(r.trustworthy).toBe(false)
    expect(r.untrusted_reason).toMatch(/^Not yet trustworthy: fewer than 100 effective users in arm "control" \(14\), arm "treatment" \(15\); /u)
    expect(r.untrusted_reason).toMatch(/too few events for Conversion rate \(arm "control" has 3 searches with a conversion; arm "treatment" has 6/u)
    expect(Object.entries(r.comparisons[0]?.metrics ?? {}).map(([m, c]) => [m, c.few_events])).toEqual([
      ['ctr_at_1', false],
      ['mrr', true],
      ['ndcg_at_10', true],
      ['conversion_rate', true],
    ])
  })

  it('matches the ExperimentReport schema GET /openapi.json publishes (and the check can fail)', async () => {
    const doc = asObject(await (await callWorker('/openapi.json')).json())
    expect(at(doc, 'paths', '/v1/experiments/{id}/report', 'get', 'responses', '200', 'content', 'application/json', 'schema', '$ref')).toBe('#/components/schemas/ExperimentReport')
    const schema = { $ref: '#/components/schemas/ExperimentReport' }
    for (const q of ['', '?method=sequential']) {
      const r = (await api<ExperimentReport>('GET', `/v1/experiments/rep-gb/report${q}`)).json
      expect(validateJson(schema, r, doc), q).toEqual([])
    }
    await createExperiment({ id: 'rep-schema-empty', name: 'Empty', variants: ARMS })
    const empty = (await api<ExperimentReport>('GET', '/v1/experiments/rep-schema-empty/report')).json
    expect(empty.srm.observed_shares).toBeNull()
    expect(validateJson(schema, empty, doc)).toEqual([])
    const full = (await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')).json
    const { trustworthy: _t, ...withoutTrust } = full
    expect(validateJson(schema, withoutTrust, doc).length).toBeGreaterThan(0)
    expect(validateJson(schema, { ...full, untrusted_reason: 3 }, doc).length).toBeGreaterThan(0)
    expect(validateJson(schema, { ...full, surprise: 1 }, doc).length).toBeGreaterThan(0)
  })

  it('treats an empty unit id as no unit: such exposures are not summed as one giant user', async () => {
    await createExperiment({ id: 'rep-empty-unit', name: 'Empty unit', variants: ARMS })
    for (const id of ['eu-1', 'eu-2', 'eu-3']) await seedExposure(id, 'rep-empty-unit', RANKED, '')
    await seedExposure('eu-4', 'rep-empty-unit', RANKED, 'alice')
    await seedExposure('eu-5', 'rep-empty-unit', RANKED, 'bob')
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-empty-unit/report')).json
    expect(r.arms[0]).toMatchObject({ units: 2, exposures: 2 })
    expect(r.totals).toEqual({ exposures: 2, units: 2 })
  })

  it('checks the sample ratio: χ² of users per arm against the weights', async () => {
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')).json
    // (14 − 14.5)²/14.5 + (15 − 14.5)²/14.5 = 1/29; p = erfc(√(χ²/2)) for 1 dof = 0.852684 (scipy chi2.sf).
    expect(r.srm).toMatchObject({ basis: 'units', observed: [14, 15], expected: [14.5, 14.5], dof: 1, mismatch: false })
    expect(r.srm.chi2).toBeCloseTo(1 / 29, 12)
    expect(r.srm.p_value).toBeCloseTo(0.8526836843346426, 8)
  })

  it('does not call noise from 4 heavy searchers a win (an exposure-level test gave p = 0.011)', async () => {
    // Same instruction in both arms. Control: 1 user searched 10 times and clicked rank 1 every
    // time, 9 users searched once without a click; treatment: 4 such heavy users and 6 light ones.
    await createExperiment({ id: 'rep-heavy', name: 'Heavy', variants: ARMS.map((v) => ({ ...v, instruction: 'Prefer official documentation' })) })
    const c = await seedExposures('rep-heavy', 0, 'control', 19, 'hc', 10)
    const t = await seedExposures('rep-heavy', 1, 'treatment', 46, 'ht', 10)
    // Light users: re-home the single searches so that each is its own user.
    await db().prepare("UPDATE exposures SET unit_id = 'light-' || request_id WHERE experiment_id = 'rep-heavy' AND (request_id GLOB 'hc-1?' OR request_id GLOB 'ht-4?')").run()
    for (const id of [...c.slice(0, 10), ...t.slice(0, 40)]) await feedback({ request_id: id, clicks: ['d0'] })
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-heavy/report')).json
    expect(r.method.unit_of_analysis).toBe('user')
    expect(r.arms.map((a) => [a.units, a.exposures, a.top1_clicks])).toEqual([
      [10, 19, 10],
      [10, 46, 40],
    ])
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    // numpy/scipy on the per-user data (see src/experiments/report.test.ts for the hand computation).
    expect(ctr?.absolute?.p_value).toBeCloseTo(0.25915176206014057, 8)
    expect(ctr?.relative?.p_value).toBeCloseTo(0.475946960274217, 8)
    expect(ctr?.absolute?.p_value).toBeGreaterThanOrEqual(0.1)
    expect(ctr?.significant).toBe(false)
    const seq = (await api<ExperimentReport>('GET', '/v1/experiments/rep-heavy/report?method=sequential')).json
    expect(seq.comparisons[0]?.metrics.ctr_at_1.absolute?.p_value).toBeGreaterThanOrEqual(0.1)
    expect(seq.method.unit_of_analysis).toBe('user')
    // Effective users from D1's per-user sums: (19)² / (10² + 9) = 3.3 and (46)² / (4·10² + 6) = 5.2,
    // far under MIN_EFFECTIVE_UNITS, so the notes say the tests cannot be trusted yet.
    expect(r.arms.map((a) => a.effective_units)).toEqual([3.3, 5.2])
    expect(r.notes.join(' ')).toMatch(/arm "control" has 10 users whose exposures amount to 3\.3 equally active users/)
    const page = await api('GET', '/v1/experiments/rep-heavy/report.html')
    expect(page.text).toMatch(/Each user \(the unit that was randomised\) counts once/)
    expect(page.text).toMatch(/effective users<\/th>/)
  })

  it('flags a sample-ratio mismatch (120 vs 60 users on 50/50; exposures 240 vs 60) in the JSON and as a banner on the page', async () => {
    await createExperiment({ id: 'rep-srm', name: 'SRM', variants: ARMS })
    await seedExposures('rep-srm', 0, 'control', 240, 'srm-c', 2)
    await seedExposures('rep-srm', 1, 'treatment', 60, 'srm-t')
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-srm/report')).json
    // χ² = 2·30²/90 = 20; p = erfc(√10) = 7.744e-6 < 0.001.
    expect(r.srm.chi2).toBeCloseTo(20, 10)
    expect(r.srm.p_value).toBeCloseTo(7.744216431e-6, 12)
    expect(r.srm.mismatch).toBe(true)
    expect(r.notes.join(' ')).toMatch(/Sample-ratio mismatch/)
    const page = await api('GET', '/v1/experiments/rep-srm/report.html')
    expect(page.status).toBe(200)
    expect(page.text).toMatch(/<div class="banner bad" role="alert">Sample-ratio mismatch/)
  })

  it('offers the sequential test by name, with wider intervals than Welch', async () => {
    const welch = (await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')).json
    const seq = await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report?method=sequential')
    expect(seq.status).toBe(200)
    expect(seq.json.method).toMatchObject({ id: 'gbstats-sequential-two-sided-ttest', sequential_tuning: 5000 })
    const w = welch.comparisons[0]?.metrics.ctr_at_1.relative
    const s = seq.json.comparisons[0]?.metrics.ctr_at_1.relative
    expect(s?.estimate).toBeCloseTo(w?.estimate ?? NaN, 12)
    expect((s?.ci[1] ?? 0) - (s?.ci[0] ?? 0)).toBeGreaterThan((w?.ci[1] ?? 0) - (w?.ci[0] ?? 0))
    const bad = await api('GET', '/v1/experiments/rep-gb/report?method=bayes')
    expect(bad.status).toBe(400)
    expect(bad.json.error?.field).toBe('method')
    // Options whose intervals would be infinite (null, NaN on the page) are refused, naming the limit.
    for (const [query, field, limit] of [
      ['alpha=1e-17', 'alpha', /\[0\.000001, 0\.5\)/u],
      ['alpha=0.5', 'alpha', /\[0\.000001, 0\.5\)/u],
      ['method=sequential&tuning=1e300', 'tuning', /1 to 1000000000000/u],
    ] as const) {
      for (const page of ['report', 'report.html']) {
        const r = await api('GET', `/v1/experiments/rep-gb/${page}?${query}`)
        expect(r.status, `${page}?${query}`).toBe(400)
        expect(r.json.error?.field).toBe(field)
        expect(r.json.error?.message).toMatch(limit)
      }
    }
    const strict = await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report?alpha=0.000001')
    expect(strict.status).toBe(200)
    expect(strict.json.comparisons[0]?.metrics.ctr_at_1.relative?.ci.every((x) => x !== null && Number.isFinite(x))).toBe(true)
  })

  it('serves a self-contained page: inline SVG bars with CI whiskers, escaped names, a CSP, nothing external', async () => {
    for (const path of ['/v1/experiments/rep-gb/report.html', '/v1/experiments/rep-gb/report?format=html']) {
      const page = await api('GET', path)
      expect(page.status, path).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
      const html = page.text
      expect(html.match(/<svg /g)?.length).toBe(8) // per metric: bars per arm + lift plot
      expect(html).toMatch(/class="whisker"/)
      expect(html).toContain('A/B &lt;script&gt;alert(1)&lt;/script&gt; &amp; co')
      expect(html).not.toContain('<script>alert(1)')
      expect(html).not.toMatch(/(src|href)="https?:/)
      // The CTR@1 row: the difference (16/30 − 14/28 = +3.33 pp), its interval and p-value as
      // printed (scipy's p above, rounded), then the relative lift (+6.7 %).
      const ctr = (await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')).json.comparisons[0]?.metrics.ctr_at_1
      const pp = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(2)} pp`
      expect(html).toContain(`<td class="num">+3.33 pp</td>\n<td class="num">${pp(ctr?.absolute?.ci[0] ?? NaN)} … ${pp(ctr?.absolute?.ci[1] ?? NaN)}</td>\n<td class="num">0.8637</td>\n<td class="num">+6.7%</td>`)
      expect(html).toMatch(/unit of analysis: user/)
    }
  })
})

describe('report queries', () => {
  it('reads only the first 10 distinct ids of each graded ranking (nDCG@10 needs no more; whole 1,000-id rankings passed the 50 MB result limit of D1)', async () => {
    await createExperiment({ id: 'rep-prefix', name: 'prefix', variants: ARMS })
    // A ranking that repeats ids near the top, then 1,000 more: the 10th distinct id, j, sits at index 12.
    const ranked = ['a', 'b', 'a', 'c', 'd', 'b', 'e', 'f', 'g', 'h', 'i', 'a', 'j', ...Array.from({ length: 1000 }, (_, i) => `tail-${i}`)]
    await seedExposure('r-prefix', 'rep-prefix', ranked, 'u')
    await feedback({ request_id: 'r-prefix', grades: { j: 3, 'tail-5': 1 } })
    const rows = await db().prepare(GRADED_PAGE_SQL).bind('public', 'rep-prefix', '', Number.MAX_SAFE_INTEGER).all<{ ranked_ids: string }>()
    expect(rows.results.map((r) => prefixIds(r.ranked_ids))).toEqual([['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']])
    // j counts at distinct rank 10; the ideal DCG still takes tail-5's grade.
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-prefix/report')).json
    expect(r.arms[0]?.metrics.ndcg_at_10.mean).toBeCloseTo(3 / Math.log2(11) / (3 + 1 / Math.log2(3)), 12)
  })

  it('every read is served by an index on the experiment, so what a report reads grows with the experiment, not the tenant (EXPLAIN QUERY PLAN)', async () => {
    const plans: Record<string, string[]> = {}
    // The pages bind their start (the last request id of the page before) and the snapshot's last feedback id.
    const reads: Record<string, [string, unknown[]]> = {
      ARM_SUMS_SQL: [ARM_SUMS_SQL, ['t', 'e']],
      FEEDBACK_SNAPSHOT_SQL: [FEEDBACK_SNAPSHOT_SQL, []],
      GRADES_PAGE_SQL: [GRADES_PAGE_SQL, ['t', 'e', 'r', 1000]],
      GRADED_PAGE_SQL: [GRADED_PAGE_SQL, ['t', 'e', 'r', 1000]],
    }
    /** Per read, the steps of the subquery that walks the graded ids from a page's start (request_id>?). */
    const pageWalks: string[][] = []
    for (const [name, [sql, params]] of Object.entries(reads)) {
      const rows = await db().prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ id: number; parent: number; detail: string }>()
      plans[name] = rows.results.map((r) => r.detail)
      for (const walk of rows.results.filter((r) => /idx_feedback_report \(.*request_id>\?\)/u.test(r.detail))) {
        pageWalks.push(rows.results.filter((r) => r.parent === walk.parent).map((r) => r.detail))
      }
    }
    const all = Object.values(plans).flat()
    // The tenant-wide index (tenant, request_id) read every feedback row of the tenant: 671,000 rows
    // for a 200-exposure experiment's report in a tenant with 240,000 feedback rows.
    expect(all.filter((d) => /idx_feedback_request/u.test(d)), JSON.stringify(plans)).toEqual([])
    expect(all.filter((d) => /^SCAN (feedback|exposures)\b/u.test(d)), JSON.stringify(plans)).toEqual([])
    expect(all.some((d) => /feedback USING (COVERING )?INDEX idx_feedback_report \(tenant=\? AND experiment_id=\? AND kind=\?\)/u.test(d)), JSON.stringify(plans)).toBe(true)
    expect(all.some((d) => /SEARCH (exposures|e) USING COVERING INDEX idx_exposures_report \(tenant=\? AND experiment_id=\?\)/u.test(d)), JSON.stringify(plans)).toBe(true)
    // Each page walks the graded ids in index order from its start and stops at its end: a sort (a
    // temp b-tree) there would read every graded id after the start, each page, to keep 500 of them.
    expect(pageWalks.length, JSON.stringify(plans)).toBe(2)
    expect(pageWalks.flat().filter((d) => /TEMP B-TREE/u.test(d)), JSON.stringify(plans)).toEqual([])
    expect(plans.GRADED_PAGE_SQL?.filter((d) => /^SEARCH (e|x) USING (COVERING )?INDEX sqlite_autoindex_exposures_1 \(tenant=\? AND request_id=\?\)/u.test(d)), JSON.stringify(plans)).toHaveLength(2)
  })
})
