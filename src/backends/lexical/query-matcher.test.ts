import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createQueryMatcher } from './query-matcher'
import { analyze } from './tokenize'

/** The same statistics, the slow way: from the full term list. */
function reference(query: string, doc: string, keepStopwords = false) {
  const q = analyze(query, new Map(), { keepStopwords })
  const terms = [...new Set(q)]
  const d = analyze(doc, new Map(), { keepStopwords })
  const occurrences = d.flatMap((x, i) => (terms.includes(x) ? [[terms.indexOf(x), i] as const] : []))
  const matchedTerms = terms.map((_, t) => t).filter((t) => occurrences.some(([o]) => o === t))
  return {
    length: d.length,
    matchedTerms,
    matchedCounts: matchedTerms.map((t) => occurrences.filter(([o]) => o === t).length),
    occurrenceTerms: occurrences.map(([t]) => t),
    occurrencePositions: occurrences.map(([, i]) => i),
  }
}

describe('createQueryMatcher', () => {
  it('finds query-term positions among index terms', () => {
    const m = createQueryMatcher(analyze('flea life cycle flea'))
    expect(m.terms).toEqual(['flea', 'life', 'cycl'])
    expect(m.counts).toEqual([2, 1, 1])
    // index terms: flea(0) live(1) year(2) life(3) cycl(4) flea(5)  ("a", "the", "of" dropped)
    expect(m.stats("A flea lives a year; the life cycle of a flea's")).toEqual({
      length: 6,
      matchedTerms: [0, 1, 2],
      matchedCounts: [2, 1, 1],
      occurrenceTerms: [0, 1, 2, 0],
      occurrencePositions: [0, 3, 4, 5],
    })
    // Listed by term index, whatever order the document has them in.
    expect(m.stats('cycle of life').matchedTerms).toEqual([1, 2])
  })

  it("sizes a document's statistics by the document, not the query", () => {
    // A long query of distinct terms: arrays per (document, query term) would cost documents ×
    // query terms, the largest cost of a near-limit request (README "Lexical scorer").
    const query = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`).join(' ')
    const m = createQueryMatcher(analyze(query))
    expect(m.terms).toHaveLength(5000)
    const stats = m.stats('w0x and w1x, then w0x again') // "and", "then": stopwords
    expect(stats).toEqual({ length: 4, matchedTerms: [0, 1], matchedCounts: [2, 1], occurrenceTerms: [0, 1, 0], occurrencePositions: [0, 1, 2] })
    // The scratch table is reset between documents.
    expect(m.stats('w1x').matchedCounts).toEqual([1])
  })

  it('agrees with analyze() on arbitrary text (property)', () => {
    const word = fc.constantFrom('flea', 'fleas', "flea's", 'the', 'it', "it's", 'cycling', 'cycle', 'Life', 'lives', 'a', '北京', '的', 'x', '3.5', 'ﬂea')
    const text = fc.array(fc.oneof(word, fc.string({ maxLength: 6 })), { maxLength: 20 }).map((w) => w.join(' '))
    fc.assert(
      fc.property(text, text, fc.boolean(), (query, doc, keep) => {
        const q = analyze(query, new Map(), { keepStopwords: keep })
        const m = createQueryMatcher(q, { keepStopwords: keep })
        expect(m.stats(doc)).toEqual(reference(query, doc, keep))
      }),
      { numRuns: 400 },
    )
  }, 30_000)
})
