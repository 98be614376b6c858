/**
 * @module evaluate-run
 * Scores a whole run against qrels as trec_eval v9.0.8 does by default (no `-c`): every query
 * present in both the run and the qrels is measured, a run's query absent from the qrels is skipped
 * (trec_eval v10.0 stops with "result qid … not found in qrels", exit status 4, instead; checked
 * against both binaries built from usnistgov/trec_eval), and the mean is the arithmetic mean over those queries,
 * summed in qid byte order as trec_eval accumulates them (its queries are sorted with `strcmp`).
 */
import { MEASURE_NAMES, type Measures, measureQuery } from './measures'
import type { Qrels } from './qrels'
import type { Run } from './run-file'
import { compareBytes } from './trec-order'

export interface RunEvaluation {
  /** Per query, in qid byte order. */
  readonly perQuery: ReadonlyMap<string, Measures>
  readonly mean: Measures
  /** Queries measured (in both run and qrels). */
  readonly numQueries: number
  /** Run queries with no judgments: not measured. */
  readonly unjudgedQueries: readonly string[]
  /** Judged queries the run lacks: not measured (trec_eval's `-c` would count them as 0). */
  readonly missingQueries: readonly string[]
}

function zeroMeasures(): Measures {
  return { ndcg_cut_5: 0, ndcg_cut_10: 0, recip_rank: 0, P_1: 0, map: 0, recall_10: 0 }
}

/** `level` is trec_eval's `-l`: the lowest grade binary measures count as relevant (default 1). */
export function evaluateRun(qrels: Qrels, run: Run, level = 1): RunEvaluation {
  if (!Number.isInteger(level)) throw new RangeError(`relevance level must be an integer, got ${level}`)
  const perQuery = new Map<string, Measures>()
  const unjudgedQueries: string[] = []
  for (const qid of [...run.keys()].sort(compareBytes)) {
    const judged = qrels.get(qid)
    if (!judged) {
      unjudgedQueries.push(qid)
      continue
    }
    perQuery.set(qid, measureQuery(judged, run.get(qid) ?? [], level))
  }
  const mean = zeroMeasures()
  for (const m of perQuery.values()) for (const name of MEASURE_NAMES) mean[name] += m[name]
  if (perQuery.size > 0) for (const name of MEASURE_NAMES) mean[name] /= perQuery.size
  const missingQueries = [...qrels.keys()].filter((qid) => !run.has(qid)).sort(compareBytes)
  return { perQuery, mean, numQueries: perQuery.size, unjudgedQueries, missingQueries }
}
