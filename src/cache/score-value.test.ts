import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeScore, decodeStored, encodeScore, encodeStored, isCacheableScore } from './score-value'

describe('score values', () => {
  it('round-trip every double in [0, 1] exactly', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (s) => {
        const stored = encodeScore(s)
        expect(stored.length).toBeLessThanOrEqual(24)
        expect(Object.is(decodeScore(stored), s === 0 ? 0 : s) || decodeScore(stored) === s).toBe(true)
      }),
      { numRuns: 2000 }
    )
    for (const s of [0, 1, 0.5, 1e-7, 5e-324, 0.7310585786300049, 1 - Number.EPSILON]) expect(decodeScore(encodeScore(s))).toBe(s)
  })

  it('refuse to store anything that is not a finite score in [0, 1]', () => {
    for (const bad of [Number.NaN, Infinity, -Infinity, -0.1, 1.0000001, 2]) {
      expect(isCacheableScore(bad)).toBe(false)
      expect(() => encodeScore(bad)).toThrow(RangeError)
    }
    expect(isCacheableScore('0.5')).toBe(false)
  })

  it('read only values encodeScore could have written', () => {
    for (const bad of [null, undefined, '', ' 0.5', '0.5 ', '0x1', '1e2', '2', '-0.5', 'NaN', 'Infinity', 'abc', '.5', '1.5', '[0.5]', '0.5e1'])
      expect(decodeScore(bad), String(bad)).toBeUndefined()
    expect(decodeScore('0.25')).toBe(0.25)
    expect(decodeScore('1.5e-7')).toBe(1.5e-7)
  })

  it('keep the prompt tokens a pair cost beside its score, and still read values written without them', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1_000_000 }), (s, t) => {
        const back = decodeStored(encodeStored({ score: s, tokens: t }))
        expect(back?.score).toBe(s === 0 ? 0 : s)
        expect(back?.tokens).toBe(t)
      }),
      { numRuns: 500 }
    )
    expect(encodeStored({ score: 0.25, tokens: 412 })).toBe('0.25;412')
    expect(encodeStored({ score: 0.25 })).toBe('0.25')
    // A value already in KV from before tokens were kept: the score, cost unknown.
    expect(decodeStored('0.7310585786300049')).toEqual({ score: 0.7310585786300049 })
    for (const bad of ['0.5;', '0.5;-1', '0.5;1.5', '0.5;01', '0.5;1e3', 'NaN;3', ';3', '0.5;3;4', '2;3'])
      expect(decodeStored(bad), bad).toBeUndefined()
    expect(() => encodeStored({ score: Number.NaN, tokens: 3 })).toThrow(RangeError)
  })

  it('mark a document the scorer cut, with or without its cost', () => {
    expect(encodeStored({ score: 0.25, tokens: 412, cut: true })).toBe('0.25;412;cut')
    expect(encodeStored({ score: 0.25, cut: true })).toBe('0.25;;cut')
    expect(encodeStored({ score: 0.25, tokens: 412, cut: false })).toBe('0.25;412')
    expect(decodeStored('0.25;412;cut')).toEqual({ score: 0.25, tokens: 412, cut: true })
    expect(decodeStored('0.25;;cut')).toEqual({ score: 0.25, cut: true })
    for (const bad of ['0.25;412;', '0.25;412;cu', '0.25;;', '0.25;412;cut;cut', '0.25;x;cut', '2;;cut'])
      expect(decodeStored(bad), bad).toBeUndefined()
  })
})
