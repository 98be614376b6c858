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
