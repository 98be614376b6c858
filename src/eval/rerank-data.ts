/**
 * @module rerank-data
 * The offline reranking data set format (README "Offline evaluation"): one JSON
 * object per line, `{"qid","query","candidates":[{"docid","text",…}]}`, as in
 * `shared/data/trec-dl-2019/dl19_bm25top100_rerank.jsonl`. Extra candidate fields are ignored,
 * except a first-stage rank (`bm25_rank`) which lets the first-stage order be scored as a run.
 */
import { EvalInputError } from './eval-input-error'
import type { Run } from './run-file'
import type { RunEntry } from './trec-order'

export interface RerankCandidate {
  readonly docid: string
  readonly text: string
  /** 1-based first-stage rank, when the data carries one (`bm25_rank`). */
  readonly firstStageRank?: number
}

export interface RerankQuery {
  readonly qid: string
  readonly query: string
  readonly candidates: readonly RerankCandidate[]
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Ids may be written as JSON numbers; they are compared as text, like trec_eval does. */
function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '' && !/\s/.test(v)) return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

export function parseRerankJsonl(text: string): RerankQuery[] {
  const queries: RerankQuery[] = []
  const qids = new Set<string>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim()
    if (line === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new EvalInputError('data: not valid JSON', i + 1)
    }
    if (!isRecord(value)) throw new EvalInputError('data: expected a JSON object', i + 1)
    const qid = idOf(value.qid)
    if (qid === undefined) throw new EvalInputError('data: "qid" must be a non-empty id without spaces', i + 1)
    if (qids.has(qid)) throw new EvalInputError(`data: query "${qid}" appears twice`, i + 1)
    qids.add(qid)
    if (typeof value.query !== 'string') throw new EvalInputError('data: "query" must be a string', i + 1)
    if (!Array.isArray(value.candidates)) throw new EvalInputError('data: "candidates" must be an array', i + 1)
    const docids = new Set<string>()
    const candidates = value.candidates.map((c: unknown, j: number): RerankCandidate => {
      if (!isRecord(c)) throw new EvalInputError(`data: candidates[${j}] must be an object`, i + 1)
      const docid = idOf(c.docid)
      if (docid === undefined) throw new EvalInputError(`data: candidates[${j}].docid must be an id without spaces`, i + 1)
      if (docids.has(docid)) throw new EvalInputError(`data: duplicate docid "${docid}" in query "${qid}"`, i + 1)
      docids.add(docid)
      if (typeof c.text !== 'string') throw new EvalInputError(`data: candidates[${j}].text must be a string`, i + 1)
      const rank = c.bm25_rank
      return typeof rank === 'number' && Number.isFinite(rank)
        ? { docid, text: c.text, firstStageRank: rank }
        : { docid, text: c.text }
    })
    queries.push({ qid, query: value.query, candidates })
  }
  return queries
}

/**
 * The first-stage order as a run: score = n + 1 − rank, so higher is better and no two candidates
 * tie (ties would let trec_eval's docno tie-break reorder them). Candidates without a rank follow
 * in file order.
 */
export function firstStageRun(queries: readonly RerankQuery[]): Run {
  const run = new Map<string, RunEntry[]>()
  for (const q of queries) {
    const order = q.candidates
      .map((c, i) => ({ c, key: c.firstStageRank ?? Number.MAX_SAFE_INTEGER, i }))
      .sort((a, b) => a.key - b.key || a.i - b.i)
    run.set(
      q.qid,
      order.map(({ c }, i) => ({ docno: c.docid, score: order.length - i })),
    )
  }
  return run
}
