import { describe, expect, it } from 'vitest'
import { maxUpstreamBatches, minSubrequests, RESERVED_SUBREQUESTS, UpstreamAllowance, upstreamSubrequests } from './subrequest-budget'

describe('subrequest budget', () => {
  it('gives upstream calls what the reserve leaves, every attempt counted', () => {
    // Workers Free (50), 3 attempts a batch: 14 batches, at most 42 fetches + the 8 reserved.
    expect(maxUpstreamBatches(50, 3)).toBe(14)
    expect(14 * 3 + RESERVED_SUBREQUESTS).toBeLessThanOrEqual(50)
    expect(15 * 3 + RESERVED_SUBREQUESTS).toBeGreaterThan(50)
    expect(maxUpstreamBatches(50, 10)).toBe(4)
    expect(maxUpstreamBatches(10_000, 3)).toBe(3330)
    // Never below one batch (the config refuses a budget that cannot hold one: minSubrequests).
    expect(maxUpstreamBatches(9, 3)).toBe(1)
    expect(minSubrequests(3)).toBe(RESERVED_SUBREQUESTS + 3)
  })

  it('counts a call\'s upstream fetches and refuses the one past what the reserve leaves', () => {
    expect(upstreamSubrequests(50)).toBe(42)
    const a = new UpstreamAllowance(upstreamSubrequests(11))
    expect([a.take(), a.take(), a.take(), a.take()]).toEqual([true, true, true, false])
    expect(a.used).toBe(3)
    expect(new UpstreamAllowance(0).take()).toBe(false)
  })
})
