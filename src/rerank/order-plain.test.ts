import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareFused } from '../scoring/fusion'
import { orderPlain } from './rank-documents'
import type { NormalizedDocument } from '../documents/document'

/** The rule orderPlain must keep: compareFused with final = model = the score. */
const reference = (docs: readonly NormalizedDocument[], scores: readonly number[]) =>
  scores
    .map((s, index) => ({ index, final: s, model: s, id: docs[index]?.id }))
    .sort(compareFused)
    .map((i) => i.index)

describe('orderPlain', () => {
  it('orders exactly as the fusion comparator does: score, then id, then index (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ score: fc.constantFrom(0, 0.25, 0.5, 0.75, 1, 1e-9), id: fc.option(fc.constantFrom('a', 'b', 'B', 'c', ''), { nil: undefined }) }),
          { maxLength: 40 }
        ),
        (items) => {
          const docs = items.map((it, i) => (it.id === undefined ? { text: `t${i}` } : { text: `t${i}`, id: it.id })) as NormalizedDocument[]
          const scores = items.map((it) => it.score)
          expect(orderPlain(docs, scores)).toEqual(reference(docs, scores))
        }
      ),
      { numRuns: 1000 }
    )
  }, 30_000)

  it('without ids (the native-sort path), too: any scores, many ties, 0 and -0', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(0, -0, 0.5, 1, 1e-300), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 60 }), (scores) => {
        const docs = scores.map((_, i) => ({ text: `t${i}` })) as NormalizedDocument[]
        expect(orderPlain(docs, scores)).toEqual(reference(docs, scores))
      }),
      { numRuns: 2000 }
    )
  }, 30_000)

  it('without ids, any finite scores (lexical scores are not in [0, 1]) and long runs of ties', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(-1, 0, 3.5, -0), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 300 }), (scores) => {
        const docs = scores.map((_, i) => ({ text: `t${i}` })) as NormalizedDocument[]
        expect(orderPlain(docs, scores)).toEqual(reference(docs, scores))
      }),
      { numRuns: 500 }
    )
  }, 30_000)

  it('puts a NaN score last, in index order (no scorer returns one; the order stays a permutation)', () => {
    const docs = Array.from({ length: 5 }, (_, i) => ({ text: `t${i}` })) as NormalizedDocument[]
    expect(orderPlain(docs, [Number.NaN, 0.2, Number.NaN, 0.9, 0.2])).toEqual([3, 1, 4, 0, 2])
  })

  it('sorts by score descending, ties by id (absent last), then by index', () => {
    const docs = [{ text: 'a' }, { text: 'b', id: 'z' }, { text: 'c', id: 'a' }, { text: 'd' }] as NormalizedDocument[]
    expect(orderPlain(docs, [0.5, 0.5, 0.5, 0.9])).toEqual([3, 2, 1, 0])
    expect(orderPlain(docs.map((d) => ({ text: d.text })) as NormalizedDocument[], [0.1, 0.7, 0.7, 0.2])).toEqual([1, 2, 3, 0])
  })
})
