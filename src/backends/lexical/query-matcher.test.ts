import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createQueryMatcher } from './query-matcher'
import { analyze } from './tokenize'

/** The same statistics, the slow way: from the full term list. */
function reference(query: string, doc: string, keepStopwords = false) {
  const q = analyze(query, new Map(), { keepStopwords })
  const terms = [...new Set(q)]
  const d = analyze(doc, new Map(), { keepStopwords })
  return { length: d.length, positions: terms.map((t) => d.flatMap((x, i) => (x === t ? [i] : []))) }
}

describe('createQueryMatcher', () => {
  it('finds query-term positions among index terms', () => {
    const m = createQueryMatcher(analyze('flea life cycle flea'))
    expect(m.terms).toEqual(['flea', 'life', 'cycl'])
    expect(m.counts).toEqual([2, 1, 1])
    // index terms: flea(0) live(1) year(2) life(3) cycl(4) flea(5)  ("a", "the", "of" dropped)
    expect(m.stats("A flea lives a year; the life cycle of a flea's")).toEqual({ length: 6, positions: [[0, 5], [3], [4]] })
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
  })
})
