/**
 * `npm run eval` — offline evaluation (README "Offline evaluation").
 *
 * Service mode: reranks every query of a JSONL data set through the running service, once per
 * instruction variant, and reports trec_eval-compatible figures per variant; with two or more
 * variants, each is compared with the first per measure (mean difference, per-query wins/ties/
 * losses, paired t-test and randomisation test), and a backend that ignores instructions (the
 * lexical scorer) is called out:
 *
 *   npm run eval -- --data FILE.jsonl --qrels QRELS [--variant NAME=INSTRUCTION]… [--base-url URL]
 *                   [--json OUT] [--run-dir DIR] [-l LEVEL] [--concurrency N] [--timeout-ms MS]
 *                   [--api-key KEY (else $RERANK_API_KEY)] [--seed N]
 *
 * Run-file mode: scores an existing TREC run file, printing trec_eval-style lines, or compares
 * several run files with the first, as variants are compared:
 *
 *   npm run eval -- --qrels QRELS --run RUNFILE [-l LEVEL] [-q]
 *   npm run eval -- --qrels QRELS --run RUNFILE --run RUNFILE2... [-l LEVEL] [--seed N]
 *
 * A flag the chosen mode does not read is a usage error, not ignored.
 *
 * The metrics are src/eval/ (trec_eval's rules: github.com/usnistgov/trec_eval `m_*.c`); the
 * pieces of the command are in scripts/eval/. Exit status: 0 done, 1 failed (service, files), 2 bad usage.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { EvalInputError } from '../src/eval/eval-input-error'
import { evaluateRun } from '../src/eval/evaluate-run'
import { parseQrels } from '../src/eval/qrels'
import { firstStageRun, parseRerankJsonl } from '../src/eval/rerank-data'
import { compareVariants } from '../src/eval/variant-comparison'
import { type EvalOptions, parseArgs, USAGE, UsageError } from './eval/eval-args'
import { defaultIo, dropOutputOnEpipe, type EvalIo } from './eval/eval-io'
import { printEvalReport, writeEvalFiles } from './eval/eval-output'
import { scoreRunFile } from './eval/run-file-mode'
import { runVariant, type VariantReport } from './eval/run-variant'
import { ServiceError } from './eval/service-client'

export { DEFAULT_BASE_URL, parseArgs, type EvalOptions, type Variant } from './eval/eval-args'
export type { EvalIo } from './eval/eval-io'
export { safeName } from './eval/eval-output'
export type { VariantReport } from './eval/run-variant'
export { parseRerankReply } from './eval/service-client'

async function evaluateService(opts: EvalOptions, io: EvalIo): Promise<number> {
  if (opts.data === undefined || opts.qrels === undefined) throw new UsageError('give --data and --qrels (or --qrels and --run)')
  const queries = parseRerankJsonl(readFileSync(opts.data, 'utf8'))
  const qrels = parseQrels(readFileSync(opts.qrels, 'utf8'))
  const empty = queries.filter((q) => q.candidates.length === 0).length
  if (empty > 0) io.stderr(`eval: ${empty} queries have no candidates and are skipped\n`)
  const unjudged = queries.filter((q) => !qrels.has(q.qid)).length
  if (unjudged > 0) io.stderr(`eval: ${unjudged} queries have no judgments: reranked but not measured\n`)
  // Checked before any call: with nothing to measure, every figure would print as 0.0000 (a
  // wrong qrels file or an empty data file), which reads as a result. Run-file mode says the same.
  if (!queries.some((q) => q.candidates.length > 0 && qrels.has(q.qid))) {
    io.stderr('eval: no query is in both the data (with candidates) and the qrels\n')
    return 1
  }

  const hasFirstStage = queries.some((q) => q.candidates.some((c) => c.firstStageRank !== undefined))
  const firstStage = hasFirstStage ? evaluateRun(qrels, firstStageRun(queries), opts.level) : undefined

  const reports: VariantReport[] = []
  for (const variant of opts.variants) {
    try {
      reports.push(await runVariant(opts, io, queries, qrels, variant))
    } catch (err) {
      if (err instanceof ServiceError) {
        io.stderr(`eval: ${err.message}\n`)
        return 1
      }
      throw err
    }
  }
  const results = { queries, firstStage, reports, comparisons: compareVariants(reports, opts.seed) }
  const chartPath = writeEvalFiles(opts, results)
  printEvalReport(opts, io, results, chartPath)
  return 0
}

/** The CLI; returns the exit status. `io` replaces the process's streams, fetch and env (tests). */
export async function main(argv: readonly string[], io: Partial<EvalIo> = {}): Promise<number> {
  const full: EvalIo = { ...defaultIo(), ...io }
  try {
    const opts = parseArgs(argv, full.env)
    if (opts.help) {
      full.stdout(USAGE)
      return 0
    }
    if (opts.runs.length > 0) return scoreRunFile(opts, full)
    return await evaluateService(opts, full)
  } catch (err) {
    if (err instanceof UsageError) {
      full.stderr(`eval: ${err.message}\n\n${USAGE}`)
      return 2
    }
    if (err instanceof EvalInputError || (err instanceof Error && 'code' in err && typeof err.code === 'string')) {
      full.stderr(`eval: ${err.message}\n`) // a bad input file, or a file-system error (ENOENT, …)
      return 1
    }
    throw err
  }
}

const invokedPath = process.argv[1]
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  dropOutputOnEpipe(process.stdout)
  dropOutputOnEpipe(process.stderr)
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`eval: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = 1
    },
  )
}
