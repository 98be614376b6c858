import { describe, expect, it } from 'vitest'
import { RecentWrites } from './recent-writes'
import { BUCKET_RECORD_BYTES, emptyBucket, mergeBucket } from './score-bucket'

const NOW = 1_750_000_000_000
const bucketOf = (n: number) =>
  mergeBucket(
    emptyBucket(),
    Array.from({ length: n }, (_, i) => {
      const id = new Uint8Array(16)
      id[0] = i
      return [id, { score: 0.5 }] as const
    }),
    NOW / 1000 + 3600
  )

describe('recent writes', () => {
  it('answers the last write of a key until it is maxAgeMs old', () => {
    const r = new RecentWrites(1 << 20, 60_000)
    r.set('b1:a', bucketOf(1), NOW)
    r.set('b1:a', bucketOf(2), NOW + 10)
    expect(r.get('b1:a', NOW + 60_009)?.size).toBe(2)
    expect(r.get('b1:a', NOW + 60_010)).toBeUndefined()
    expect(r.sizeBytes).toBe(0)
    expect(r.get('b1:b', NOW)).toBeUndefined()
  })

  it('keeps at most maxBytes of records, dropping the oldest writes first', () => {
    const r = new RecentWrites(3 * BUCKET_RECORD_BYTES)
    r.set('b1:a', bucketOf(1), NOW)
    r.set('b1:b', bucketOf(1), NOW)
    r.set('b1:a', bucketOf(1), NOW + 1) // rewritten: now the newest
    r.set('b1:c', bucketOf(2), NOW + 2)
    expect([r.get('b1:a', NOW + 3)?.size, r.get('b1:b', NOW + 3), r.get('b1:c', NOW + 3)?.size]).toEqual([1, undefined, 2])
    expect(r.sizeBytes).toBe(3 * BUCKET_RECORD_BYTES)
    r.set('b1:d', bucketOf(4), NOW + 4) // larger than the bound: not kept, nothing else dropped
    expect(r.get('b1:d', NOW + 4)).toBeUndefined()
    expect(r.sizeBytes).toBe(3 * BUCKET_RECORD_BYTES)
  })
})
