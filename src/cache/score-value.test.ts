import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeScore, encodeScore, isCacheableScore } from './score-value'

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
})
