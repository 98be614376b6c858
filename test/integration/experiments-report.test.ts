/**
 * `GET /v1/experiments/{id}/report` (JSON and page) against reference values computed
 * independently: exposures are seeded in D1 and feedback goes through `POST /v1/feedback` so that
 * the CTR@1 counts are GrowthBook's published case (gbstats test_tests.py
 * `test_two_sided_ttest_binom`: 14/28 vs 16/30 → relative lift 0.0667, 95% CI (−0.47767, 0.61101),
 * p = 0.80707); MRR, nDCG@10 and the SRM χ² are worked out by hand below.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExperimentReport } from '../../src/experiments/report'
import { api, createExperiment, db } from './experiments-helpers'

const RANKED = ['d0', 'd1', 'd2', 'd3']

async function seedExposures(experimentId: string, arm: number, key: string, count: number, prefix: string) {
  const stmt = db().prepare(
    `INSERT INTO exposures (tenant, request_id, experiment_id, variant_key, variant_index, unit_id, ranked_ids, created_at)
     VALUES ('public', ?1, ?2, ?3, ?4, ?5, ?6, '2026-11-01T00:00:00.000Z')`
  )
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  await db().batch(ids.map((id) => stmt.bind(id, experimentId, key, arm, `unit-${id}`, JSON.stringify(RANKED))))
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
    const control = await seedExposures('rep-gb', 0, 'control', 28, 'c')
    const treatment = await seedExposures('rep-gb', 1, 'treatment', 30, 't')
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

  it('reproduces GrowthBook’s published Welch case on CTR@1 (14/28 vs 16/30)', async () => {
    const res = await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')
    expect(res.status, res.text).toBe(200)
    const r = res.json
    expect(r.method).toMatchObject({ id: 'gbstats-two-sided-ttest', alpha: 0.05, unit_of_analysis: 'exposure' })
    expect(r.method.name).toMatch(/Welch/)
    expect(r.arms.map((a) => [a.key, a.exposures, a.units, a.top1_clicks])).toEqual([
      ['control', 28, 28, 14],
      ['treatment', 30, 30, 16],
    ])
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    expect(r.comparisons[0]).toMatchObject({ variant: 'treatment', control: 'control' })
    expect(ctr?.relative?.estimate).toBeCloseTo(0.0667, 4)
    expect(ctr?.relative?.ci[0]).toBeCloseTo(-0.47767, 5)
    expect(ctr?.relative?.ci[1]).toBeCloseTo(0.61101, 5)
    expect(ctr?.relative?.p_value).toBeCloseTo(0.80707, 5)
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
    expect(control?.metrics.ndcg_at_10.n).toBe(2)
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
  })

  it('checks the sample ratio: χ² of units per arm against the weights', async () => {
    const r = (await api<ExperimentReport>('GET', '/v1/experiments/rep-gb/report')).json
    // (28 − 29)²/29 + (30 − 29)²/29 = 2/29; p = erfc(√(χ²/2)) for 1 dof = 0.792849 (Python math.erfc).
    expect(r.srm).toMatchObject({ basis: 'units', observed: [28, 30], expected: [29, 29], dof: 1, mismatch: false })
    expect(r.srm.chi2).toBeCloseTo(2 / 29, 12)
    expect(r.srm.p_value).toBeCloseTo(0.7928489826, 8)
  })

  it('flags a sample-ratio mismatch (120 vs 60 units on 50/50) in the JSON and as a banner on the page', async () => {
    await createExperiment({ id: 'rep-srm', name: 'SRM', variants: ARMS })
    await seedExposures('rep-srm', 0, 'control', 120, 'srm-c')
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
      // The CTR@1 lift and its interval as printed.
      expect(html).toContain('+6.7%')
      expect(html).toContain('−47.8% … +61.1%')
      expect(html).toContain('0.8071')
    }
  })
})
