/**
 * @module lexical-scorer
 * The embedded relevance scorer used when no GPU backend is configured: BM25 over the candidate
 * set with two corrections for not having a collection, a term-proximity bonus and a coverage
 * bonus, mapped to [0, 1]. Pure and deterministic: same input, same scores.
 *
 *   raw(d) = Σ_t qtf_t · BM25(t, d; w_t)                          (bm25.ts, k1 = 0.9, b = 0.4)
 *          + PROXIMITY_WEIGHT · TP(d)                             (proximity.ts, BM25TP)
 *          + COVERAGE_WEIGHT · Σ_{t ∈ d} qtf_t · w_t               (query weight the document covers)
 *   w_t    = idf(t over the N candidates + BACKGROUND_DOCS) · prior(t)   (term-prior.ts)
 *   score  = raw / (raw + HALF_SCORE)
 *
 * Measured on TREC DL 2019 (43 queries, BM25 top-100 reranked, scripts/lexical-ndcg.ts), against
 * the first-stage BM25 order's nDCG@10 0.5058 (MRR 0.7036), adding one piece at a time:
 *   plain candidate-set BM25 0.2913 (MRR 0.4175) → + background documents 0.3544 (0.5594)
 *   → + term prior 0.4824 (0.6757) → + proximity 0.4961 (0.6783) → + coverage 0.4953 (0.6839;
 *   nDCG@5 0.5128 → 0.5198). Without the background documents the final scorer drops to 0.4031.
 * Case and accent folding (fold-text.ts) then moved it to 0.4948 (MRR 0.6831, nDCG@5 0.5165):
 * the data's mojibake ("â€™" for "’") now folds to the stopword "a", which shortens documents.
 */
import { ANSERINI_BM25, bm25TermWeight, luceneIdf } from './bm25'
import { proximityScore } from './proximity'
import { createQueryMatcher } from './query-matcher'
import { termPrior } from './term-prior'
import { analyze } from './tokenize'

/**
 * Virtual documents added to N in the IDF. The candidates were retrieved *because* they contain
 * the query's topic words, so over the candidates alone those words look common (IDF ≈ 0) and
 * incidental words look rare: on TREC DL 2019 that inverts the ranking (nDCG@10 0.29). Counting
 * M extra documents that lack the term, as a larger collection would, keeps IDF's ordering among
 * terms but stops a term present in every candidate from vanishing. Measured: M = 0 / 100 / 300 /
 * 1000 / 3000 / 10000 → nDCG@10 0.386 / 0.447 / 0.470 / 0.477 / 0.478 / 0.479; 1000 (ten times a
 * typical 100-candidate request) is on the plateau.
 */
export const BACKGROUND_DOCS = 1000

/** Weight of the BM25TP proximity score (0.1–0.3 measured equivalent, +0.01 nDCG@10). */
export const PROXIMITY_WEIGHT = 0.2

/** Weight of the coverage bonus: a small push towards documents holding more of the query. */
export const COVERAGE_WEIGHT = 0.1

/**
 * Raw score mapped to 0.5. The map has to be fixed (a per-request min–max would make a lone
 * document always 1), so it is set from measured scales: on TREC DL 2019 a typical candidate
 * scores about 7.4 raw (→ 0.43) and each query's best about 13.4 (→ 0.57; 90th percentile 18.5 →
 * 0.65), while a document matching one topic word once scores about 4–9. That keeps scores in the
 * responsive middle of s/(s + k), away from 0 and 1, where they still order documents finely.
 */
export const HALF_SCORE = 10

/** raw / (raw + HALF_SCORE): strictly increasing on [0, ∞), 0 at 0, < 1 for any finite raw. */
export function toUnit(raw: number): number {
  if (!(raw > 0)) return 0 // 0, negative or NaN: no evidence
  if (raw === Number.POSITIVE_INFINITY) return 1
  const u = raw / (raw + HALF_SCORE)
  return u > 1 ? 1 : u
}

/** Raw (unbounded, ≥ 0) scores; see the module comment. */
export function rawLexicalScores(query: string, documents: readonly string[]): number[] {
  if (documents.length === 0) return []
  let options = {}
  let queryTerms = analyze(query)
  if (queryTerms.length === 0) {
    // A query made only of stopwords ("to be or not to be"): match those words rather than nothing.
    options = { keepStopwords: true }
    queryTerms = analyze(query, new Map(), options)
    if (queryTerms.length === 0) return documents.map(() => 0)
  }
  const matcher = createQueryMatcher(queryTerms, options)
  const { terms, counts } = matcher
  const docs = documents.map((d) => matcher.stats(d))
  const N = docs.length
  const avgdl = docs.reduce((s, d) => s + d.length, 0) / N
  // Document frequencies from each document's matched terms: no loop over (document, query term),
  // which a long query and 1,000 documents made the request's largest cost (README "Lexical scorer").
  const df = new Int32Array(terms.length)
  for (const d of docs) for (const t of d.matchedTerms) df[t] = (df[t] ?? 0) + 1
  const weights = terms.map((t, i) => luceneIdf(N + BACKGROUND_DOCS, df[i] ?? 0) * termPrior(t))

  return docs.map((d) => {
    let bm25 = 0
    let covered = 0
    d.matchedTerms.forEach((i, k) => {
      const w = weights[i] ?? 0
      const c = counts[i] ?? 0
      bm25 += c * bm25TermWeight(d.matchedCounts[k] ?? 0, d.length, avgdl, w, ANSERINI_BM25)
      covered += c * w
    })
    const proximity = d.matchedTerms.length > 1 ? proximityScore(d.occurrenceTerms, d.occurrencePositions, weights, d.length, avgdl, ANSERINI_BM25) : 0
    return bm25 + PROXIMITY_WEIGHT * proximity + COVERAGE_WEIGHT * covered
  })
}

/**
 * One relevance score in [0, 1] per document, in the documents' order: 0 for an empty query or
 * document, higher for a better lexical match. Instructions are not an input: lexical matching
 * cannot follow them.
 */
export function scoreLexical(query: string, documents: readonly string[]): number[] {
  return rawLexicalScores(query, documents).map(toUnit)
}
