/**
 * @module measures
 * Per-query ranking measures computed exactly as trec_eval v9.0.8/v10 does (usnistgov/trec_eval,
 * `form_res_rels.c`, `m_ndcg_cut.c`, `m_recip_rank.c`, `m_P.c`, `m_map.c`, `m_recall.c`), including
 * the order of floating-point additions, so printed figures agree to the last digit.
 *
 * - Each retrieved doc gets a relevance value: its qrels grade; −1 when not in the qrels
 *   (RELVALUE_NONPOOL); −2 when in the qrels with a negative grade (RELVALUE_UNJUDGED).
 * - Binary measures count a doc relevant when its value ≥ `level` (`-l`, default 1); the number of
 *   relevant docs counts every non-negative qrels grade ≥ `level` of that query.
 * - ndcg_cut_k uses the raw grade as gain and 1/log2(rank + 1) as discount, ignores `level`, and
 *   builds the ideal DCG from every positive grade of the query in the qrels.
 */
import { type RunEntry, sortTrec } from './trec-order'

/** The measures this project reports, by trec_eval name. */
export const MEASURE_NAMES = ['ndcg_cut_5', 'ndcg_cut_10', 'recip_rank', 'P_1', 'map', 'recall_10'] as const
export type MeasureName = (typeof MEASURE_NAMES)[number]
export type Measures = Record<MeasureName, number>

/** Human labels for reports (the trec_eval names stay the keys). */
export const MEASURE_LABELS: Record<MeasureName, string> = {
  ndcg_cut_5: 'nDCG@5',
  ndcg_cut_10: 'nDCG@10',
  recip_rank: 'MRR',
  P_1: 'P@1',
  map: 'MAP',
  recall_10: 'Recall@10',
}

const RELVALUE_NONPOOL = -1
const RELVALUE_UNJUDGED = -2

/** The inputs every measure reads, as trec_eval's `RES_RELS`. */
export interface ResRels {
  /** Relevance value of each retrieved doc, in trec_eval rank order. */
  readonly ranked: readonly number[]
  /** Count of qrels docs per non-negative grade (index = grade). */
  readonly relLevels: readonly number[]
  /** Relevant docs in the qrels (grade ≥ level). */
  readonly numRel: number
}

export function formResRels(judged: ReadonlyMap<string, number>, entries: readonly RunEntry[], level: number): ResRels {
  const ranked = sortTrec(entries).map((e) => {
    const grade = judged.get(e.docno)
    if (grade === undefined) return RELVALUE_NONPOOL
    return grade < 0 ? RELVALUE_UNJUDGED : grade
  })
  const relLevels: number[] = []
  for (const grade of judged.values()) {
    if (grade >= 0) relLevels[grade] = (relLevels[grade] ?? 0) + 1
  }
  let numRel = 0
  for (let g = 0; g < relLevels.length; g++) if (g >= level) numRel += relLevels[g] ?? 0
  return { ranked, relLevels: Array.from(relLevels, (c) => c ?? 0), numRel }
}

/** `m_ndcg_cut.c`: DCG@k / IDCG@k, DCG@k when IDCG is 0 (it then is 0 too). */
export function ndcgCut(r: ResRels, k: number): number {
  let dcg = 0
  const n = Math.min(k, r.ranked.length)
  for (let i = 0; i < n; i++) {
    const gain = r.ranked[i] ?? 0
    if (gain > 0) dcg += gain / Math.log2(i + 2)
  }
  let idcg = 0
  let i = 0
  for (let grade = r.relLevels.length - 1; grade > 0 && i < k; grade--) {
    for (let c = 0; c < (r.relLevels[grade] ?? 0) && i < k; c++, i++) idcg += grade / Math.log2(i + 2)
  }
  return idcg > 0 ? dcg / idcg : dcg
}

/** `m_recip_rank.c`: 1 / rank of the first relevant doc, no cutoff; 0 when none. */
export function recipRank(r: ResRels, level: number): number {
  const i = r.ranked.findIndex((rel) => rel >= level)
  return i < 0 ? 0 : 1 / (i + 1)
}

/** `m_P.c`: relevant in the top k / k (always divided by k). */
export function precisionAt(r: ResRels, k: number, level: number): number {
  let rel = 0
  for (let i = 0; i < Math.min(k, r.ranked.length); i++) if ((r.ranked[i] ?? -1) >= level) rel++
  return rel / k
}

/** `m_map.c`: Σ over relevant retrieved docs of precision at their rank, / all relevant. */
export function averagePrecision(r: ResRels, level: number): number {
  let relSoFar = 0
  let sum = 0
  r.ranked.forEach((rel, i) => {
    if (rel >= level) {
      relSoFar++
      sum += relSoFar / (i + 1)
    }
  })
  return relSoFar > 0 ? sum / r.numRel : 0
}

/** `m_recall.c`: relevant in the top k / all relevant; 0 when the query has none. */
export function recallAt(r: ResRels, k: number, level: number): number {
  if (r.numRel === 0) return 0
  let rel = 0
  for (let i = 0; i < Math.min(k, r.ranked.length); i++) if ((r.ranked[i] ?? -1) >= level) rel++
  return rel / r.numRel
}

/** All reported measures of one query. */
export function measureQuery(judged: ReadonlyMap<string, number>, entries: readonly RunEntry[], level = 1): Measures {
  const r = formResRels(judged, entries, level)
  return {
    ndcg_cut_5: ndcgCut(r, 5),
    ndcg_cut_10: ndcgCut(r, 10),
    recip_rank: recipRank(r, level),
    P_1: precisionAt(r, 1, level),
    map: averagePrecision(r, level),
    recall_10: recallAt(r, 10, level),
  }
}
