import { describe, expect, it } from 'vitest'
import { firstTooDeep, MAX_JSON_DEPTH } from './json-depth'

/** `depth` objects and arrays, alternating, the outermost an object: `{ a: [ { a: [ … ] } ] }`. */
function nested(depth: number): unknown {
  let v: unknown = 'leaf'
  for (let d = depth; d >= 1; d--) v = d % 2 === 1 ? { a: v } : [v]
  return v
}

describe('firstTooDeep', () => {
  it('passes a value exactly at the limit and names the first level past it', () => {
    expect(firstTooDeep(nested(MAX_JSON_DEPTH))).toBeUndefined()
    const path = firstTooDeep(nested(MAX_JSON_DEPTH + 1))
    expect(path).toHaveLength(MAX_JSON_DEPTH)
    expect(path?.slice(0, 4)).toEqual(['a', 0, 'a', 0])
  })

  it('counts the outer value as depth 1, scalars as nothing', () => {
    expect(firstTooDeep({ a: { b: 1 } }, 2)).toBeUndefined()
    expect(firstTooDeep({ a: { b: {} } }, 2)).toEqual(['a', 'b'])
    expect(firstTooDeep('x', 0)).toBeUndefined()
    expect(firstTooDeep([], 0)).toEqual([])
  })

  it('finds the first too-deep value in document order, past shallow siblings', () => {
    const body = { query: 'q', documents: ['a', { text: 'b', meta: { x: 1 } }, { text: 'c', meta: { deep: { deeper: {} } } }] }
    expect(firstTooDeep(body, 4)).toEqual(['documents', 2, 'meta', 'deep'])
  })

  it('walks 200,000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown
    expect(firstTooDeep(deep)).toHaveLength(MAX_JSON_DEPTH)
  })
})
