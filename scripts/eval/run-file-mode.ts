/**
 * `npm run eval -- --qrels QRELS --run RUNFILE`: scores an existing TREC run file and prints
 * trec_eval-style lines (`-q` adds per-query lines). With two or more `--run`, prints one row of
 * means per run and compares each run with the first per measure, as service mode compares
 * instruction variants (src/eval/variant-comparison.ts: paired t-test and randomisation test).
 */
import { readFileSync } from 'node:fs'
import { type RunEvaluation, evaluateRun } from '../../src/eval/evaluate-run'
import { MEASURE_LABELS, MEASURE_NAMES } from '../../src/eval/measures'
import { parseQrels } from '../../src/eval/qrels'
import { parseRun } from '../../src/eval/run-file'
import { formatFixed4, formatTrecLines } from '../../src/eval/trec-format'
import { comparisonTableRows, compareVariants } from '../../src/eval/variant-comparison'
import { type EvalOptions, UsageError } from './eval-args'
import type { EvalIo } from './eval-io'
import { formatTable } from './eval-output'

export function warnCoverage(e: RunEvaluation, io: EvalIo, prefix = ''): void {
  if (e.unjudgedQueries.length > 0) {
    io.stderr(`eval: ${prefix}${e.unjudgedQueries.length} run queries have no judgments and are not measured\n`)
  }
  if (e.missingQueries.length > 0) {
    io.stderr(`eval: ${prefix}${e.missingQueries.length} judged queries are missing from the run and are not measured\n`)
  }
}

export function scoreRunFile(opts: EvalOptions, io: EvalIo): number {
  if (opts.qrels === undefined || opts.runs.length === 0) throw new UsageError('--run needs --qrels')
  const qrels = parseQrels(readFileSync(opts.qrels, 'utf8'))
  const several = opts.runs.length > 1
  const evaluations = opts.runs.map((path) => {
    const e = evaluateRun(qrels, parseRun(readFileSync(path, 'utf8')), opts.level)
    warnCoverage(e, io, several ? `${path}: ` : '')
    return { name: path, evaluation: e }
  })
  const empty = evaluations.find((r) => r.evaluation.numQueries === 0)
  if (empty !== undefined) {
    io.stderr(`eval: no query is in both the run${several ? ` ${empty.name}` : ''} and the qrels\n`)
    return 1
  }
  const [first] = evaluations
  if (first === undefined) return 1
  if (!several) {
    const e = first.evaluation
    if (opts.perQuery) for (const [qid, m] of e.perQuery) io.stdout(formatTrecLines(m, qid))
    io.stdout(formatTrecLines(e.mean))
    io.stderr(`eval: ${e.numQueries} queries measured, grade >= ${opts.level} relevant\n`)
    return 0
  }
  const rows = [['run', ...MEASURE_NAMES.map((m) => MEASURE_LABELS[m]), 'queries']]
  for (const { name, evaluation: e } of evaluations) rows.push([name, ...MEASURE_NAMES.map((m) => formatFixed4(e.mean[m])), String(e.numQueries)])
  io.stdout(formatTable(rows))
  io.stdout(`\npaired comparison with "${first.name}" per query (randomisation test: sign flips, seed ${opts.seed}; * p < 0.05):\n`)
  const comparison = comparisonTableRows(compareVariants(evaluations, opts.seed))
  if (comparison[0] !== undefined) comparison[0][0] = 'run'
  io.stdout(formatTable(comparison))
  io.stderr(`eval: ${opts.runs.length} runs measured, grade >= ${opts.level} relevant\n`)
  return 0
}
