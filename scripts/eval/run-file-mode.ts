/**
 * `npm run eval -- --qrels QRELS --run RUNFILE`: scores an existing TREC run file and prints
 * trec_eval-style lines (`-q` adds per-query lines).
 */
import { readFileSync } from 'node:fs'
import { type RunEvaluation, evaluateRun } from '../../src/eval/evaluate-run'
import { parseQrels } from '../../src/eval/qrels'
import { parseRun } from '../../src/eval/run-file'
import { formatTrecLines } from '../../src/eval/trec-format'
import { type EvalOptions, UsageError } from './eval-args'
import type { EvalIo } from './eval-io'

export function warnCoverage(e: RunEvaluation, io: EvalIo): void {
  if (e.unjudgedQueries.length > 0) {
    io.stderr(`eval: ${e.unjudgedQueries.length} run queries have no judgments and are not measured\n`)
  }
  if (e.missingQueries.length > 0) {
    io.stderr(`eval: ${e.missingQueries.length} judged queries are missing from the run and are not measured\n`)
  }
}

export function scoreRunFile(opts: EvalOptions, io: EvalIo): number {
  if (opts.qrels === undefined || opts.run === undefined) throw new UsageError('--run needs --qrels')
  if (opts.data !== undefined) throw new UsageError('--run and --data are two different modes; give one')
  const qrels = parseQrels(readFileSync(opts.qrels, 'utf8'))
  const run = parseRun(readFileSync(opts.run, 'utf8'))
  const e = evaluateRun(qrels, run, opts.level)
  warnCoverage(e, io)
  if (e.numQueries === 0) {
    io.stderr('eval: no query is in both the run and the qrels\n')
    return 1
  }
  if (opts.perQuery) for (const [qid, m] of e.perQuery) io.stdout(formatTrecLines(m, qid))
  io.stdout(formatTrecLines(e.mean))
  io.stderr(`eval: ${e.numQueries} queries measured, grade >= ${opts.level} relevant\n`)
  return 0
}
