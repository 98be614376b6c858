/**
 * @module ranking-metrics
 * Online ranking metrics of one exposure (one served ranking) from the feedback tied to it.
 * Conventions follow trec_eval (shared/notes/eval-and-experiments.md) with clicks as binary
 * relevance and grades as graded relevance:
 * - CTR@1: 1 when the rank-1 document was clicked, else 0.
 * - reciprocal rank of the first click: 1 / (best rank among clicked documents), 0 without a click
 *   on a served document (trec_eval `recip_rank` with clicked = relevant; "first" is in rank
 *   order, not in time, so the value does not depend on the order clicks arrived in).
 * - nDCG@k (trec_eval `ndcg_cut_k`): DCG@k = Σ_{i≤k} g_i / log2(i + 1) with linear gain g = the
 *   grade (negative or missing → 0); IDCG@k from every grade given for the exposure, sorted
 *   descending and cut at k; 0 when IDCG is 0; null when the exposure has no grade at all, so that
 *   ungraded exposures stay out of a mean nDCG.
 * Pure: no I/O.
 */

export interface ExposureFeedback {
  /** Document ids in served order (rank 1 first). */
  ranked_ids: readonly string[]
  /** Ids of clicked documents, any order, duplicates allowed. */
  clicks: readonly string[]
  /** Graded relevance per document id (the latest grade per document). */
  grades: Readonly<Record<string, number>>
}

export const DEFAULT_NDCG_K = 10

/** 1-based rank of each id; the first occurrence wins if the ranking repeats an id. */
function rankOf(rankedIds: readonly string[]): Map<string, number> {
  const ranks = new Map<string, number>()
  rankedIds.forEach((id, i) => {
    if (!ranks.has(id)) ranks.set(id, i + 1)
  })
  return ranks
}

/** 1 when the document served at rank 1 was clicked, else 0 (0 for an empty ranking). */
export function ctrAt1(fb: Pick<ExposureFeedback, 'ranked_ids' | 'clicks'>): 0 | 1 {
  const top = fb.ranked_ids[0]
  return top !== undefined && fb.clicks.includes(top) ? 1 : 0
}

/** 1 / best rank among clicked served documents; 0 when none was clicked. */
export function reciprocalRankOfFirstClick(fb: Pick<ExposureFeedback, 'ranked_ids' | 'clicks'>): number {
  const ranks = rankOf(fb.ranked_ids)
  let best = Number.POSITIVE_INFINITY
  for (const id of fb.clicks) {
    const r = ranks.get(id)
    if (r !== undefined && r < best) best = r
  }
  return Number.isFinite(best) ? 1 / best : 0
}

function gain(grade: number | undefined): number {
  return grade !== undefined && Number.isFinite(grade) && grade > 0 ? grade : 0
}

/** nDCG@k with linear gain and log2 discount; null when no grade was given. */
export function ndcgAtK(fb: Pick<ExposureFeedback, 'ranked_ids' | 'grades'>, k = DEFAULT_NDCG_K): number | null {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`)
  const graded = Object.keys(fb.grades)
  if (graded.length === 0) return null

  const seen = new Set<string>()
  let dcg = 0
  let rank = 0
  for (const id of fb.ranked_ids) {
    if (seen.has(id)) continue // a repeated id is counted once, at its first rank
    seen.add(id)
    rank += 1
    if (rank > k) break
    // Own keys only: an id such as "constructor" must not read Object.prototype.
    dcg += gain(Object.hasOwn(fb.grades, id) ? fb.grades[id] : undefined) / Math.log2(rank + 1)
  }

  const ideal = graded
    .map((id) => gain(fb.grades[id]))
    .filter((g) => g > 0)
    .sort((a, b) => b - a)
    .slice(0, k)
  let idcg = 0
  ideal.forEach((g, i) => {
    idcg += g / Math.log2(i + 2)
  })
  return idcg > 0 ? dcg / idcg : 0
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
