import { describe, expect, it } from 'vitest'
import { distinctStrings } from './distinct-strings'

describe('distinctStrings', () => {
  it('lists each string once in order of first appearance, with slots and counts', () => {
    const d = distinctStrings(['b', 'a', 'b', 'c', 'b'])
    expect(d.distinct).toEqual(['b', 'a', 'c'])
    expect([...d.slot]).toEqual([0, 1, 0, 2, 0])
    expect(d.count).toEqual([3, 1, 1])
  })

  it('tells apart strings that differ only in a lone surrogate or U+FFFD', () => {
    expect(distinctStrings(['a\ud800', 'a\ufffd', 'a\ud800']).distinct).toHaveLength(2)
    expect(distinctStrings([]).distinct).toEqual([])
  })
})
