import { describe, expect, it } from 'vitest'
import { compareBytes, sortTrec } from './trec-order'

describe('trec-order', () => {
  it('breaks score ties by docno descending, comparing bytes: "9" before "100" before "10"', () => {
    const order = sortTrec([
      { docno: '10', score: 1 },
      { docno: '100', score: 1 },
      { docno: '9', score: 1 },
    ]).map((e) => e.docno)
    expect(order).toEqual(['9', '100', '10'])
  })

  it('sorts by score first, whatever the docnos', () => {
    const order = sortTrec([
      { docno: 'a', score: 0.1 },
      { docno: 'z', score: -3 },
      { docno: 'b', score: 2.5 },
    ]).map((e) => e.docno)
    expect(order).toEqual(['b', 'a', 'z'])
  })

  it('compares like strcmp on UTF-8, not like UTF-16 code units', () => {
    expect(Math.sign(compareBytes('a', 'b'))).toBe(-1)
    expect(Math.sign(compareBytes('ab', 'a'))).toBe(1)
    expect(compareBytes('x', 'x')).toBe(0)
    // U+FF5E (EF BD 9E in UTF-8) sorts before U+1F600 (F0 9F 98 80), although its UTF-16 unit is larger.
    expect('\uff5e' > '\u{1f600}').toBe(true)
    expect(Math.sign(compareBytes('\uff5e', '\u{1f600}'))).toBe(-1)
  })

  it('does not modify its input', () => {
    const input = [
      { docno: 'a', score: 1 },
      { docno: 'b', score: 2 },
    ]
    sortTrec(input)
    expect(input.map((e) => e.docno)).toEqual(['a', 'b'])
  })
})
