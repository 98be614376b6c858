/**
 * Measures the embedded lexical scorer on TREC DL 2019 passage reranking, without the service:
 * reranks each query's BM25 top-100 with `scoreLexical` and prints nDCG@10 and MRR (grade ≥ 2, as
 * `trec_eval -l 2`) for the BM25 order and for the rerank, plus the scorer's time: on the data, on
 * 1,000 documents of ~1 KB, and on a near-limit request (1,000 documents of 6,470 characters and
 * a 6,000-character query).
 *
 *   npx tsx scripts/lexical-ndcg.ts [DATA.jsonl] [QRELS] [--level N] [--run-dir DIR]
 *
 * Defaults: ../shared/data/trec-dl-2019/dl19_bm25top100_rerank.jsonl and qrels.dl19-passage.txt.
 * The data set is for measurement only; no test depends on it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { scoreLexical } from '../src/backends/lexical/lexical-scorer'
import { EvalInputError } from '../src/eval/eval-input-error'
import { evaluateRun } from '../src/eval/evaluate-run'
import { MEASURE_LABELS, MEASURE_NAMES, type Measures } from '../src/eval/measures'
import { parseQrels } from '../src/eval/qrels'
import { firstStageRun, parseRerankJsonl } from '../src/eval/rerank-data'
import { type Run, formatRun } from '../src/eval/run-file'
import { formatFixed4 } from '../src/eval/trec-format'
import type { RunEntry } from '../src/eval/trec-order'

const DEFAULT_DIR = '../shared/data/trec-dl-2019'

function main(argv: readonly string[]): void {
  const positional: string[] = []
  let level = 2
  let runDir: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? ''
    if (a === '--level' || a === '-l') level = Number(argv[++i])
    else if (a === '--run-dir') runDir = argv[++i]
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npx tsx scripts/lexical-ndcg.ts [DATA.jsonl] [QRELS] [-l LEVEL] [--run-dir DIR]\n')
      return
    } else positional.push(a)
  }
  if (!Number.isInteger(level)) throw new EvalInputError('--level must be an integer')
  const dataPath = resolve(positional[0] ?? join(DEFAULT_DIR, 'dl19_bm25top100_rerank.jsonl'))
  const qrelsPath = resolve(positional[1] ?? join(DEFAULT_DIR, 'qrels.dl19-passage.txt'))
  const queries = parseRerankJsonl(readFileSync(dataPath, 'utf8'))
  const qrels = parseQrels(readFileSync(qrelsPath, 'utf8'))

  const bm25 = firstStageRun(queries)
  const lexical = new Map<string, RunEntry[]>()
  const passMs: number[] = []
  let docs = 0
  let chars = 0
  // Pass 0 runs on a cold JIT (an isolate's first requests); later passes are the steady state.
  for (let pass = 0; pass < 3; pass++) {
    const t0 = performance.now()
    for (const q of queries) {
      const texts = q.candidates.map((c) => c.text)
      const scores = scoreLexical(q.query, texts)
      if (pass === 0) {
        docs += texts.length
        chars += texts.reduce((s, t) => s + t.length, 0)
        lexical.set(
          q.qid,
          q.candidates.map((c, i) => ({ docno: c.docid, score: scores[i] ?? 0 })),
        )
      }
    }
    passMs.push(performance.now() - t0)
  }
  // 1,000 documents of ~1 KB, made by concatenating the data's passages, scored in one call.
  const passages = queries.flatMap((q) => q.candidates.map((c) => c.text))
  const batch: string[] = []
  for (let i = 0; batch.length < 1000 && passages.length > 0; ) {
    let d = ''
    while (d.length < 1024) d += `${passages[i++ % passages.length]} `
    batch.push(d.slice(0, 1024))
  }
  const batchMs: number[] = []
  for (let r = 0; r < 10; r++) {
    const t0 = performance.now()
    scoreLexical(queries[r % queries.length]?.query ?? 'query', batch)
    batchMs.push(performance.now() - t0)
  }

  // The near-limit request (README "Lexical scorer"): 1,000 documents of 6,470 characters (a
  // 6.47 MB body) and a 6,000-character query, both cut from the data's passages.
  const big: string[] = []
  for (let i = 0; big.length < 1000 && passages.length > 0; ) {
    let d = ''
    while (d.length < 6470) d += `${passages[i++ % passages.length]} `
    big.push(d.slice(0, 6470))
  }
  let longQuery = ''
  for (let i = 7; longQuery.length < 6000 && passages.length > 0; i += 13) longQuery += `${passages[i % passages.length]} `
  longQuery = longQuery.slice(0, 6000)
  const bigMs: number[] = []
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now()
    scoreLexical(longQuery, big)
    bigMs.push(performance.now() - t0)
  }

  const rows: Array<[string, Run]> = [
    ['bm25 (first stage)', bm25],
    ['lexical rerank', lexical],
  ]
  process.stdout.write(`data: ${dataPath}\nqrels: ${qrelsPath}\nbinary relevance: grade >= ${level}\n\n`)
  const header = ['run', ...MEASURE_NAMES.map((m) => MEASURE_LABELS[m]), 'queries']
  process.stdout.write(`${header.join('\t')}\n`)
  for (const [name, run] of rows) {
    const e = evaluateRun(qrels, run, level)
    const cells = MEASURE_NAMES.map((m) => formatFixed4((e.mean as Measures)[m]))
    process.stdout.write(`${[name, ...cells, String(e.numQueries)].join('\t')}\n`)
  }
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  process.stdout.write(
    `\nscoreLexical on the data (${queries.length} calls, ${docs} documents, ${(chars / Math.max(docs, 1)).toFixed(0)} chars avg): ` +
      `${passMs.map((ms) => ms.toFixed(1)).join(' / ')} ms for passes 1 / 2 / 3 (pass 1 on a cold JIT)\n` +
      `scoreLexical, ${batch.length} documents of ~1 KB in one call: first ${batchMs[0]?.toFixed(1)} ms, ` +
      `median of 10 ${median(batchMs).toFixed(1)} ms, best ${Math.min(...batchMs).toFixed(1)} ms\n` +
      `scoreLexical, ${big.length} documents of 6,470 characters and a ${longQuery.length}-character query: ` +
      `first ${bigMs[0]?.toFixed(0)} ms, median of 5 ${median(bigMs).toFixed(0)} ms, best ${Math.min(...bigMs).toFixed(0)} ms\n`,
  )
  if (runDir !== undefined) {
    mkdirSync(runDir, { recursive: true })
    writeFileSync(join(runDir, 'bm25.run'), formatRun(bm25, 'bm25'))
    writeFileSync(join(runDir, 'lexical.run'), formatRun(lexical, 'lexical'))
    process.stdout.write(`run files written to ${runDir}\n`)
  }
}

/** A missing or malformed input is the user's to fix: one line, not a stack (exit status 1). */
function isInputProblem(err: unknown): err is Error {
  return err instanceof EvalInputError || (err instanceof Error && 'code' in err && typeof err.code === 'string')
}

try {
  main(process.argv.slice(2))
} catch (err) {
  if (!isInputProblem(err)) throw err
  process.stderr.write(`lexical-ndcg: ${err.message}\n`)
  process.exitCode = 1
}
