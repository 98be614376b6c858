/**
 * @module qrels
 * Parses TREC relevance judgments, `qid iter docno rel` per line (usnistgov/trec_eval
 * `get_qrels.c`): whitespace-separated, `iter` ignored, `rel` an integer grade (negative = in the
 * pool but not judged), lines starting with `#` skipped. A docno judged twice for one query is an
 * error, as in trec_eval's `form_res_rels.c`.
 */
import { EvalInputError } from './eval-input-error'

/** qid → docno → grade. */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>

const INTEGER = /^[+-]?\d+$/

export function parseQrels(text: string): Qrels {
  const qrels = new Map<string, Map<string, number>>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim()
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    if (fields.length !== 4) {
      throw new EvalInputError(`qrels: expected "qid iter docno rel", got ${fields.length} fields`, i + 1)
    }
    const [qid, , docno, rel] = fields as [string, string, string, string]
    if (!INTEGER.test(rel)) throw new EvalInputError(`qrels: relevance "${rel}" is not an integer`, i + 1)
    let judged = qrels.get(qid)
    if (!judged) {
      judged = new Map()
      qrels.set(qid, judged)
    }
    if (judged.has(docno)) throw new EvalInputError(`qrels: duplicate docno "${docno}" for query "${qid}"`, i + 1)
    judged.set(docno, Number.parseInt(rel, 10))
  }
  return qrels
}
