/**
 * The report analyses users, not exposures. Reference values are independent of this code:
 * - hand computation of the per-user moments (written out below);
 * - numpy/scipy on the raw per-user data (SciPy 1.17.1): `np.cov` for the moments, `scipy.stats.t`
 *   for p-values, and scipy's own Welch test `stats.ttest_ind(b, a, equal_var=False)` where each
 *   user has one exposure (then the ratio metric is a plain per-user mean).
 */
import { describe, expect, it } from 'vitest'
import { clickUser, twoArmExperiment } from '../../test/support/report-fixtures'
import { buildExperimentReport, MIN_METRIC_EVENTS, REPORT_METRICS, UNIT_OF_ANALYSIS } from './report'
import { aggregateUnits, type UnitRow } from './unit-aggregate'

const experiment = twoArmExperiment('Prefer official documentation pages')

const user = clickUser
const times = <T>(k: number, row: T): T[] => Array.from({ length: k }, () => row)
/** Control: 1 heavy searcher (10 searches, all clicked at rank 1) among 10 users; treatment: 4 among 10. */
const heavyCase = () => aggregateUnits([user(0, 10, 10), ...times(9, user(0, 1, 0)), ...times(4, user(1, 10, 10)), ...times(6, user(1, 1, 0))], 2)

describe('buildExperimentReport: the user is the unit', () => {
  // A heavy-user case: both arms carry the same kind of instruction; control has 1 heavy
  // searcher (10 searches, all clicked at rank 1) among 10 users, treatment 4 among 10; every
  // light user searched once without a click.
  const heavy = aggregateUnits(
    [user(0, 10, 10), ...times(9, user(0, 1, 0)), ...times(4, user(1, 10, 10)), ...times(6, user(1, 1, 0))],
    2
  )

  it('does not call the heavy-user case significant (Welch over users, delta method)', () => {
    const r = buildExperimentReport(experiment, heavy, { generatedAt: 'now' })
    expect(r.method.unit_of_analysis).toBe('user')
    expect(r.method.unit_of_analysis).toBe(UNIT_OF_ANALYSIS)
    expect(r.arms.map((a) => [a.units, a.exposures, a.top1_clicks])).toEqual([
      [10, 19, 10],
      [10, 46, 40],
    ])
    // By hand, treatment: X (clicks) = 10,10,10,10,0…; Y (searches) = 10,10,10,10,1…
    //   ΣX = 40, ΣY = 46, ΣX² = 400, ΣY² = 406, ΣXY = 400, n = 10 → R = 40/46 = 0.869565…
    //   m_x = 4, m_y = 4.6, v_x = (400 − 160)/9 = 26.667, v_y = (406 − 211.6)/9 = 21.6, c = (400 − 184)/9 = 24
    //   σ² = v_x/m_y² + v_y·m_x²/m_y⁴ − 2c·m_x/m_y³ = 1.260239 + 0.771866 − 1.972549 = 0.0595576
    // Control: ΣX = 10, ΣY = 19, ΣX² = 100, ΣY² = 109, ΣXY = 100 → R = 10/19, m_x = 1, m_y = 1.9,
    //   v_x = 10, v_y = 8.1, c = 9 → σ² = 2.770083 + 0.621542 − 2.624289 = 0.767336
    // Δ = 0.343249, se = √(0.0595576/10 + 0.767336/10) = 0.287558, dof (Welch) = 10.389,
    // t = 1.19367 → p = 0.25915 (scipy.stats.t.sf; a t table brackets it in (0.2, 0.3) at 10 dof).
    const treat = r.arms[1]?.metrics.ctr_at_1
    expect(treat?.mean).toBeCloseTo(40 / 46, 12)
    expect(treat?.variance).toBeCloseTo(0.059557629749274366, 10)
    expect(r.arms[0]?.metrics.ctr_at_1.variance).toBeCloseTo(0.7673360394717648, 10)
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    expect(ctr?.absolute?.estimate).toBeCloseTo(0.34324942791762014, 12)
    expect(ctr?.absolute?.se).toBeCloseTo(0.2875575888793476, 10)
    expect(ctr?.dof).toBeCloseTo(10.388723744778483, 8)
    expect(ctr?.absolute?.p_value).toBeCloseTo(0.25915176206014057, 8)
    expect(ctr?.absolute?.ci[0]).toBeCloseTo(-0.2942339464213616, 8)
    expect(ctr?.absolute?.ci[1]).toBeCloseTo(0.9807328022566019, 8)
    // Relative lift 0.65217 (= 0.869565/0.526316 − 1), delta-method se 0.88184, p = 0.47595 (scipy).
    expect(ctr?.relative?.estimate).toBeCloseTo(0.6521739130434783, 12)
    expect(ctr?.relative?.se).toBeCloseTo(0.8818412394735651, 10)
    expect(ctr?.relative?.p_value).toBeCloseTo(0.475946960274217, 8)
    expect(ctr?.absolute?.p_value).toBeGreaterThanOrEqual(0.1)
    expect(ctr?.relative?.p_value).toBeGreaterThanOrEqual(0.1)
    expect(ctr?.significant).toBe(false)
    // MRR equals CTR@1 here (every click at rank 1), and it is not significant either.
    expect(r.comparisons[0]?.metrics.mrr.absolute?.p_value).toBeCloseTo(0.25915176206014057, 8)
    // SRM counts users: 10 vs 10 on 50/50 → χ² = 0, p = 1.
    expect(r.srm).toMatchObject({ basis: 'units', observed: [10, 10], chi2: 0, p_value: 1, mismatch: false })
    expect(r.notes[0]).toMatch(/Each user .* counts once/)
  })

  it('counts units, not exposures, as the sequential test’s sample size', () => {
    const r = buildExperimentReport(experiment, heavy, { generatedAt: 'now', method: 'sequential' })
    expect(r.method.unit_of_analysis).toBe('user')
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    // gbstats SequentialTwoSidedTTest formula evaluated in numpy with N = 20 users (with N = 65
    // exposures it would be 0.98262): p = min(1, 1/E), ln E = ρ²·(Δ²N/se²)/(2(Nρ² + 1)) − ½ ln(Nρ² + 1).
    expect(ctr?.absolute?.p_value).toBeCloseTo(0.9937254890421818, 10)
    expect(ctr?.relative?.p_value).toBe(1)
    expect(ctr?.significant).toBe(false)
  })

  it('with one exposure per user, is scipy’s Welch t-test on per-user 0/1 values (14/28 vs 16/30)', () => {
    const rows = [...times(14, user(0, 1, 1)), ...times(14, user(0, 1, 0)), ...times(16, user(1, 1, 1)), ...times(14, user(1, 1, 0))]
    const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    // scipy.stats.ttest_ind([1]*16 + [0]*14, [1]*14 + [0]*14, equal_var=False).pvalue = 0.8038517326986135
    expect(ctr?.absolute?.p_value).toBeCloseTo(0.8038517326986135, 10)
    expect(ctr?.dof).toBeCloseTo(55.69747071837611, 8)
    // Per-user sample variance with n − 1: 14·14/28/27 = 0.259259… (not gbstats' proportion p(1 − p) = 0.25).
    expect(r.arms[0]?.metrics.ctr_at_1.variance).toBeCloseTo(7 / 27, 12)
    expect(ctr?.relative?.p_value).toBeCloseTo(0.8103768259153914, 8)
  })

  it('scores nDCG over users with graded exposures only, one ratio per user', () => {
    // User A (control): graded exposures 1 and 0.5; user B (control): 0; user C (treatment): 1.
    const rows: UnitRow[] = [
      { ...user(0, 3, 0), ndcgValues: [1, 0.5] },
      { ...user(0, 1, 0), ndcgValues: [0] },
      user(0, 2, 0),
      { ...user(1, 1, 0), ndcgValues: [1] },
    ]
    const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    const nd = r.arms[0]?.metrics.ndcg_at_10
    // ΣX = 1.5, ΣY = 3 over n = 2 users → 0.5; m_x = 0.75, m_y = 1.5, v_x = 1.125, v_y = 0.5, c = 0.75
    // σ² = 1.125/2.25 + 0.5·0.5625/5.0625 − 2·0.75·0.75/3.375 = 0.5 + 0.0555… − 0.3333… = 0.2222…
    expect(nd).toMatchObject({ n: 2, exposures: 3 })
    expect(nd?.mean).toBeCloseTo(0.5, 12)
    expect(nd?.variance).toBeCloseTo(2 / 9, 12)
    expect(r.arms[0]?.graded_exposures).toBe(3)
    expect(r.arms[0]?.units).toBe(3)
  })

  it('says why there is no test for an arm without data, and never reports NaN', () => {
    const rows = [...times(3, user(0, 2, 1)), ...times(7, user(0, 1, 0))]
    const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    expect(r.comparisons[0]?.metrics.ctr_at_1).toMatchObject({ relative: null, error: 'too_few_units', significant: false })
    expect(r.arms[1]?.metrics.ndcg_at_10).toEqual({ n: 0, exposures: 0, mean: 0, variance: 0, ci: null })
    expect(r.notes.join(' ')).toMatch(/fewer than 2 users/)
    const nonFinite: string[] = []
    JSON.stringify(r, (k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) nonFinite.push(k)
      return v
    })
    expect(nonFinite).toEqual([])
  })
})

describe('buildExperimentReport: concentrated samples', () => {
  it('gives each arm its effective number of users, (Σ exposures)² / Σ exposures², exact by hand', () => {
    // control: 10 users of 1 search + 1 of 90: (100)² / (10 + 8100) = 1.233…; treatment: 200 users of 3 searches: 200.
    const rows = [...times(10, user(0, 1, 0)), user(0, 90, 45), ...times(200, user(1, 3, 1))]
    const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    expect(r.arms.map((a) => [a.units, a.effective_units])).toEqual([
      [11, 1.2],
      [200, 200],
    ])
    const note = r.notes.find((n) => n.includes('effective_units'))
    expect(note).toMatch(/arm "control" has 11 users whose exposures amount to 1\.2 equally active users/u)
    expect(note).not.toMatch(/arm "treatment"/u)
  })

  it('says nothing once every arm has enough users of comparable weight', () => {
    const rows = [...times(150, user(0, 2, 1)), ...times(150, user(1, 2, 1))]
    const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    expect(r.arms.map((a) => a.effective_units)).toEqual([150, 150])
    expect(r.notes.join(' ')).not.toMatch(/effective_units/u)
  })
})

describe('buildExperimentReport: significant is the reported test', () => {
  const binaryRows = (arm: number, users: number, clickers: number) => [...times(clickers, user(arm, 1, 1)), ...times(users - clickers, user(arm, 1, 0))]

  it('flags 5/100 vs 15/100 users on the absolute difference (p < 0.05, interval above 0), though the relative lift’s p is 0.18', () => {
    const r = buildExperimentReport(experiment, aggregateUnits([...binaryRows(0, 100, 5), ...binaryRows(1, 100, 15)], 2), { generatedAt: 'now' })
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    // By hand, one search per user: per-user variances 5·95/(100·99) and 15·85/(100·99),
    // se = √((0.047980 + 0.128788)/100) = 0.042044, t = 0.1/se = 2.3785 on ~164 dof: p ≈ 0.019.
    expect(ctr?.absolute?.estimate).toBeCloseTo(0.1, 12)
    expect(ctr?.absolute?.se).toBeCloseTo(Math.sqrt((475 / 9900 + 1275 / 9900) / 100), 12)
    expect(ctr?.absolute?.p_value).toBeGreaterThan(0.01)
    expect(ctr?.absolute?.p_value).toBeLessThan(0.025)
    expect(ctr?.absolute?.ci[0]).toBeGreaterThan(0)
    // The relative lift's delta-method se also carries the control's noise scaled by the lift: p ≈ 0.18.
    expect(ctr?.relative?.p_value).toBeGreaterThan(0.1)
    expect(ctr?.significant).toBe(true)
  })

  it('never disagrees with its own p-value and interval (Welch and sequential, every metric)', () => {
    let flagged = 0
    let checked = 0
    for (const method of ['welch', 'sequential'] as const) {
      for (const [c, t] of [[5, 15], [10, 12], [30, 50], [50, 30], [2, 9], [40, 41], [0, 8]] as const) {
        const rows = [...binaryRows(0, 200, c), ...binaryRows(1, 200, t), { ...user(0, 2, 1), ndcgValues: [0.2, 0.4] }, { ...user(1, 2, 1), ndcgValues: [0.9, 0.7] }]
        const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now', method, tuning: 400 })
        for (const m of REPORT_METRICS) {
          const cmp = r.comparisons[0]?.metrics[m]
          if (!cmp?.absolute) continue
          checked++
          const excludesZero = cmp.absolute.ci[0] > 0 || cmp.absolute.ci[1] < 0
          expect(cmp.significant, `${method} ${c}/${t} ${m}`).toBe(cmp.absolute.p_value < r.method.alpha)
          expect(cmp.significant, `${method} ${c}/${t} ${m}`).toBe(excludesZero)
          if (cmp.significant) flagged++
        }
      }
    }
    // Both outcomes occur, so the equalities above were tested both ways.
    expect(flagged).toBeGreaterThan(0)
    expect(flagged).toBeLessThan(checked)
  })

  it('tests an arm in which no one clicked (variance 0): an absolute difference, no relative lift, no NaN', () => {
    const r = buildExperimentReport(experiment, aggregateUnits([...binaryRows(0, 150, 0), ...binaryRows(1, 150, 12)], 2), { generatedAt: 'now' })
    const ctr = r.comparisons[0]?.metrics.ctr_at_1
    expect(r.arms[0]?.metrics.ctr_at_1).toMatchObject({ mean: 0, variance: 0 })
    // se from the treatment alone: per-user variance 12·138/(150·149), over 150 users; dof 149.
    expect(ctr).toMatchObject({ error: null, relative: null, relative_error: 'baseline_zero' })
    expect(ctr?.absolute?.estimate).toBeCloseTo(12 / 150, 12)
    expect(ctr?.absolute?.se).toBeCloseTo(Math.sqrt((12 * 138) / (150 * 149) / 150), 12)
    expect(ctr?.dof).toBeCloseTo(149, 9)
    expect(ctr?.significant).toBe(ctr !== undefined && ctr.absolute !== null && ctr.absolute.p_value < 0.05)
    const nonFinite: string[] = []
    JSON.stringify(r, (k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) nonFinite.push(k)
      return v
    })
    expect(nonFinite).toEqual([])
  })
})

describe('buildExperimentReport: counts, shares and trust', () => {
  it('reports per-arm feedback events, and assigned next to observed shares', () => {
    const rows: UnitRow[] = [
      { ...user(0, 3, 1), feedbackEvents: { clicks: 4, grades: 2, conversions: 1 } },
      { ...user(0, 1, 0), feedbackEvents: { clicks: 0, grades: 0, conversions: 0 } },
      { ...user(1, 2, 2), feedbackEvents: { clicks: 3, grades: 0, conversions: 2 } },
    ]
    const weighted = { ...experiment, variants: experiment.variants.map((v, i) => ({ ...v, weight: i === 0 ? 0.3 : 0.69 })) }
    const r = buildExperimentReport(weighted, aggregateUnits(rows, 2), { generatedAt: 'now' })
    expect(r.arms.map((a) => [a.exposures, a.units, a.feedback_events])).toEqual([
      [4, 2, { clicks: 4, grades: 2, conversions: 1 }],
      [2, 1, { clicks: 3, grades: 0, conversions: 2 }],
    ])
    expect(r.srm.assigned_shares[0]).toBeCloseTo(0.3 / 0.99, 14)
    expect(r.srm.assigned_shares[1]).toBeCloseTo(0.69 / 0.99, 14)
    expect(r.srm.observed_shares).toEqual([2 / 3, 1 / 3])
    const empty = buildExperimentReport(experiment, aggregateUnits([], 2), { generatedAt: 'now' })
    expect(empty.srm.observed_shares).toBeNull()
  })

  it('is trustworthy with enough users and events, and then has no untrusted_reason', () => {
    // 150 users per arm, two searches each; every metric recorded with plenty of events.
    const row = (arm: number, k: number): UnitRow => ({ ...user(arm, 2, k % 3 === 0 ? 1 : 0), clicked: k % 2, converted: k % 4 === 0 ? 1 : 0, ndcgValues: [0.5] })
    const rows = [...Array.from({ length: 150 }, (_, k) => row(0, k)), ...Array.from({ length: 150 }, (_, k) => row(1, k + 1))]
    const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    expect(r.trustworthy).toBe(true)
    expect('untrusted_reason' in r).toBe(false)
    expect(Object.values(r.comparisons[0]?.metrics ?? {}).map((m) => m.few_events)).toEqual([false, false, false, false])
  })

  it('is not trustworthy while a recorded metric has fewer than 10 events in an arm, and says which', () => {
    // 150 users per arm; control 40 rank-1 clicks, treatment 6 (< MIN_METRIC_EVENTS); nobody converts or grades.
    const rows = [...times(40, user(0, 1, 1)), ...times(110, user(0, 1, 0)), ...times(6, user(1, 1, 1)), ...times(144, user(1, 1, 0))]
    const r = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    expect(MIN_METRIC_EVENTS).toBe(10)
    expect(r.trustworthy).toBe(false)
    expect(r.untrusted_reason).toMatch(/too few events for CTR@1 \(arm "treatment" has 6 searches with a rank-1 click; at least 10 each\)/u)
    expect(r.comparisons[0]?.metrics.ctr_at_1.few_events).toBe(true)
    // Not recorded at all (no event in any arm): not measured, so it does not hold the report back.
    expect(r.comparisons[0]?.metrics.conversion_rate.few_events).toBe(false)
    expect(r.untrusted_reason).not.toMatch(/Conversion/u)
    expect(r.notes.join(' ')).toMatch(/Too few feedback events for CTR@1, MRR of clicks: the result is not yet trustworthy/u)
  })

  it('an arm of weight 0 (no user is assigned it) does not hold the report back; a user in it still does (SRM)', () => {
    const held = twoArmExperiment('Prefer short answers')
    held.variants.push({ key: 'paused', weight: 0, instruction: 'Prefer long answers' })
    const row = (arm: number, k: number): UnitRow => ({ ...user(arm, 2, k % 3 === 0 ? 1 : 0), clicked: k % 2, converted: k % 4 === 0 ? 1 : 0, ndcgValues: [0.5] })
    const rows = [...Array.from({ length: 150 }, (_, k) => row(0, k)), ...Array.from({ length: 150 }, (_, k) => row(1, k + 1))]
    const r = buildExperimentReport(held, aggregateUnits(rows, 3), { generatedAt: 'now' })
    expect(r.arms.map((a) => a.units)).toEqual([150, 150, 0])
    expect(r.srm.mismatch).toBe(false)
    expect(r.untrusted_reason).toBeUndefined()
    expect(r.trustworthy).toBe(true)
    expect(r.comparisons[0]?.metrics.ctr_at_1.few_events).toBe(false)
    // Its own comparison has no test, and says why.
    expect(r.comparisons[1]?.metrics.ctr_at_1.error).toBe('too_few_units')
    expect(r.notes.join(' ')).not.toMatch(/fewer than 2 users/u)
    // A user who reached it anyway is a sample-ratio mismatch: not trustworthy.
    const leaked = buildExperimentReport(held, aggregateUnits([...rows, row(2, 0)], 3), { generatedAt: 'now' })
    expect(leaked.srm.zero_weight_units).toBe(1)
    expect(leaked.trustworthy).toBe(false)
    expect(leaked.untrusted_reason).toMatch(/sample-ratio mismatch/u)
    // A control of weight 0 is still the arm every comparison needs: no test, not trustworthy.
    const noControl = twoArmExperiment('Prefer short answers')
    noControl.variants = [{ ...noControl.variants[0]!, weight: 0 }, { ...noControl.variants[1]!, weight: 1 }]
    const r0 = buildExperimentReport(noControl, aggregateUnits(rows.filter((u) => u.variantIndex === 1), 2), { generatedAt: 'now' })
    expect(r0.trustworthy).toBe(false)
    expect(r0.untrusted_reason).toMatch(/fewer than 2 users in arm "control"/u)
  })

  it('is not trustworthy on a sample-ratio mismatch or too few effective users', () => {
    const srm = buildExperimentReport(experiment, aggregateUnits([...times(300, user(0, 1, 0)), ...times(150, user(1, 1, 0))], 2), { generatedAt: 'now' })
    expect(srm.srm.mismatch).toBe(true)
    expect(srm.trustworthy).toBe(false)
    expect(srm.untrusted_reason).toMatch(/sample-ratio mismatch/u)
    // (Σ searches)² / Σ searches²: 19² / (10² + 9) = 3.3 and 46² / (4·10² + 6) = 5.2.
    const heavyOnly = buildExperimentReport(experiment, heavyCase(), { generatedAt: 'now' })
    expect(heavyOnly.untrusted_reason).toMatch(/fewer than 100 effective users in arm "control" \(3\.3\), arm "treatment" \(5\.2\)/u)
  })
})
