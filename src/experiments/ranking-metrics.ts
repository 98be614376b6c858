/**
 * @module ranking-metrics
 * Online ranking metrics of one exposure (one served ranking) from the feedback tied to it, by the
 * same trec_eval measures the offline evaluation uses (src/eval/measures.ts: `ndcgCut`,
 * `recipRank`, `precisionAt`), so the two can never drift apart. Clicks are binary relevance,
 * grades graded relevance:
 * - CTR@1: 1 when the rank-1 document was clicked (trec_eval `P_1` with clicked = relevant).
 * - reciprocal rank of the first click: 1 / (best rank among clicked documents), 0 without a click
 *   on a served document (trec_eval `recip_rank`; "first" is in rank order, not in time, so the
 *   value does not depend on the order clicks arrived in).
 * - nDCG@k (trec_eval `ndcg_cut_k`): linear gain = the grade (negative or missing → 0), log2
 *   discount; IDCG@k from every grade given for the exposure; 0 when IDCG is 0; null when the
 *   exposure has no grade at all, so that ungraded exposures stay out of a mean nDCG.
 * A repeated id in a served ranking counts once, at its first rank.
 * Pure: no I/O.
 */
import { ndcgCut, precisionAt, recipRank, resRelsFromRanking } from '../eval/measures'

export interface ExposureFeedback {
  /** Document ids in served order (rank 1 first). */
  ranked_ids: readonly string[]
  /** Ids of clicked documents, any order, duplicates allowed. */
  clicks: readonly string[]
  /** Graded relevance per document id (the latest grade per document). */
  grades: Readonly<Record<string, number>>
}

export const DEFAULT_NDCG_K = 10

/** Clicks as trec_eval judgments: a clicked document has grade 1, relevant at level 1. */
function clickJudgments(clicks: readonly string[]): Map<string, number> {
  return new Map(clicks.map((id) => [id, 1]))
}

/** 1 when the document served at rank 1 was clicked, else 0 (0 for an empty ranking). */
export function ctrAt1(fb: Pick<ExposureFeedback, 'ranked_ids' | 'clicks'>): 0 | 1 {
  return precisionAt(resRelsFromRanking(clickJudgments(fb.clicks), fb.ranked_ids, 1), 1, 1) > 0 ? 1 : 0
}

/** 1 / best rank among clicked served documents; 0 when none was clicked. */
export function reciprocalRankOfFirstClick(fb: Pick<ExposureFeedback, 'ranked_ids' | 'clicks'>): number {
  return recipRank(resRelsFromRanking(clickJudgments(fb.clicks), fb.ranked_ids, 1), 1)
}

/** nDCG@k with linear gain and log2 discount; null when no grade was given. */
export function ndcgAtK(fb: Pick<ExposureFeedback, 'ranked_ids' | 'grades'>, k = DEFAULT_NDCG_K): number | null {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`)
  // Own keys only: an id such as "constructor" must not read Object.prototype.
  const judged = new Map<string, number>()
  for (const id of Object.keys(fb.grades)) {
    const g = fb.grades[id]
    judged.set(id, g !== undefined && Number.isFinite(g) ? g : 0)
  }
  if (judged.size === 0) return null
  return ndcgCut(resRelsFromRanking(judged, fb.ranked_ids, 1), k)
}

export interface ExposureMetrics {
  ctr_at_1: 0 | 1
  reciprocal_rank: number
  /** null: no graded feedback for this exposure. */
  ndcg_at_10: number | null
}

/** All three metrics of one exposure. */
export function exposureMetrics(fb: ExposureFeedback): ExposureMetrics {
  return {
    ctr_at_1: ctrAt1(fb),
    reciprocal_rank: reciprocalRankOfFirstClick(fb),
    ndcg_at_10: ndcgAtK(fb, DEFAULT_NDCG_K),
  }
}
