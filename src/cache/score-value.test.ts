import { describe, expect, it } from 'vitest'
import { isCacheableScore } from './score-value'

describe('score values', () => {
  it('refuse to store anything that is not a finite score in [0, 1]', () => {
    for (const bad of [Number.NaN, Infinity, -Infinity, -0.1, 1.0000001, 2]) expect(isCacheableScore(bad)).toBe(false)
    expect(isCacheableScore('0.5')).toBe(false)
    for (const ok of [0, 1, 0.5, 5e-324, 0.7310585786300049]) expect(isCacheableScore(ok)).toBe(true)
  })
})
