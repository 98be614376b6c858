import { describe, expect, it } from 'vitest'
import { BackendError } from '../backend-error'
import { UpstreamStatusError } from './upstream-errors'
import { classifyFailure, fullJitterDelay, isMisconfiguredStatus, parseRetryAfter, planRetry, poisonClass, type FailureVerdict } from './upstream-retry'

describe('classifyFailure', () => {
  const status = (s: number, after?: number) => new UpstreamStatusError(s, `backend answered ${s}`, after)
  it('retries server-side faults and broken replies, never a request the upstream rejected (400, 422)', () => {
    expect(classifyFailure(new BackendError({ kind: 'unreachable', message: 'x' }), 100)).toEqual({ retry: true, health: 'failure' })
    expect(classifyFailure(status(503), 100)).toEqual({ retry: true, health: 'failure' })
    expect(classifyFailure(status(503, 2000), 100)).toEqual({ retry: true, health: 'failure', retryAfterMs: 2000 })
    expect(classifyFailure(status(429, 0), 100)).toEqual({ retry: true, health: 'neutral', retryAfterMs: 0 })
    // A sick server (500 CUDA error, a proxy's 502/504 page) or a broken reply: another upstream can serve.
    for (const s of [500, 502, 504]) expect(classifyFailure(status(s), 100)).toEqual({ retry: true, health: 'failure' })
    expect(classifyFailure(new BackendError({ kind: 'bad_reply', message: 'x' }), 100)).toEqual({ retry: true, health: 'failure' })
    for (const s of [400, 409, 415, 422]) expect(classifyFailure(status(s), 100)).toEqual({ retry: false, health: 'answered' })
    expect(classifyFailure(new TypeError('bug'), 100)).toEqual({ retry: false, health: 'neutral' })
  })

  it('a reply that says the upstream is set up wrong (key, model, URL, proxy, a refused redirect) is its failure, retried elsewhere only', () => {
    // One stale key during a rotation (401), an Access refusal (403), another model or path (404),
    // a wrong method (405), a proxy's own auth (407), a proxy's body cap (413), a login redirect.
    for (const s of [401, 403, 404, 405, 407, 413, 301, 302, 303, 307, 308]) {
      expect(classifyFailure(status(s), 100), String(s)).toEqual({ retry: true, health: 'failure', elsewhereOnly: true })
    }
    // A Retry-After on such a reply binds nothing: it is not back-pressure.
    expect(classifyFailure(status(401, 5000), 100)).toEqual({ retry: true, health: 'failure', elsewhereOnly: true })
    expect([300, 399, 401, 413].map(isMisconfiguredStatus)).toEqual([true, true, true, true])
    expect([200, 400, 402, 408, 422, 429, 500].map(isMisconfiguredStatus)).toEqual([false, false, false, false, false, false, false])
  })

  it('classes the faults a poison request can cause on every upstream: any 5xx but 503 as one, each misconfiguration status on its own', () => {
    expect([500, 502, 504, 413, 403, 401, 308].map((s) => poisonClass(status(s)))).toEqual(['5xx', '5xx', '5xx', '413', '403', '401', '308'])
    expect([503, 429, 400, 422].map((s) => poisonClass(status(s)))).toEqual([undefined, undefined, undefined, undefined])
    expect(poisonClass(new BackendError({ kind: 'bad_reply', message: 'x' }))).toBeUndefined()
  })

  it('a timeout is retried only with time left on the call', () => {
    const t = new BackendError({ kind: 'timeout', message: 'x' })
    expect(classifyFailure(t, 50)).toEqual({ retry: true, health: 'failure' })
    expect(classifyFailure(t, 0)).toEqual({ retry: false, health: 'failure' })
  })
})

describe('fullJitterDelay', () => {
  it('is uniform below min(cap, base·2^retry)', () => {
    const p = { baseMs: 20, capMs: 100 }
    expect(fullJitterDelay(0, 0, p)).toBe(0)
    expect(fullJitterDelay(0, 0.5, p)).toBe(10)
    expect(fullJitterDelay(1, 0.5, p)).toBe(20)
    expect(fullJitterDelay(2, 0.999, p)).toBe(79)
    expect(fullJitterDelay(10, 0.5, p)).toBe(50) // capped
    for (let r = 0; r < 1; r += 0.1) expect(fullJitterDelay(3, r, p)).toBeLessThan(100)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T10:00:00Z')
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Wed, 25 Nov 2026 09:00:00 GMT', now)).toBe(0)
  })
  it('ignores absent or malformed values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('-1', now)).toBeUndefined()
    expect(parseRetryAfter('1.5', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })
})

describe('planRetry', () => {
  const retryable: FailureVerdict = { retry: true, health: 'failure' }
  const base = { retry: 0, maxAttempts: 3, verdict: retryable, otherUpstream: true, now: 0, deadline: 1000, minAttemptMs: 25, random: 0.5 }

  it('backs off with jitter while attempts and time remain', () => {
    expect(planRetry(base)).toBe(10)
    expect(planRetry({ ...base, retry: 1 })).toBe(20)
  })
  it('stops at maxAttempts', () => {
    expect(planRetry({ ...base, retry: 2 })).toBeNull()
    expect(planRetry({ ...base, maxAttempts: 1 })).toBeNull()
  })
  it('never retries what is not retriable', () => {
    expect(planRetry({ ...base, verdict: { retry: false, health: 'failure' } })).toBeNull()
  })
  it('retries a misconfigured upstream only on one the call has not tried: the same one answers the same', () => {
    const elsewhere: FailureVerdict = { retry: true, health: 'failure', elsewhereOnly: true }
    expect(planRetry({ ...base, verdict: elsewhere, untriedUpstream: true })).toBe(10)
    expect(planRetry({ ...base, verdict: elsewhere, untriedUpstream: false })).toBeNull()
    expect(planRetry({ ...base, verdict: elsewhere })).toBeNull()
    // Still within the attempt budget and the deadline.
    expect(planRetry({ ...base, verdict: elsewhere, untriedUpstream: true, retry: 2 })).toBeNull()
    expect(planRetry({ ...base, verdict: elsewhere, untriedUpstream: true, now: 970 })).toBeNull()
  })
  it('never plans past the deadline', () => {
    expect(planRetry({ ...base, now: 970 })).toBeNull() // 970 + 10 + 25 > 1000
    expect(planRetry({ ...base, now: 960 })).toBe(10)
  })
  it('honours Retry-After only when retrying the same upstream, and only within budget', () => {
    const v: FailureVerdict = { retry: true, health: 'neutral', retryAfterMs: 400 }
    expect(planRetry({ ...base, verdict: v, otherUpstream: true })).toBe(10)
    expect(planRetry({ ...base, verdict: v, otherUpstream: false })).toBe(400)
    expect(planRetry({ ...base, verdict: { ...v, retryAfterMs: 5000 }, otherUpstream: false })).toBeNull()
  })
})
