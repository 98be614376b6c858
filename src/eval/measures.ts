/**
 * @module measures
 * Per-query ranking measures computed exactly as trec_eval v9.0.8 and v10.0 do (usnistgov/trec_eval,
 * `form_res_rels.c`, `m_ndcg_cut.c`, `m_recip_rank.c`, `m_P.c`, `m_map.c`, `m_recall.c`), including
 * the order of floating-point additions, so printed figures agree to the last digit. Which queries
 * are measured follows v9.0.8 (evaluate-run.ts).
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
  /**
   * Every positive judged grade of the query, descending: the ideal ranking's gains. trec_eval
   * walks its per-grade counts from the highest grade down, which adds the same terms in the same
   * order; a list also serves non-integer grades (online feedback grades, experiments/).
   */
  readonly idealGains: readonly number[]
  /** Relevant docs in the qrels (grade ≥ level). */
  readonly numRel: number
}

/** The ideal gains and relevant count of a query's judged grades. */
function judgedSummary(grades: Iterable<number>, level: number): { idealGains: number[]; numRel: number } {
  const idealGains: number[] = []
  let numRel = 0
  for (const grade of grades) {
    if (grade > 0) idealGains.push(grade)
    if (grade >= 0 && grade >= level) numRel++
  }
  idealGains.sort((a, b) => b - a)
  return { idealGains, numRel }
}

/** trec_eval's relevance value of a retrieved doc: its grade, −1 unjudged, −2 negative grade. */
function relValue(grade: number | undefined): number {
  if (grade === undefined) return RELVALUE_NONPOOL
  return grade < 0 ? RELVALUE_UNJUDGED : grade
}

export function formResRels(judged: ReadonlyMap<string, number>, entries: readonly RunEntry[], level: number): ResRels {
  const ranked = sortTrec(entries).map((e) => relValue(judged.get(e.docno)))
  return { ranked, ...judgedSummary(judged.values(), level) }
}

/**
 * RES_RELS of a ranking already in served order (an experiment exposure): a repeated id counts
 * once, at its first rank (trec_eval would refuse the duplicate; a served list is what it is).
 */
export function resRelsFromRanking(judged: ReadonlyMap<string, number>, rankedIds: readonly string[], level: number): ResRels {
  const seen = new Set<string>()
  const ranked: number[] = []
  for (const id of rankedIds) {
    if (seen.has(id)) continue
    seen.add(id)
    ranked.push(relValue(judged.get(id)))
  }
  return { ranked, ...judgedSummary(judged.values(), level) }
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
  const m = Math.min(k, r.idealGains.length)
  for (let i = 0; i < m; i++) idcg += (r.idealGains[i] ?? 0) / Math.log2(i + 2)
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
