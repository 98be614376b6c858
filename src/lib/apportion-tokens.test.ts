import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { apportionTokens, utf8Length } from './apportion-tokens'

describe('apportionTokens', () => {
  it('gives whole shares that sum exactly to the batch total (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 300 }), (total, weights) => {
        const shares = apportionTokens(total, weights)
        expect(shares).toHaveLength(weights.length)
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total)
        const sum = weights.reduce((a, b) => a + b, 0)
        shares.forEach((s, i) => {
          expect(Number.isInteger(s) && s >= 0).toBe(true)
          // Largest remainder: each share is its exact quota rounded down or up.
          const exact = sum === 0 ? total / weights.length : (total * (weights[i] as number)) / sum
          expect(Math.abs(s - exact)).toBeLessThan(1)
        })
      }),
      { numRuns: 500 }
    )
  }, 30_000)

  it('splits in proportion to the weights', () => {
    expect(apportionTokens(100, [1, 3])).toEqual([25, 75])
    expect(apportionTokens(10, [1, 1, 1])).toEqual([4, 3, 3])
    expect(apportionTokens(7, [0, 0])).toEqual([4, 3])
    expect(apportionTokens(0, [5, 9])).toEqual([0, 0])
    expect(apportionTokens(5, [])).toEqual([])
  })

  it('refuses a total or weight that is not a count', () => {
    expect(() => apportionTokens(1.5, [1])).toThrow(RangeError)
    expect(() => apportionTokens(-1, [1])).toThrow(RangeError)
    // Past 2^53 the remainder loop could never finish (`left--` leaves 1.5e284 unchanged).
    expect(() => apportionTokens(1e300, [7, 7, 7])).toThrow(RangeError)
    expect(() => apportionTokens(2 ** 53, [1, 1])).toThrow(RangeError)
    expect(() => apportionTokens(3, [Number.NaN])).toThrow(RangeError)
  })
})

describe('utf8Length', () => {
  it('counts UTF-8 bytes like Node for well-formed text, 3 for a lone surrogate', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'))
      }),
      { numRuns: 500 }
    )
    expect(utf8Length('a\ud800b')).toBe(5)
  }, 30_000)
})
