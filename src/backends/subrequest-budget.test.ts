import { describe, expect, it } from 'vitest'
import { maxUpstreamBatches, minSubrequests, RESERVED_SUBREQUESTS, STORAGE_SUBREQUESTS, UpstreamAllowance, upstreamSubrequests } from './subrequest-budget'

describe('subrequest budget', () => {
  it('reserves the worst case of every storage call a rerank call makes', () => {
    // Rate limiter 1, experiment read 1, TEMPLATES_KV 1, score cache read + re-read + write 3,
    // exposure 3 attempts of INSERT + SELECT 6 (test/integration/subrequests.test.ts counts them).
    expect(STORAGE_SUBREQUESTS).toEqual({ rateLimit: 1, experimentRead: 1, templateRead: 1, scoreCacheRead: 1, scoreCacheReread: 1, scoreCacheWrite: 1, exposureWrite: 6 })
    expect(RESERVED_SUBREQUESTS).toBe(12)
  })

  it('gives upstream calls what the reserve leaves, every attempt counted', () => {
    // Workers Free (50), 3 attempts a batch: 12 batches, at most 36 fetches + the 12 reserved.
    expect(maxUpstreamBatches(50, 3)).toBe(12)
    expect(12 * 3 + RESERVED_SUBREQUESTS).toBeLessThanOrEqual(50)
    expect(13 * 3 + RESERVED_SUBREQUESTS).toBeGreaterThan(50)
    expect(maxUpstreamBatches(50, 1)).toBe(38)
    expect(maxUpstreamBatches(50, 10)).toBe(3)
    expect(maxUpstreamBatches(10_000, 3)).toBe(3329)
    // Never below one batch (the config refuses a budget that cannot hold one: minSubrequests).
    expect(maxUpstreamBatches(13, 3)).toBe(1)
    expect(minSubrequests(3)).toBe(15)
  })

  it('counts a call\'s upstream fetches and refuses the one past what the reserve leaves', () => {
    expect(upstreamSubrequests(50)).toBe(38)
    const a = new UpstreamAllowance(upstreamSubrequests(15))
    expect([a.take(), a.take(), a.take(), a.take()]).toEqual([true, true, true, false])
    expect(a.used).toBe(3)
    expect(new UpstreamAllowance(0).take()).toBe(false)
  })
})
