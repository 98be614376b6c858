/**
 * @module bm25
 * Okapi BM25 (S. Robertson and H. Zaragoza, "The Probabilistic Relevance Framework: BM25 and
 * Beyond", Foundations and Trends in IR 3(4), 2009, eq. 3.15 with the k1 + 1 numerator):
 *
 *   score(q, d) = Σ_{t ∈ q} qtf(t) · idf(t) · tf(t,d)·(k1 + 1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
 *
 * with qtf the term's count in the query (Anserini weights repeated query terms by their count).
 * k1 = 0.9, b = 0.4 are Anserini's defaults for MS MARCO passage (castorini/anserini,
 * `SearchCollection.java` `-bm25.k1`/`-bm25.b`, docs/experiments-msmarco-passage.md).
 *
 * IDF is Lucene's non-negative form (apache/lucene `BM25Similarity.idf`):
 *   idf(t) = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))
 * computed over the documents being scored: the only corpus an edge scorer sees.
 */

export const BM25_K1 = 0.9
export const BM25_B = 0.4

export interface Bm25Params {
  readonly k1: number
  readonly b: number
}

export const ANSERINI_BM25: Bm25Params = { k1: BM25_K1, b: BM25_B }

/** Lucene's BM25 IDF: always > 0, so a term present everywhere still counts a little. */
export function luceneIdf(docCount: number, docFreq: number): number {
  return Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5))
}

/** One term's BM25 contribution (per unit of idf × qtf when `idf` is 1). */
export function bm25TermWeight(tf: number, docLength: number, avgDocLength: number, idf: number, p: Bm25Params): number {
  if (tf <= 0) return 0
  const norm = avgDocLength > 0 ? 1 - p.b + (p.b * docLength) / avgDocLength : 1
  return (idf * tf * (p.k1 + 1)) / (tf + p.k1 * norm)
}

/** A document as BM25 sees it: its length and the counts of the terms we ask about. */
export interface TermCounts {
  readonly length: number
  readonly tf: ReadonlyMap<string, number>
}

/** Counts of `wanted` terms in `terms` (the other terms only count towards the length). */
export function countTerms(terms: readonly string[], wanted: ReadonlySet<string>): TermCounts {
  const tf = new Map<string, number>()
  for (const t of terms) if (wanted.has(t)) tf.set(t, (tf.get(t) ?? 0) + 1)
  return { length: terms.length, tf }
}

/** Query term → count in the query. */
export function queryTermCounts(queryTerms: readonly string[]): Map<string, number> {
  const qtf = new Map<string, number>()
  for (const t of queryTerms) qtf.set(t, (qtf.get(t) ?? 0) + 1)
  return qtf
}

/** IDF of each query term over `docs`. */
export function candidateIdf(qtf: ReadonlyMap<string, number>, docs: readonly TermCounts[]): Map<string, number> {
  const idf = new Map<string, number>()
  for (const term of qtf.keys()) {
    let n = 0
    for (const d of docs) if (d.tf.has(term)) n++
    idf.set(term, luceneIdf(docs.length, n))
  }
  return idf
}

/** Raw BM25 of each document for the query, IDF over the same documents. */
export function bm25Scores(queryTerms: readonly string[], docs: readonly TermCounts[], p: Bm25Params = ANSERINI_BM25): number[] {
  if (docs.length === 0) return []
  const qtf = queryTermCounts(queryTerms)
  const idf = candidateIdf(qtf, docs)
  const avgdl = docs.reduce((s, d) => s + d.length, 0) / docs.length
  return docs.map((d) => {
    let s = 0
    for (const [term, count] of qtf) {
      s += count * bm25TermWeight(d.tf.get(term) ?? 0, d.length, avgdl, idf.get(term) ?? 0, p)
    }
    return s
  })
}
