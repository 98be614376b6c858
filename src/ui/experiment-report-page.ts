/**
 * @module ui/experiment-report-page
 * The experiment report as a self-contained page (`GET /v1/experiments/{id}/report.html`, or
 * `…/report?format=html`): rendered on the server from the report JSON into inline SVG, so it
 * needs no script, no CDN and no network, and prints. Per metric: a bar per arm with its 95%
 * interval as a whisker, and a forest plot of each treatment's difference from the control with
 * its interval against the zero line: the absolute difference, the effect the report tests, so a
 * bold ("significant") row is always one whose plotted interval misses 0 (report.ts); the relative
 * lift is shown as a figure. A banner when the report is not trustworthy yet, with its reason;
 * a sample-ratio-mismatch banner; the full table. Every string that came
 * from a user (names, arm keys) goes through `escapeHtml`. One sentence under "Unit" says what the
 * figures are over: users, the randomised unit (experiments/report.ts `UNIT_EXPLANATION`).
 */
import { METRIC_LABELS, REPORT_METRICS, UNIT_EXPLANATION, type ExperimentReport, type ReportMetric } from '../experiments/report'
import { BASE_CSS } from './base-styles'
import { buildPage, escapeHtml, type BuiltPage } from './html'

const CSS = `${BASE_CSS}
.banner{border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem;border:1px solid var(--line)}
.banner.ok{border-color:var(--good);color:var(--good)}
.banner.none{color:var(--muted)}
.banner.bad{background:var(--bad-bg);border-color:var(--bad);color:var(--bad);font-weight:600}
.banner.warn{background:var(--warn-bg);border-color:var(--warn);color:var(--warn);font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,34rem),1fr));gap:1rem}
.scroll{overflow-x:auto}
svg{display:block;width:100%;max-width:40rem;height:auto;font:12px var(--sans)}
svg text{fill:var(--text)}
svg .muted{fill:var(--muted)}
svg .bar{fill:var(--bar);opacity:.85}
svg .bar.control{fill:var(--muted);opacity:.6}
svg .whisker{stroke:var(--text);stroke-width:1.5}
svg .axis{stroke:var(--line);stroke-width:1}
svg .zero{stroke:var(--muted);stroke-width:1;stroke-dasharray:4 3}
svg .lift{stroke:var(--muted);stroke-width:2.5}
svg .lift.up{stroke:var(--good)} svg .lift.down{stroke:var(--bad)}
svg .dot{fill:var(--text)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sig{font-weight:700}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.meta dt{color:var(--muted)} dl.meta dd{margin:0}
th[scope=row]{white-space:nowrap}
.badge{white-space:nowrap}
`

const RATE_METRICS: ReadonlySet<ReportMetric> = new Set(['ctr_at_1', 'conversion_rate'])

function fmtMetric(metric: ReportMetric, v: number): string {
  return RATE_METRICS.has(metric) ? `${(v * 100).toFixed(1)}%` : v.toFixed(3)
}
const pct = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)}%`
const fmtP = (p: number) => (p < 0.0001 ? '< 0.0001' : p.toFixed(4))
/** `p = 0.1234`, or `p < 0.0001`. */
const pIs = (p: number) => (p < 0.0001 ? 'p < 0.0001' : `p = ${p.toFixed(4)}`)
const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`
/** A difference of the metric: percentage points for a rate, 4 decimals otherwise. */
const fmtDiff = (metric: ReportMetric, v: number) => (RATE_METRICS.has(metric) ? `${signed(v * 100, 2)} pp` : signed(v, 4))
const r1 = (v: number) => Math.round(v * 10) / 10

/** Horizontal bars: one per arm, the mean, with the arm's interval as a whisker. */
function barChart(report: ExperimentReport, metric: ReportMetric): string {
  const rows = report.arms
  const labelW = 120
  const valueW = 70
  const width = 560
  const plotW = width - labelW - valueW
  const rowH = 28
  const height = rows.length * rowH + 24
  let max = 0
  for (const a of rows) {
    const m = a.metrics[metric]
    max = Math.max(max, m.mean, m.ci ? m.ci[1] : 0)
  }
  if (!(max > 0)) max = 1
  const x = (v: number) => labelW + (Math.max(0, Math.min(v, max)) / max) * plotW
  const parts: string[] = []
  rows.forEach((a, i) => {
    const m = a.metrics[metric]
    const y = i * rowH + 6
    const mid = y + 9
    parts.push(`<text x="${labelW - 8}" y="${mid + 4}" text-anchor="end">${escapeHtml(a.key.slice(0, 18))}</text>`)
    parts.push(`<rect class="bar${a.control ? ' control' : ''}" x="${labelW}" y="${y}" width="${r1(x(m.mean) - labelW)}" height="18"/>`)
    if (m.ci) {
      const [lo, hi] = [x(m.ci[0]), x(m.ci[1])]
      parts.push(`<line class="whisker" x1="${r1(lo)}" x2="${r1(hi)}" y1="${mid}" y2="${mid}"/>`)
      parts.push(`<line class="whisker" x1="${r1(lo)}" x2="${r1(lo)}" y1="${mid - 5}" y2="${mid + 5}"/>`)
      parts.push(`<line class="whisker" x1="${r1(hi)}" x2="${r1(hi)}" y1="${mid - 5}" y2="${mid + 5}"/>`)
    }
    parts.push(`<text x="${width - valueW + 6}" y="${mid + 4}">${m.n === 0 ? '—' : fmtMetric(metric, m.mean)}</text>`)
  })
  const axisY = rows.length * rowH + 8
  parts.push(`<line class="axis" x1="${labelW}" x2="${labelW + plotW}" y1="${axisY}" y2="${axisY}"/>`)
  parts.push(`<text class="muted" x="${labelW}" y="${axisY + 14}">0</text>`)
  parts.push(`<text class="muted" x="${labelW + plotW}" y="${axisY + 14}" text-anchor="end">${fmtMetric(metric, max)}</text>`)
  const label = `${METRIC_LABELS[metric]} per arm: ${rows
    .map((a) => `${a.key} ${a.metrics[metric].n === 0 ? 'no data' : fmtMetric(metric, a.metrics[metric].mean)}`)
    .join(', ')}`
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">${parts.join('')}</svg>`
}

/** Each treatment's difference from the control (the tested effect) with its interval, around a zero line. */
function forestPlot(report: ExperimentReport, metric: ReportMetric): string {
  const rows = report.comparisons
  if (rows.length === 0) return ''
  const labelW = 120
  const valueW = 80
  const width = 560
  const plotW = width - labelW - valueW
  const rowH = 26
  const height = rows.length * rowH + 26
  let span = 0
  for (const r of rows) {
    const d = r.metrics[metric].absolute
    if (d) span = Math.max(span, Math.abs(d.ci[0]), Math.abs(d.ci[1]))
  }
  if (!(span > 0)) span = RATE_METRICS.has(metric) ? 0.01 : 0.1
  span *= 1.1
  const x = (v: number) => labelW + ((Math.max(-span, Math.min(span, v)) + span) / (2 * span)) * plotW
  const parts: string[] = []
  const zero = x(0)
  parts.push(`<line class="zero" x1="${r1(zero)}" x2="${r1(zero)}" y1="0" y2="${rows.length * rowH + 4}"/>`)
  rows.forEach((r, i) => {
    const mid = i * rowH + 14
    const d = r.metrics[metric].absolute
    parts.push(`<text x="${labelW - 8}" y="${mid + 4}" text-anchor="end">${escapeHtml(r.variant.slice(0, 18))}</text>`)
    if (!d) {
      parts.push(`<text class="muted" x="${labelW + 6}" y="${mid + 4}">not enough data (${escapeHtml(r.metrics[metric].error ?? 'n/a')})</text>`)
      return
    }
    // Coloured exactly when the row is significant: the interval of the same test misses 0.
    const dir = r.metrics[metric].significant ? (d.estimate > 0 ? ' up' : ' down') : ''
    parts.push(`<line class="lift${dir}" x1="${r1(x(d.ci[0]))}" x2="${r1(x(d.ci[1]))}" y1="${mid}" y2="${mid}"/>`)
    parts.push(`<circle class="dot" cx="${r1(x(d.estimate))}" cy="${mid}" r="4"/>`)
    parts.push(`<text x="${width - valueW + 6}" y="${mid + 4}">${fmtDiff(metric, d.estimate)}</text>`)
  })
  const axisY = rows.length * rowH + 18
  parts.push(`<text class="muted" x="${labelW}" y="${axisY}">${fmtDiff(metric, -span)}</text>`)
  parts.push(`<text class="muted" x="${r1(zero)}" y="${axisY}" text-anchor="middle">0</text>`)
  parts.push(`<text class="muted" x="${labelW + plotW}" y="${axisY}" text-anchor="end">${fmtDiff(metric, span)}</text>`)
  const level = `${Math.round(report.method.confidence_level * 100)}%`
  const label = `Difference in ${METRIC_LABELS[metric]} from ${rows[0]?.control ?? 'control'}: ${rows
    .map((r) => {
      const d = r.metrics[metric].absolute
      return d ? `${r.variant} ${fmtDiff(metric, d.estimate)} (${level} CI ${fmtDiff(metric, d.ci[0])} to ${fmtDiff(metric, d.ci[1])})` : `${r.variant} not enough data`
    })
    .join('; ')}`
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">${parts.join('')}</svg>`
}

function liftTable(report: ExperimentReport, metric: ReportMetric): string {
  if (report.comparisons.length === 0) return ''
  const level = `${Math.round(report.method.confidence_level * 100)}%`
  const rows = report.comparisons
    .map((r) => {
      const c = r.metrics[metric]
      if (!c.absolute) {
        return `<tr><td>${escapeHtml(r.variant)}</td><td colspan="4" class="muted">not enough data (${escapeHtml(c.error ?? 'n/a')})</td></tr>`
      }
      const relative = c.relative ? pct(c.relative.estimate) : `<span class="muted">— (${escapeHtml(c.relative_error ?? 'n/a')})</span>`
      return `<tr${c.significant ? ' class="sig"' : ''}><td>${escapeHtml(r.variant)}${c.few_events ? ' <span class="badge warn">few events</span>' : ''}</td>
<td class="num">${fmtDiff(metric, c.absolute.estimate)}</td>
<td class="num">${fmtDiff(metric, c.absolute.ci[0])} … ${fmtDiff(metric, c.absolute.ci[1])}</td>
<td class="num">${fmtP(c.absolute.p_value)}</td>
<td class="num">${relative}</td></tr>`
    })
    .join('')
  return `<div class="scroll"><table><thead><tr><th scope="col">vs ${escapeHtml(report.comparisons[0]?.control ?? 'control')}</th>
<th scope="col" class="num">difference</th><th scope="col" class="num">${level} CI</th><th scope="col" class="num">p-value</th>
<th scope="col" class="num">relative lift</th></tr></thead><tbody>${rows}</tbody></table></div>`
}

function armTable(report: ExperimentReport): string {
  const rows = report.arms
    .map((a, i) => {
      const m = a.metrics
      // No user in the arm: no mean to show (a 0 would read as a measured zero); the charts say — too.
      const value = (metric: ReportMetric) => (m[metric].n === 0 ? '—' : fmtMetric(metric, m[metric].mean))
      const expected = report.srm.expected[i] ?? 0
      return `<tr><th scope="row">${escapeHtml(a.key)}${a.control ? ' <span class="badge">control</span>' : ''}</th>
<td class="num">${a.weight}</td><td class="num">${a.units}</td><td class="num">${a.effective_units}</td><td class="num">${expected.toFixed(1)}</td><td class="num">${a.exposures}</td>
<td class="num">${value('ctr_at_1')} <span class="muted">(${a.top1_clicks})</span></td>
<td class="num">${value('mrr')}</td>
<td class="num">${value('ndcg_at_10')} <span class="muted">(${a.graded_exposures})</span></td>
<td class="num">${value('conversion_rate')} <span class="muted">(${a.conversions})</span></td>
<td class="num">${a.conversion_value}</td>
<td class="num">${share(report.srm.assigned_shares[i])} / ${share(report.srm.observed_shares?.[i])}</td>
<td class="num">${a.feedback_events.clicks} / ${a.feedback_events.grades} / ${a.feedback_events.conversions}</td></tr>`
    })
    .join('')
  return `<div class="scroll"><table><caption class="sr-only">Per-arm figures</caption><thead><tr><th scope="col">arm</th><th scope="col" class="num">weight</th>
<th scope="col" class="num">users</th><th scope="col" class="num" title="(Σ searches)² / Σ searches²: how many equally active users the arm's searches amount to">effective users</th><th scope="col" class="num">expected users</th><th scope="col" class="num">exposures</th>
<th scope="col" class="num">CTR@1 (clicks)</th><th scope="col" class="num">MRR</th><th scope="col" class="num">nDCG@10 (graded)</th>
<th scope="col" class="num">conversion (n)</th><th scope="col" class="num">value</th>
<th scope="col" class="num">share assigned / observed</th><th scope="col" class="num" title="feedback rows recorded for the arm's searches">feedback: clicks / grades / conversions</th></tr></thead><tbody>${rows}</tbody></table></div>`
}

const share = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`)

/** Why the report cannot be acted on yet (report-trust.ts); nothing before the first exposure, which its own banner says. */
function trustBanner(report: ExperimentReport): string {
  if (report.trustworthy || report.totals.units === 0) return ''
  return `<div class="banner warn" role="status">${escapeHtml(report.untrusted_reason ?? 'Not yet trustworthy.')}</div>`
}

function srmBanner(report: ExperimentReport): string {
  const s = report.srm
  // Nobody exposed yet: χ² = 0 on 0 / 0 is no evidence either way, so no verdict (green or red).
  if (s.observed.every((units) => units === 0)) {
    return '<div class="banner none">No exposures yet: the sample-ratio check and the metrics start with the first exposed user.</div>'
  }
  const detail =
    `χ² = ${s.chi2.toFixed(3)}, dof ${s.dof}, ${pIs(s.p_value)}; units ${s.observed.join(' / ')} vs expected ${s.expected.map((e) => e.toFixed(1)).join(' / ')}` +
    (s.zero_weight_units > 0 ? `; ${s.zero_weight_units} units in an arm of weight 0` : '')
  if (s.mismatch) {
    return `<div class="banner bad" role="alert">Sample-ratio mismatch: units per arm do not follow the configured weights (${detail}, threshold ${s.threshold}). Do not trust the comparison until the cause is found.</div>`
  }
  return `<div class="banner ok">No sample-ratio mismatch (${detail}).</div>`
}

export function experimentReportHtmlBody(report: ExperimentReport): string {
  const e = report.experiment
  const metricPanels = REPORT_METRICS.map(
    (m) => `<section class="panel" aria-labelledby="h-${m}"><h2 id="h-${m}">${escapeHtml(METRIC_LABELS[m])}</h2>
${barChart(report, m)}
${report.comparisons.length > 0 ? `<h3>Difference from ${escapeHtml(report.comparisons[0]?.control ?? 'control')}</h3>${forestPlot(report, m)}` : ''}
${liftTable(report, m)}</section>`
  ).join('\n')
  // The unit sentence is shown in the summary; the notes list repeats nothing.
  const notes = report.notes
    .filter((n) => n !== UNIT_EXPLANATION)
    .map((n) => `<li>${escapeHtml(n)}</li>`)
    .join('')
  return `<a class="skip" href="#main">Skip to the report</a>
<header class="top"><h1>Experiment report <span>${escapeHtml(e.name)} (${escapeHtml(e.id)})</span></h1>
<nav><span class="badge">${escapeHtml(e.status)}</span><a href="report">JSON</a><a href="/">Playground</a><a href="/docs">API</a></nav></header>
<main id="main">
${trustBanner(report)}
${srmBanner(report)}
<section class="panel"><h2>Summary</h2>
<dl class="meta"><dt>Method</dt><dd>${escapeHtml(report.method.name)}; α = ${report.method.alpha}; unit of analysis: ${escapeHtml(report.method.unit_of_analysis)}</dd>
<dt>Unit</dt><dd>${escapeHtml(UNIT_EXPLANATION)}</dd>
<dt>Exposures</dt><dd>${report.totals.exposures} searches from ${report.totals.units} users; coverage ${e.coverage}</dd>
<dt>Started</dt><dd>${escapeHtml(e.started_at ?? '—')}</dd><dt>Stopped</dt><dd>${escapeHtml(e.stopped_at ?? '—')}</dd>
<dt>Generated</dt><dd>${escapeHtml(report.generated_at)}</dd></dl>
${armTable(report)}</section>
<div class="grid">${metricPanels}</div>
${notes ? `<section class="panel"><h2>Notes</h2><ul>${notes}</ul></section>` : ''}
</main>`
}

export function experimentReportPage(report: ExperimentReport): Promise<BuiltPage> {
  return buildPage({
    title: `Experiment ${report.experiment.id}: report`,
    description: `A/B report of instruction experiment ${report.experiment.id}`,
    css: CSS,
    body: experimentReportHtmlBody(report),
    // Nothing to run: the charts are inline SVG. (buildPage pins the empty script by its hash.)
    script: '',
  })
}
