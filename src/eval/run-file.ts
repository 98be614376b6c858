/**
 * @module run-file
 * Reads and writes TREC run files, `qid Q0 docno rank score runid` per line (usnistgov/trec_eval
 * `get_trec_results.c`): whitespace-separated, rank ignored (trec_eval re-ranks by score, see
 * `trec-order.ts`), fields after runid ignored, blank lines and `#` lines skipped. Unlike
 * trec_eval's `atof`, a score that is not a finite number is an error rather than a silent 0.
 * A docno listed twice for one query is an error, as in trec_eval's `form_res_rels.c`.
 */
import { EvalInputError } from './eval-input-error'
import { type RunEntry, sortTrec } from './trec-order'

/** qid → that query's scored documents (in file order). */
export type Run = ReadonlyMap<string, readonly RunEntry[]>

export function parseRun(text: string): Run {
  const run = new Map<string, RunEntry[]>()
  const seen = new Map<string, Set<string>>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim()
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    if (fields.length < 6) {
      throw new EvalInputError(`run: expected "qid Q0 docno rank score runid", got ${fields.length} fields`, i + 1)
    }
    const [qid, , docno, , scoreText] = fields as [string, string, string, string, string]
    const score = Number(scoreText)
    if (!Number.isFinite(score)) throw new EvalInputError(`run: score "${scoreText}" is not a finite number`, i + 1)
    let docs = seen.get(qid)
    if (!docs) {
      docs = new Set()
      seen.set(qid, docs)
      run.set(qid, [])
    }
    if (docs.has(docno)) throw new EvalInputError(`run: duplicate docno "${docno}" for query "${qid}"`, i + 1)
    docs.add(docno)
    run.get(qid)?.push({ docno, score })
  }
  return run
}

/** Run ids and docnos go into whitespace-separated columns: no whitespace allowed. */
function assertToken(kind: string, value: string): void {
  if (value === '' || /\s/.test(value)) throw new EvalInputError(`run: ${kind} "${value}" is empty or has whitespace`)
}

/**
 * Formats one query's ranking as run-file lines, in trec_eval's order with ranks 1…n, so the file
 * reads the same way trec_eval will rank it. Scores are written with `String(number)`, the
 * shortest text that parses back to the same double, so nothing is lost to rounding.
 */
export function formatRunLines(qid: string, entries: readonly RunEntry[], runId: string): string {
  assertToken('qid', qid)
  assertToken('run id', runId)
  const seen = new Set<string>()
  let out = ''
  sortTrec(entries).forEach((e, i) => {
    assertToken('docno', e.docno)
    if (seen.has(e.docno)) throw new EvalInputError(`run: duplicate docno "${e.docno}" for query "${qid}"`)
    seen.add(e.docno)
    if (!Number.isFinite(e.score)) throw new EvalInputError(`run: score of "${e.docno}" is not finite`)
    out += `${qid} Q0 ${e.docno} ${i + 1} ${String(e.score)} ${runId}\n`
  })
  return out
}

/** A whole run file, queries in the given map's order. */
export function formatRun(run: Run, runId: string): string {
  let out = ''
  for (const [qid, entries] of run) out += formatRunLines(qid, entries, runId)
  return out
}
