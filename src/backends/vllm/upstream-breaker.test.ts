import { describe, expect, it } from 'vitest'
import { CircuitBreaker, DEFAULT_BREAKER_POLICY, type BreakerPolicy } from './upstream-breaker'

const policy = (p: Partial<BreakerPolicy> = {}): BreakerPolicy => ({ ...DEFAULT_BREAKER_POLICY, cooldownMs: 1000, maxCooldownMs: 4000, ...p })

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, not before', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 3 }))
    b.onFailure(0)
    b.onFailure(1)
    expect(b.state(2)).toBe('closed')
    expect(b.canPass(2)).toBe(true)
    b.onFailure(2)
    expect(b.state(3)).toBe('open')
    expect(b.canPass(3)).toBe(false)
    expect(b.consecutiveFailures).toBe(3)
    expect(b.openUntil).toBe(1002)
  })

  it('a success resets the consecutive count', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 3 }))
    b.onFailure(0)
    b.onFailure(1)
    b.onSuccess(2)
    b.onFailure(3)
    b.onFailure(4)
    expect(b.state(5)).toBe('closed')
    expect(b.consecutiveFailures).toBe(2)
  })

  it('opens on the failure rate of the window even without N in a row', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 100, windowSize: 10, minSamples: 10, failureRate: 0.5 }))
    // Alternate: never two failures in a row, 50% failures.
    for (let i = 0; i < 9; i++) (i % 2 === 0 ? b.onFailure(i) : b.onSuccess(i))
    expect(b.state(9)).toBe('closed') // 9 samples < minSamples
    b.onSuccess(9) // 10 samples, 5 failures
    expect(b.state(10)).toBe('closed') // the rate is checked when a failure arrives
    b.onFailure(10) // the last 10 outcomes now hold 5 failures: 5/10 ≥ 0.5, one failure in a row
    expect(b.state(11)).toBe('open')
  })

  it('half-opens after the cool-down and admits exactly one probe', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 1 }))
    b.onFailure(0)
    expect(b.canPass(999)).toBe(false)
    expect(b.state(1000)).toBe('half_open')
    expect(b.canPass(1000)).toBe(true)
    b.onSend(1000)
    expect(b.canPass(1001)).toBe(false) // the probe is in flight
    b.onSuccess(1050)
    expect(b.state(1051)).toBe('closed')
    expect(b.canPass(1051)).toBe(true)
    expect(b.consecutiveFailures).toBe(0)
  })

  it('a failed probe re-opens with a doubled cool-down, capped', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 1 }))
    b.onFailure(0) // open until 1000
    b.onSend(1000)
    b.onFailure(1010) // open for 2000
    expect(b.state(1011)).toBe('open')
    expect(b.openUntil).toBe(3010)
    b.onSend(3010)
    b.onFailure(3010) // 4000 (cap)
    expect(b.openUntil).toBe(7010)
    b.onSend(7010)
    b.onFailure(7010) // still the cap
    expect(b.openUntil).toBe(11010)
    // A successful probe closes and resets the cool-down ladder.
    b.onSend(11010)
    b.onSuccess(11020)
    b.onFailure(11030)
    expect(b.openUntil).toBe(12030)
  })

  it('a neutral outcome frees the probe slot without deciding', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 1 }))
    b.onFailure(0)
    b.onSend(1000)
    expect(b.canPass(1000)).toBe(false)
    b.onNeutral()
    expect(b.state(1001)).toBe('half_open')
    expect(b.canPass(1001)).toBe(true)
  })

  it('ignores stragglers while open', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 1 }))
    b.onFailure(0)
    b.onSuccess(10)
    expect(b.state(11)).toBe('open')
    b.onFailure(20)
    expect(b.openUntil).toBe(1000)
  })

  it('frees the half-open probe slot when the probe reports nothing for probeStaleMs (its call was ended)', () => {
    const b = new CircuitBreaker(policy({ failureThreshold: 1, probeStaleMs: 10_000 }))
    b.onFailure(0)
    expect(b.canPass(1000)).toBe(true) // cool-down over: half-open
    b.onSend(1000) // the probe; its call is ended and never reports
    expect(b.canPass(10_999)).toBe(false)
    expect(b.canPass(11_000)).toBe(true)
    b.onSend(11_000)
    b.onSuccess(11_500)
    expect(b.state(11_500)).toBe('closed')
  })
})

