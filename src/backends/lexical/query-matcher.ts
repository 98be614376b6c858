/**
 * @module query-matcher
 * What the scorer needs from each document, computed in one pass without building its term list:
 * its length in index terms, the query terms it holds with their counts, and where they occur:
 * one hash lookup per token, nothing per query term. Each distinct token is
 * analysed once per request (a batch repeats its vocabulary), and a token is only stemmed when its
 * first letter is the first letter of some query term: Porter's rules (porter-stemmer.ts) only
 * rewrite the end of a word, so a stem always starts with its word's first character. Stopwords
 * are recognised in place, by length and first letter, without cutting the token out of the text.
 */
import { porterStem } from './porter-stemmer'
import { ENGLISH_STOPWORDS } from './stopwords'
import { type AnalyzeOptions, forEachTokenSpan } from './tokenize'

const STOP = -1
const OTHER = -2
const QUOTE = 0x27
const RIGHT_SINGLE_QUOTE = 0x2019
const LETTER_S = 0x73

/** Stopwords bucketed by length × 0x10000 + first code unit. */
const STOP_BUCKETS = new Map<number, string[]>()
let longestStopword = 0
for (const w of ENGLISH_STOPWORDS) {
  const key = w.length * 0x10000 + w.charCodeAt(0)
  STOP_BUCKETS.set(key, [...(STOP_BUCKETS.get(key) ?? []), w])
  longestStopword = Math.max(longestStopword, w.length)
}

/** End of the token without a possessive "'s" (as `termOf` strips it). */
function withoutPossessive(s: string, start: number, end: number): number {
  if (end - start >= 2 && s.charCodeAt(end - 1) === LETTER_S) {
    const q = s.charCodeAt(end - 2)
    if (q === QUOTE || q === RIGHT_SINGLE_QUOTE) return end - 2
  }
  return end
}

function isStopwordSpan(s: string, start: number, end: number): boolean {
  const len = end - start
  if (len === 0 || len > longestStopword) return false
  const bucket = STOP_BUCKETS.get(len * 0x10000 + s.charCodeAt(start))
  if (bucket === undefined) return false
  for (const w of bucket) if (s.startsWith(w, start)) return true
  return false
}

/**
 * A document as the scorer sees it. Sized by the document, never by the query: a request may
 * carry a query of thousands of terms and 1,000 documents, and anything allocated or visited per
 * (document, query term) costs documents × query terms (see `rawLexicalScores`).
 */
export interface DocStats {
  /** Index terms in the document (stopwords not counted). */
  readonly length: number
  /** The query terms it holds (indices into the matcher's `terms`), ascending, and their counts. */
  readonly matchedTerms: readonly number[]
  readonly matchedCounts: readonly number[]
  /** Each occurrence of a query term, in document order: its term index and its position. */
  readonly occurrenceTerms: readonly number[]
  readonly occurrencePositions: readonly number[]
}

export interface QueryMatcher {
  /** The query's distinct terms, in first-appearance order. */
  readonly terms: readonly string[]
  /** How often each term occurs in the query. */
  readonly counts: readonly number[]
  stats(document: string): DocStats
}

/** @param queryTerms the analysed query (see `analyze`), with the same options. */
export function createQueryMatcher(queryTerms: readonly string[], options: AnalyzeOptions = {}): QueryMatcher {
  const termIndex = new Map<string, number>()
  const counts: number[] = []
  for (const t of queryTerms) {
    const i = termIndex.get(t)
    if (i === undefined) {
      termIndex.set(t, counts.length)
      counts.push(1)
    } else counts[i] = (counts[i] ?? 0) + 1
  }
  const terms = [...termIndex.keys()]
  const firstChars = new Set(terms.map((t) => t.charCodeAt(0)))
  const codes = new Map<string, number>()

  /** STOP, OTHER or the query term index of the token `s.slice(start, end)`. */
  const codeOf = (s: string, start: number, end: number): number => {
    const stemEnd = withoutPossessive(s, start, end)
    if (stemEnd === start) return STOP // a bare "'s" cannot occur, but `termOf` would drop it
    if (!options.keepStopwords && isStopwordSpan(s, start, stemEnd)) return STOP
    if (!firstChars.has(s.charCodeAt(start))) return OTHER
    const token = s.slice(start, stemEnd)
    let code = codes.get(token)
    if (code === undefined) {
      code = termIndex.get(porterStem(token)) ?? OTHER
      codes.set(token, code)
    }
    return code
  }

  // Per query term, its slot in the current document's matched list (−1: not seen yet). Reset
  // through the matched list after each document, so no step of `stats` visits every query term.
  const slot = new Int32Array(terms.length).fill(-1)

  return {
    terms,
    counts,
    stats(document: string): DocStats {
      const occurrenceTerms: number[] = []
      const occurrencePositions: number[] = []
      const seen: number[] = []
      const seenCounts: number[] = []
      let length = 0
      forEachTokenSpan(document, (s, start, end) => {
        const code = codeOf(s, start, end)
        if (code === STOP) return
        if (code >= 0) {
          occurrenceTerms.push(code)
          occurrencePositions.push(length)
          const at = slot[code] ?? -1
          if (at < 0) {
            slot[code] = seen.length
            seen.push(code)
            seenCounts.push(1)
          } else seenCounts[at] = (seenCounts[at] ?? 0) + 1
        }
        length++
      })
      const order = seen.map((_, i) => i).sort((a, b) => (seen[a] ?? 0) - (seen[b] ?? 0))
      for (const t of seen) slot[t] = -1
      return {
        length,
        matchedTerms: order.map((i) => seen[i] ?? 0),
        matchedCounts: order.map((i) => seenCounts[i] ?? 0),
        occurrenceTerms,
        occurrencePositions,
      }
    },
  }
}
