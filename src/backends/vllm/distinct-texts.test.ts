import { describe, expect, it } from 'vitest'
import { distinctTexts } from './distinct-texts'

describe('distinctTexts', () => {
  it('passes a result through untouched when every text is distinct', () => {
    const d = distinctTexts(['a', 'b'])
    expect(d.texts).toEqual(['a', 'b'])
    const r = { scores: [0.1, 0.2], promptTokens: 9, pairTokens: [4, 5] }
    expect(d.spread(r)).toBe(r)
  })

  it('sends a repeated text once and gives its answer to every copy; token shares still sum to usage', () => {
    const d = distinctTexts(['x', 'y', 'x', 'x'])
    expect(d.texts).toEqual(['x', 'y'])
    const out = d.spread({ scores: [0.7, 0.2], promptTokens: 13, pairTokens: [10, 3], uncacheable: [0] })
    expect(out.scores).toEqual([0.7, 0.2, 0.7, 0.7])
    expect(out.promptTokens).toBe(13)
    expect(out.pairTokens?.reduce((a, b) => a + b, 0)).toBe(13)
    expect(out.pairTokens?.[1]).toBe(3)
    expect([out.pairTokens?.[0], out.pairTokens?.[2], out.pairTokens?.[3]].sort()).toEqual([3, 3, 4])
    expect(out.uncacheable).toEqual([0, 2, 3])
  })
})
