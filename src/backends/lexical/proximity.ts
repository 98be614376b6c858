/**
 * @module proximity
 * Term-pair proximity in the manner of BM25TP (Y. Rasolofo and J. Savoy, "Term Proximity Scoring
 * for Keyword-Based Retrieval Systems", ECIR 2003, LNCS 2633, pp. 207–218): every occurrence of two
 * *different* query terms at most `PROXIMITY_WINDOW` (5, the paper's limit) positions apart adds
 * 1/d² to that pair's accumulator, and each pair contributes like a BM25 term:
 *
 *   TP(d) = Σ_{pairs (i,j)} min(w_i, w_j) · acc_ij·(k1 + 1) / (acc_ij + K),  K = k1·(1 − b + b·|d|/avgdl)
 *
 * Positions count index terms (Lucene stopwords already removed). The scan reads the
 * occurrences in document order and looks back at most `PROXIMITY_WINDOW` of them (positions are
 * distinct), so it is linear in the document's occurrences, whatever the query's length.
 */
import type { Bm25Params } from './bm25'

export const PROXIMITY_WINDOW = 5

/**
 * @param occurrenceTerms each query-term occurrence's term (index into `weights`), in document order
 * @param occurrencePositions its position, ascending (same length)
 * @param weights each query term's weight (IDF × prior)
 */
export function proximityScore(
  occurrenceTerms: readonly number[],
  occurrencePositions: readonly number[],
  weights: readonly number[],
  docLength: number,
  avgDocLength: number,
  p: Bm25Params,
): number {
  const n = weights.length
  const total = occurrenceTerms.length
  if (!occurrenceTerms.some((t) => t !== occurrenceTerms[0])) return 0 // fewer than two distinct terms
  const acc = new Map<number, number>()
  for (let i = 1; i < total; i++) {
    const term = occurrenceTerms[i] ?? 0
    const pos = occurrencePositions[i] ?? 0
    for (let j = i - 1; j >= 0; j--) {
      const d = pos - (occurrencePositions[j] ?? 0)
      if (d > PROXIMITY_WINDOW) break
      const prevTerm = occurrenceTerms[j] ?? 0
      if (prevTerm === term) continue
      const key = Math.min(term, prevTerm) * n + Math.max(term, prevTerm)
      acc.set(key, (acc.get(key) ?? 0) + 1 / (d * d))
    }
  }
  const K = p.k1 * (avgDocLength > 0 ? 1 - p.b + (p.b * docLength) / avgDocLength : 1)
  let score = 0
  for (const [key, a] of acc) {
    const wi = weights[Math.floor(key / n)] ?? 0
    const wj = weights[key % n] ?? 0
    score += (Math.min(wi, wj) * a * (p.k1 + 1)) / (a + K)
  }
  return score
}
