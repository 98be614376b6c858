import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BUCKET_HEADER_BYTES,
  BUCKET_RECORD_BYTES,
  decodeBucket,
  emptyBucket,
  encodeBucket,
  lookupBucket,
  MAX_BUCKET_PAIRS,
  mergeBucket,
  PAIR_ID_BYTES,
  unionBuckets,
} from './score-bucket'
import { MAX_PAIR_TOKENS, type StoredScore } from './score-value'

const NOW = 1_750_000_000
const LATER = NOW + 3600

/** A 32-byte digest whose first bytes spell `n` (distinct n, distinct ids). */
function id(n: number, tail = 0): Uint8Array {
  const d = new Uint8Array(32)
  new DataView(d.buffer).setUint32(0, n, true)
  d[15] = tail
  d[31] = 0xee // beyond the 16 bytes that name a pair
  return d
}

const roundTrip = (adds: Array<readonly [Uint8Array, StoredScore]>, expires = LATER) =>
  decodeBucket(encodeBucket(mergeBucket(emptyBucket(), adds, expires)), NOW)

describe('score bucket', () => {
  it('gives back every stored value exactly: score bits, tokens, cut, and none for unknown ids', () => {
    const value = fc.record(
      {
        score: fc.double({ min: 0, max: 1, noNaN: true }),
        tokens: fc.integer({ min: 0, max: MAX_PAIR_TOKENS }),
        cut: fc.constant(true),
      },
      { requiredKeys: ['score'] }
    )
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 60 }), fc.array(value, { minLength: 60, maxLength: 60 }), (ns, vs) => {
        const adds = ns.map((n, i) => [id(n), vs[i] as StoredScore] as const)
        const { bucket, corrupt } = roundTrip(adds)
        expect(corrupt).toBe(0)
        expect(bucket.size).toBe(ns.length)
        const want = adds.map(([, v]) => ({ score: v.score, ...(v.tokens === undefined ? {} : { tokens: v.tokens }), ...(v.cut ? { cut: true } : {}) }))
        const got = lookupBucket(bucket, adds.map(([d]) => d))
        expect(got).toEqual(want)
        got.forEach((g, i) => expect(Object.is(g?.score, want[i]?.score)).toBe(true))
        expect(lookupBucket(bucket, [id(0x1_0000, 1)])).toEqual([undefined])
      })
    )
  }, 30_000)

  it('names a pair by 16 bytes: ids sharing their first 15 are told apart, bytes after 16 do not count', () => {
    const { bucket } = roundTrip([
      [id(7, 1), { score: 0.25 }],
      [id(7, 2), { score: 0.75 }],
    ])
    const other = id(7, 1)
    other[20] = 0x01
    expect(lookupBucket(bucket, [id(7, 2), id(7, 1), id(7, 3), other])).toEqual([{ score: 0.75 }, { score: 0.25 }, undefined, { score: 0.25 }])
  })

  it('lays out an 8-byte header ("rsb1", count) and 32-byte records', () => {
    const bytes = encodeBucket(mergeBucket(emptyBucket(), [[id(1), { score: 0.5, tokens: 412, cut: true }]], LATER))
    expect(bytes.byteLength).toBe(BUCKET_HEADER_BYTES + BUCKET_RECORD_BYTES)
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('rsb1')
    const dv = new DataView(bytes.buffer, bytes.byteOffset)
    expect(dv.getUint32(4, true)).toBe(1)
    expect(dv.getFloat64(8 + 16, true)).toBe(0.5)
    expect(dv.getUint32(8 + 24, true)).toBe(LATER)
    expect(dv.getUint32(8 + 28, true)).toBe((0x8000_0000 | 0x4000_0000 | 412) >>> 0)
  })

  it('drops expired records when read', () => {
    const bytes = encodeBucket(mergeBucket(mergeBucket(emptyBucket(), [[id(1), { score: 0.1 }]], NOW), [[id(2), { score: 0.2 }]], NOW + 1))
    const { bucket, corrupt } = decodeBucket(bytes, NOW)
    expect(corrupt).toBe(0)
    expect(lookupBucket(bucket, [id(1), id(2)])).toEqual([undefined, { score: 0.2 }])
  })

  it('merges: a stored id is replaced, new ones appended, the oldest dropped past the bound', () => {
    const base = mergeBucket(emptyBucket(), [1, 2, 3].map((n) => [id(n), { score: n / 10 }] as const), LATER)
    const merged = mergeBucket(base, [[id(2), { score: 0.9, tokens: 5 }], [id(4), { score: 0.4 }]], LATER + 1, 3)
    expect(merged.size).toBe(3)
    expect(lookupBucket(merged, [id(1), id(2), id(3), id(4)])).toEqual([undefined, { score: 0.9, tokens: 5 }, { score: 0.3 }, { score: 0.4 }])
    // Additions alone beyond the bound: the first ones go.
    const big = mergeBucket(emptyBucket(), Array.from({ length: MAX_BUCKET_PAIRS + 2 }, (_, i) => [id(i), { score: 0.5 }] as const), LATER)
    expect(big.size).toBe(MAX_BUCKET_PAIRS)
    expect(lookupBucket(big, [id(0), id(1), id(2), id(MAX_BUCKET_PAIRS + 1)])).toEqual([undefined, undefined, { score: 0.5 }, { score: 0.5 }])
  })

  it('unions two buckets: every live pair once, the newer one\'s value where both hold it, the oldest dropped past the bound', () => {
    const older = mergeBucket(mergeBucket(emptyBucket(), [[id(1), { score: 0.1 }]], NOW), [[id(2), { score: 0.2 }], [id(3), { score: 0.3 }]], LATER)
    const newer = mergeBucket(mergeBucket(emptyBucket(), [[id(4), { score: 0.4 }]], NOW - 5), [[id(3), { score: 0.35, tokens: 9 }], [id(5), { score: 0.5 }]], LATER)
    const u = unionBuckets(older, newer, NOW)
    expect(u.size).toBe(3)
    expect(lookupBucket(u, [1, 2, 3, 4, 5].map((n) => id(n)))).toEqual([undefined, { score: 0.2 }, { score: 0.35, tokens: 9 }, undefined, { score: 0.5 }])
    expect(lookupBucket(unionBuckets(older, newer, NOW, 2), [id(2), id(3), id(5)])).toEqual([undefined, { score: 0.35, tokens: 9 }, { score: 0.5 }])
  })

  it('never stores a score that may not be cached, nor an id shorter than 16 bytes', () => {
    const merged = mergeBucket(
      emptyBucket(),
      [
        [id(1), { score: Number.NaN }],
        [id(2), { score: 1.5 }],
        [id(3), { score: -0.1 }],
        [new Uint8Array(PAIR_ID_BYTES - 1), { score: 0.5 }],
        [id(4), { score: 1 }],
      ],
      LATER
    )
    expect(merged.size).toBe(1)
    expect(lookupBucket(merged, [id(4)])).toEqual([{ score: 1 }])
  })

  it('counts what this code could not have written as corrupt, and reads it as absent', () => {
    const good = encodeBucket(mergeBucket(emptyBucket(), [[id(1), { score: 0.5 }], [id(2), { score: 0.25, tokens: 3 }]], LATER))
    expect(decodeBucket(new Uint8Array(0), NOW)).toEqual({ bucket: emptyBucket(), corrupt: 0 })
    expect(decodeBucket(good.subarray(0, 5), NOW).corrupt).toBe(1)
    expect(decodeBucket(good.subarray(0, good.length - 1), NOW)).toMatchObject({ bucket: { size: 0 }, corrupt: 1 })
    const badMagic = good.slice()
    badMagic[0] = 0x52
    expect(decodeBucket(badMagic, NOW)).toMatchObject({ bucket: { size: 0 }, corrupt: 1 })
    const corrupt = (mutate: (dv: DataView) => void) => {
      const b = good.slice()
      mutate(new DataView(b.buffer))
      const d = decodeBucket(b, NOW)
      return [d.corrupt, lookupBucket(d.bucket, [id(1), id(2)])]
    }
    expect(corrupt((dv) => dv.setFloat64(8 + 16, Number.NaN, true))).toEqual([1, [undefined, { score: 0.25, tokens: 3 }]])
    expect(corrupt((dv) => dv.setFloat64(8 + 16, 1.5, true))).toEqual([1, [undefined, { score: 0.25, tokens: 3 }]])
    expect(corrupt((dv) => dv.setUint32(8 + 28, 0x4000_0000 | (MAX_PAIR_TOKENS + 1), true))).toEqual([1, [undefined, { score: 0.25, tokens: 3 }]])
    // Token bits without the "known" flag: not something mergeBucket writes.
    expect(corrupt((dv) => dv.setUint32(8 + 28, 7, true))).toEqual([1, [undefined, { score: 0.25, tokens: 3 }]])
  })
})
