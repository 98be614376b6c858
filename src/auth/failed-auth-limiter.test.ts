import { describe, expect, it } from 'vitest'
import { clientOf, FailedAuthLimiter, LOCAL_CLIENT } from './failed-auth-limiter'

describe('FailedAuthLimiter', () => {
  it('when full, forgets clients that are not locked out before any lockout', () => {
    const l = new FailedAuthLimiter({ maxFailures: 2, windowMs: 60_000 }, 10)
    const t = 1_000_000
    l.fail('locked', t)
    l.fail('locked', t)
    for (let i = 0; i < 20; i++) l.fail(`guess-${i}`, t + 1)
    expect(l.lockedFor('locked', t + 2)).toBe(60)
  })

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
    expect(clientOf('203.0.113.7')).toBe('ip:v4:203.0.113.7')
    // IPv6 by its /64: one subscriber's rotating addresses are one client.
    expect(clientOf('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('ip:v6:2001:db8:85a3:8d3/64')
    expect(clientOf('2001:db8:85a3:8d3::1')).toBe(clientOf('2001:DB8:85A3:08D3:ffff:1:2:3'))
    expect(clientOf('2001:db8:85a3:8d4::1')).not.toBe(clientOf('2001:db8:85a3:8d3::1'))
    expect(clientOf('::ffff:203.0.113.7')).toBe('ip:v4:203.0.113.7')
    expect(clientOf('fe80::1%eth0')).toBe('ip:v6:fe80:0:0:0/64')
    expect(clientOf('::1')).toBe('ip:v6:0:0:0:0/64')
    expect(clientOf('1::2::3')).toBe('ip:raw:1::2::3')
    expect(clientOf(undefined)).toBe(LOCAL_CLIENT)
    expect(clientOf('  ')).toBe(LOCAL_CLIENT)
  })
})
