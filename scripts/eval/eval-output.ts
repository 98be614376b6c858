/**
 * What `npm run eval` writes: run files, the SVG chart, the JSON document and the table on stdout,
 * including the paired comparison of the variants and a plain warning when the backend ignored
 * the instructions (then differences between variants mean nothing).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { barChartSvg } from '../../src/eval/bar-chart-svg'
import type { RunEvaluation } from '../../src/eval/evaluate-run'
import { MEASURE_LABELS, MEASURE_NAMES, type Measures } from '../../src/eval/measures'
import { type RerankQuery, firstStageRun } from '../../src/eval/rerank-data'
import { formatRun } from '../../src/eval/run-file'
import { formatFixed4 } from '../../src/eval/trec-format'
import { comparisonChartNotes, comparisonJson, comparisonTableRows, type VariantComparison } from '../../src/eval/variant-comparison'
import type { EvalOptions } from './eval-args'
import type { EvalIo } from './eval-io'
import type { VariantReport } from './run-variant'

export interface EvalResults {
  readonly queries: readonly RerankQuery[]
  readonly firstStage: RunEvaluation | undefined
  readonly reports: VariantReport[]
  readonly comparisons: readonly VariantComparison[]
}

/** A name safe in a file name and a run-file column. */
export function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '')
  return s === '' ? 'variant' : s
}

function measuresJson(m: Measures): Record<string, number> {
  return Object.fromEntries(MEASURE_NAMES.map((k) => [k, m[k]]))
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length)
}

export function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? []
  return rows.map((r) => r.map((cell, c) => pad(cell, (widths[c] ?? 0) + 2)).join('').trimEnd()).join('\n') + '\n'
}

/**
 * The warning lines: one per variant with an instruction that its backend ignored, quoting the
 * service's own warning; and, with two or more variants, that their differences mean nothing.
 */
export function instructionWarnings(reports: readonly VariantReport[]): string[] {
  const ignored = reports.filter((r) => r.instructionsIgnored && r.instruction !== null)
  const lines = ignored.map((r) => {
    const said = r.warnings.find((w) => /instruction/i.test(w))
    return `warning: variant "${r.name}" was scored by backend "${r.backend}", which ignores instructions: its instruction had no effect${said === undefined ? '' : ` (service: "${said}")`}`
  })
  if (reports.length > 1 && reports.some((r) => r.instructionsIgnored)) {
    lines.push('warning: the variants were scored without their instructions, so their differences mean nothing; evaluate against a backend that reads instructions (vLLM)')
  }
  return lines
}

/** Run files, chart and JSON; returns the chart's path when one was written. */
export function writeEvalFiles(opts: EvalOptions, r: EvalResults): string | undefined {
  const data = opts.data ?? ''
  if (opts.runDir !== undefined) {
    mkdirSync(opts.runDir, { recursive: true })
    for (const v of r.reports) {
      const file = join(opts.runDir, `${safeName(v.name)}.run`)
      writeFileSync(file, formatRun(v.run, `rerank-edge.${safeName(v.name)}`))
      v.runFile = file
    }
    if (r.firstStage !== undefined) writeFileSync(join(opts.runDir, 'first-stage.run'), formatRun(firstStageRun(r.queries), 'first-stage'))
  }
  const chartPath =
    opts.runDir !== undefined
      ? join(opts.runDir, 'eval-chart.svg')
      : opts.json !== undefined
        ? join(dirname(opts.json), `${basename(opts.json, extname(opts.json))}.svg`)
        : undefined
  if (chartPath !== undefined) {
    const series = r.reports.map((v) => ({ name: v.name, values: MEASURE_NAMES.map((m) => v.evaluation.mean[m]) }))
    const fs = r.firstStage
    if (fs !== undefined) series.unshift({ name: 'first stage', values: MEASURE_NAMES.map((m) => fs.mean[m]) })
    const subtitle = `${basename(data)}: ${r.reports[0]?.evaluation.numQueries ?? 0} judged queries; binary measures count grade ≥ ${opts.level} relevant; trec_eval rules`
    const notes = [...instructionWarnings(r.reports), ...comparisonChartNotes(r.comparisons)]
    mkdirSync(dirname(chartPath), { recursive: true })
    writeFileSync(
      chartPath,
      barChartSvg({ title: 'rerank-edge offline evaluation', subtitle, categories: MEASURE_NAMES.map((m) => MEASURE_LABELS[m]), series, notes }),
    )
  }
  if (opts.json !== undefined) {
    const fs = r.firstStage
    const doc = {
      data: resolve(data),
      qrels: resolve(opts.qrels ?? ''),
      base_url: opts.baseUrl,
      relevance_level: opts.level,
      queries_in_data: r.queries.length,
      first_stage: fs && { queries_evaluated: fs.numQueries, metrics: measuresJson(fs.mean) },
      variants: r.reports.map((v) => ({
        name: v.name,
        instruction: v.instruction,
        backend: v.backend,
        backends: v.backends,
        instructions_ignored: v.instructionsIgnored,
        warnings: v.warnings,
        pairs_scored: v.pairsScored,
        pairs_cached: v.pairsCached,
        requests: v.requests,
        wall_ms: Math.round(v.wallMs),
        queries_evaluated: v.evaluation.numQueries,
        metrics: measuresJson(v.evaluation.mean),
        per_query: Object.fromEntries([...v.evaluation.perQuery].map(([qid, m]) => [qid, measuresJson(m)])),
        ...(v.runFile !== undefined ? { run_file: v.runFile } : {}),
      })),
      comparisons: r.comparisons.map(comparisonJson),
      randomisation_seed: opts.seed,
      warnings: instructionWarnings(r.reports),
      ...(chartPath !== undefined ? { chart: chartPath } : {}),
    }
    mkdirSync(dirname(opts.json), { recursive: true })
    writeFileSync(opts.json, `${JSON.stringify(doc, null, 2)}\n`)
  }
  return chartPath
}

/** The report on stdout, warnings included. */
export function printEvalReport(opts: EvalOptions, io: EvalIo, r: EvalResults, chartPath: string | undefined): void {
  const header = ['variant', 'backend', ...MEASURE_NAMES.map((m) => MEASURE_LABELS[m]), 'scored', 'cached', 'queries']
  const rows: string[][] = [header]
  const fs = r.firstStage
  if (fs !== undefined) rows.push(['(first stage)', '-', ...MEASURE_NAMES.map((m) => formatFixed4(fs.mean[m])), '-', '-', String(fs.numQueries)])
  for (const v of r.reports) {
    rows.push([
      v.name,
      v.backend,
      ...MEASURE_NAMES.map((m) => formatFixed4(v.evaluation.mean[m])),
      String(v.pairsScored),
      String(v.pairsCached),
      String(v.evaluation.numQueries),
    ])
  }
  io.stdout(`data: ${opts.data ?? ''}  qrels: ${opts.qrels ?? ''}  service: ${opts.baseUrl}  relevant: grade >= ${opts.level}\n`)
  io.stdout(formatTable(rows))
  io.stdout('scored = pairs the backend computed (meta.cache.misses), cached = pairs served from cache (meta.cache.hits)\n')
  // The score cache bypasses the lexical scorer (src/cache/score-with-cache.ts): say why nothing is cached.
  if (r.reports.some((v) => v.backend.split('+').includes('lexical'))) {
    io.stdout('the lexical scorer is not cached: every run scores all its pairs again\n')
  }
  if (r.comparisons.length > 0) {
    io.stdout(`\npaired comparison with "${r.comparisons[0]?.baseline ?? ''}" per query (randomisation test: sign flips, seed ${opts.seed}; * p < 0.05):\n`)
    io.stdout(formatTable(comparisonTableRows(r.comparisons)))
  }
  for (const w of instructionWarnings(r.reports)) io.stdout(`${w}\n`)
  for (const v of r.reports) if (v.runFile !== undefined) io.stdout(`run file: ${v.runFile}\n`)
  if (chartPath !== undefined) io.stdout(`chart: ${chartPath}\n`)
  if (opts.json !== undefined) io.stdout(`json: ${opts.json}\n`)
}
