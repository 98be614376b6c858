import { describe, expect, it } from 'vitest'
import { BM25_B, BM25_K1, bm25Scores, bm25TermWeight, countTerms, luceneIdf } from './bm25'

// A three-document corpus, already analysed:
//   d1 = [cat, sat, mat]        |d1| = 3
//   d2 = [dog, sat, log, dog]   |d2| = 4
//   d3 = [cat, cat, cat]        |d3| = 3          avgdl = 10/3
const D1 = ['cat', 'sat', 'mat']
const D2 = ['dog', 'sat', 'log', 'dog']
const D3 = ['cat', 'cat', 'cat']

function corpus(query: readonly string[]) {
  const wanted = new Set(query)
  return [D1, D2, D3].map((d) => countTerms(d, wanted))
}

describe('bm25', () => {
  it("uses Anserini's defaults", () => {
    expect(BM25_K1).toBe(0.9)
    expect(BM25_B).toBe(0.4)
  })

  it('computes the Lucene IDF by hand', () => {
    // cat is in 2 of 3 documents: ln(1 + (3 − 2 + 0.5)/(2 + 0.5)) = ln(1.6)
    expect(luceneIdf(3, 2)).toBeCloseTo(Math.log(1.6), 15)
    expect(luceneIdf(3, 2)).toBeCloseTo(0.47000362924573563, 12)
    // present everywhere: still positive, ln(1 + 0.5/3.5)
    expect(luceneIdf(3, 3)).toBeCloseTo(Math.log(1 + 0.5 / 3.5), 15)
    expect(luceneIdf(3, 3)).toBeGreaterThan(0)
  })

  it('scores a one-term query by hand', () => {
    // d1: tf 1, |d| 3: norm = 1 − 0.4 + 0.4·3/(10/3) = 0.96
    //     ln(1.6) · 1·1.9 / (1 + 0.9·0.96) = 0.470004 · 1.9/1.864 = 0.479081
    // d3: tf 3: ln(1.6) · 3·1.9 / (3 + 0.864) = 0.693328
    const s = bm25Scores(['cat'], corpus(['cat']))
    expect(s[0]).toBeCloseTo(0.4790809525573485, 12)
    expect(s[1]).toBe(0)
    expect(s[2]).toBeCloseTo(0.693328335067467, 12)
  })

  it('sums over query terms and weights a repeated query term by its count', () => {
    // dog: in 1 of 3: idf = ln(1 + 2.5/1.5) = 0.980829; d2: tf 2, |d| 4:
    // norm = 0.6 + 0.4·4/(10/3) = 1.08; 0.980829 · 2·1.9/(2 + 0.972) = 1.254089
    const s = bm25Scores(['cat', 'dog'], corpus(['cat', 'dog']))
    expect(s[0]).toBeCloseTo(0.4790809525573485, 12)
    expect(s[1]).toBeCloseTo(1.2540885469194345, 12)
    expect(s[2]).toBeCloseTo(0.693328335067467, 12)
    const twice = bm25Scores(['dog', 'dog'], corpus(['dog']))
    expect(twice[1]).toBeCloseTo(2 * 1.2540885469194345, 12)
  })

  it('saturates in tf and penalises length', () => {
    const p = { k1: 0.9, b: 0.4 }
    const one = bm25TermWeight(1, 10, 10, 1, p)
    const two = bm25TermWeight(2, 10, 10, 1, p)
    const many = bm25TermWeight(1000, 10, 10, 1, p)
    expect(two).toBeGreaterThan(one)
    expect(two - one).toBeLessThan(one)
    expect(many).toBeLessThan(p.k1 + 1)
    expect(bm25TermWeight(1, 20, 10, 1, p)).toBeLessThan(one)
    expect(bm25TermWeight(0, 10, 10, 1, p)).toBe(0)
  })

  it('returns nothing for no documents and zeros for empty ones', () => {
    expect(bm25Scores(['cat'], [])).toEqual([])
    expect(bm25Scores(['cat'], [countTerms([], new Set(['cat']))])).toEqual([0])
  })
})
