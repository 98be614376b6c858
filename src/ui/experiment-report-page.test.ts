/**
 * The report page's text where there is nothing (or nothing yet in one arm) to report: no verdict
 * on the sample ratio before anyone was exposed, and `—` rather than a 0 for an arm without users,
 * as the charts already show.
 */
import { describe, expect, it } from 'vitest'
import { clickUser, twoArmExperiment } from '../../test/support/report-fixtures'
import { buildExperimentReport } from '../experiments/report'
import { aggregateUnits, type UnitRow } from '../experiments/unit-aggregate'
import { experimentReportHtmlBody } from './experiment-report-page'
import { escapeHtml } from './html'

const experiment = twoArmExperiment('Prefer community answers')

const user = clickUser

/** The cells of the per-arm table's row for `arm`, as text. */
function armRow(html: string, arm: string): string[] {
  const table = html.slice(html.indexOf('Per-arm figures'))
  const row = table.match(new RegExp(`<tr><th scope="row">${arm}[\\s\\S]*?</tr>`, 'u'))?.[0] ?? ''
  return [...row.matchAll(/<td class="num">([\s\S]*?)<\/td>/gu)].map((m) => (m[1] ?? '').replace(/<[^>]+>/gu, '').trim())
}

describe('experiment report page', () => {
  it('with no exposures, gives no sample-ratio verdict: a neutral "no exposures yet" banner', () => {
    const html = experimentReportHtmlBody(buildExperimentReport(experiment, aggregateUnits([], 2), { generatedAt: 'now' }))
    expect(html).not.toContain('No sample-ratio mismatch')
    expect(html).not.toContain('banner ok')
    expect(html).not.toContain('banner bad')
    expect(html).toMatch(/<div class="banner none">No exposures yet\b/u)
  })

  it('shows "—", not 0, for the metrics of an arm with no users', () => {
    const rows = [user(0, 3, 1), user(0, 2, 0), user(0, 1, 1)]
    const report = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
    const html = experimentReportHtmlBody(report)
    // weight, users, effective users, expected users, exposures, CTR@1, MRR, nDCG@10, conversion, value
    const treatment = armRow(html, 'treatment')
    expect(treatment.slice(1, 2)).toEqual(['0'])
    expect(treatment.slice(5, 9).map((c) => c.split(' ')[0])).toEqual(['—', '—', '—', '—'])
    // An arm with users keeps its figures (and its 0.0% when none converted).
    const control = armRow(html, 'control')
    expect(control[1]).toBe('3')
    expect(control[5]).toBe(`${((report.arms[0]?.metrics.ctr_at_1.mean ?? NaN) * 100).toFixed(1)}% (2)`)
    expect(control[8]).toBe('0.0% (0)')
    // The bar charts said so already.
    expect(html).toContain('treatment no data')
  })
})

describe('experiment report page: the tested effect and trust', () => {
  const times = <T>(k: number, row: T): T[] => Array.from({ length: k }, () => row)
  // 5/100 vs 15/100 users clicked rank 1 (one search each): the absolute difference is significant
  // (p ≈ 0.019), the relative lift's own p is ≈ 0.18; control has only 5 clicks (< 10).
  const rows = [...times(5, user(0, 1, 1)), ...times(95, user(0, 1, 0)), ...times(15, user(1, 1, 1)), ...times(85, user(1, 1, 0))]
  const report = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'now' })
  const html = experimentReportHtmlBody(report)
  const ctrPanel = html.slice(html.indexOf('id="h-ctr_at_1"'), html.indexOf('id="h-mrr"'))

  it('shows the difference, its interval and its p-value in the row it marks significant', () => {
    const ctr = report.comparisons[0]?.metrics.ctr_at_1
    expect(ctr?.significant).toBe(true)
    const row = ctrPanel.match(/<tr class="sig"><td>treatment[\s\S]*?<\/tr>/u)?.[0] ?? ''
    const cells = [...row.matchAll(/<td class="num">([\s\S]*?)<\/td>/gu)].map((m) => (m[1] ?? '').replace(/<[^>]+>/gu, '').trim())
    expect(cells[0]).toBe('+10.00 pp')
    expect(cells[1]).toBe(`+${((ctr?.absolute?.ci[0] ?? NaN) * 100).toFixed(2)} pp … +${((ctr?.absolute?.ci[1] ?? NaN) * 100).toFixed(2)} pp`)
    expect(cells[2]).toBe((ctr?.absolute?.p_value ?? NaN).toFixed(4))
    expect(cells[3]).toBe('+200.0%')
    // The plotted interval is the same test's, coloured because it misses 0.
    expect(ctrPanel).toMatch(/<line class="lift up"/u)
  })

  it('says the report is not yet trustworthy, and why, and badges the metric with few events', () => {
    expect(report.trustworthy).toBe(false)
    expect(html).toContain(`<div class="banner warn" role="status">${escapeHtml(report.untrusted_reason ?? 'missing')}</div>`)
    expect(report.untrusted_reason).toMatch(/arm "control" has 5 searches with a rank-1 click/u)
    expect(ctrPanel).toContain('<span class="badge warn">few events</span>')
  })
})
