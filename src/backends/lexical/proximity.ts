/**
 * @module proximity
 * Term-pair proximity in the manner of BM25TP (Y. Rasolofo and J. Savoy, "Term Proximity Scoring
 * for Keyword-Based Retrieval Systems", ECIR 2003, LNCS 2633, pp. 207–218): every occurrence of two
 * *different* query terms at most `PROXIMITY_WINDOW` (5, the paper's limit) positions apart adds
 * 1/d² to that pair's accumulator, and each pair contributes like a BM25 term:
 *
 *   TP(d) = Σ_{pairs (i,j)} min(w_i, w_j) · acc_ij·(k1 + 1) / (acc_ij + K),  K = k1·(1 − b + b·|d|/avgdl)
 *
 * Positions count index terms (Lucene stopwords already removed). The scan looks back at most
 * `PROXIMITY_WINDOW` occurrences, so it is linear in the document even when a term repeats.
 */
import type { Bm25Params } from './bm25'

export const PROXIMITY_WINDOW = 5

/**
 * @param positions for each query term (by index into `weights`), its sorted positions in the document
 * @param weights each query term's weight (IDF × prior)
 */
export function proximityScore(
  positions: readonly (readonly number[])[],
  weights: readonly number[],
  docLength: number,
  avgDocLength: number,
  p: Bm25Params,
): number {
  const n = weights.length
  let total = 0
  let present = 0
  for (const list of positions) {
    total += list.length
    if (list.length > 0) present++
  }
  if (present < 2) return 0
  // All occurrences in position order, each encoded as position·n + term (exact in a double).
  const occ = new Float64Array(total)
  let k = 0
  positions.forEach((list, term) => {
    for (const pos of list) occ[k++] = pos * n + term
  })
  occ.sort()
  const acc = new Map<number, number>()
  for (let i = 1; i < total; i++) {
    const code = occ[i] ?? 0
    const term = code % n
    const pos = (code - term) / n
    for (let j = i - 1; j >= 0; j--) {
      const prevCode = occ[j] ?? 0
      const prevTerm = prevCode % n
      const d = pos - (prevCode - prevTerm) / n
      if (d > PROXIMITY_WINDOW) break
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
