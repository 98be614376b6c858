import { describe, expect, it } from 'vitest'
import { clientOf, FailedAuthLimiter, LOCAL_CLIENT } from './failed-auth-limiter'

describe('FailedAuthLimiter', () => {
  it('locks a client after maxFailures in the window, for the rest of the window, others unaffected', () => {
    const l = new FailedAuthLimiter({ maxFailures: 3, windowMs: 10_000 })
    const t = 1_000_000
    for (let i = 0; i < 3; i++) {
      expect(l.lockedFor('ip:a', t + i)).toBe(0)
      l.fail('ip:a', t + i)
    }
    expect(l.lockedFor('ip:a', t + 3)).toBe(10)
    expect(l.lockedFor('ip:a', t + 9_001)).toBe(1)
    expect(l.lockedFor('ip:b', t + 3)).toBe(0)
    // The window ends: the client may try again.
    expect(l.lockedFor('ip:a', t + 10_000)).toBe(0)
    expect(l.fail('ip:a', t + 10_000)).toBe(1)
  })

  it('keys by CF-Connecting-IP, one shared bucket without it', () => {
    expect(clientOf('203.0.113.7')).toBe('ip:203.0.113.7')
    expect(clientOf(undefined)).toBe(LOCAL_CLIENT)
    expect(clientOf('  ')).toBe(LOCAL_CLIENT)
  })
})
