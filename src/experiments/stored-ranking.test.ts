import { describe, expect, it } from 'vitest'
import { MAX_RANKED_IDS_BYTES, storedRanking } from './stored-ranking'

const bytes = (s: string) => new TextEncoder().encode(s).byteLength

describe('storedRanking', () => {
  it('keeps a ranking that fits whole, as its JSON', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `doc-${i}`)
    expect(storedRanking(ids)).toEqual({ json: JSON.stringify(ids), kept: 1000 })
    expect(storedRanking([])).toEqual({ json: '[]', kept: 0 })
  })

  it('keeps the longest prefix whose JSON fits, counted in UTF-8 bytes of the escaped text', () => {
    // Each id: 8 bytes of JSON ("\u0001" is 6, the quotes 2), 9 with its comma.
    const ids = Array.from({ length: 10 }, () => '\u0001')
    for (const max of [2, 9, 10, 18, 19, 20, 89, 90, 91]) {
      const r = storedRanking(ids, max)
      expect(bytes(r.json), `max ${max}`).toBeLessThanOrEqual(max)
      expect(JSON.parse(r.json), `max ${max}`).toEqual(ids.slice(0, r.kept))
      // One more id would not have fitted.
      if (r.kept < ids.length) expect(bytes(JSON.stringify(ids.slice(0, r.kept + 1))), `max ${max}`).toBeGreaterThan(max)
    }
    // 10 ids: 2 + 10 × 8 + 9 commas = 91 bytes.
    expect(storedRanking(ids, 90).kept).toBe(9)
    expect(storedRanking(ids, 91).kept).toBe(10)
    // Non-ASCII: 3 bytes a character in UTF-8, though one UTF-16 unit.
    const cjk = ['漢字漢字', '漢字漢字']
    expect(storedRanking(cjk, 2 + 14 + 1 + 13).kept).toBe(1)
    expect(storedRanking(cjk, 2 + 14 + 1 + 14).kept).toBe(2)
  })

  it('bounds 1,000 ids of 256 characters of any content under D1\'s value limit', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `${'\u0001'.repeat(250)}${String(i).padStart(6, '0')}`)
    const r = storedRanking(ids)
    expect(bytes(JSON.stringify(ids))).toBeGreaterThan(1_000_000)
    expect(bytes(r.json)).toBeLessThanOrEqual(MAX_RANKED_IDS_BYTES)
    expect(r.kept).toBeGreaterThan(500)
    expect(r.kept).toBeLessThan(1000)
  })
})
