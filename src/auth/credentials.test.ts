import { describe, expect, it } from 'vitest'
import { readCredential } from './credentials'
import { accessRuleFor } from './route-access'
import { WindowLimiter } from './window-limiter'

describe('readCredential', () => {
  it('reads a Bearer token (scheme in any case) before X-API-Key', () => {
    expect(readCredential('Bearer abc.DEF-123_~+/=', undefined)).toEqual({ kind: 'key', token: 'abc.DEF-123_~+/=', header: 'Authorization' })
    expect(readCredential('bEaReR   tok', 'other')).toEqual({ kind: 'key', token: 'tok', header: 'Authorization' })
    expect(readCredential(undefined, ' k-1 ')).toEqual({ kind: 'key', token: 'k-1', header: 'X-API-Key' })
    expect(readCredential(undefined, undefined)).toEqual({ kind: 'missing' })
    expect(readCredential('', '')).toEqual({ kind: 'missing' })
  })

  it('rejects other schemes, empty, spaced, non-b64token and oversized tokens', () => {
    for (const h of ['Basic dXNlcjpwYXNz', 'Token abc', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearer a"b', `Bearer ${'a'.repeat(513)}`, 'Bearerabc']) {
      expect(readCredential(h, undefined).kind, h).toBe('malformed')
    }
    expect(readCredential(undefined, 'has space').kind).toBe('malformed')
    expect(readCredential(undefined, 'é').kind).toBe('malformed')
    expect(readCredential(undefined, 'x'.repeat(513)).kind).toBe('malformed')
  })
})

describe('accessRuleFor', () => {
  it('keeps health, the playground and the docs public for reads only', () => {
    for (const p of ['/healthz', '/', '/docs', '/openapi.json']) {
      expect(accessRuleFor('GET', p)).toEqual({ kind: 'public' })
      expect(accessRuleFor('HEAD', p)).toEqual({ kind: 'public' })
      expect(accessRuleFor('POST', p)).toEqual({ kind: 'authenticated' })
    }
  })

  it("guards /healthz's operator view (?detail=1, ?probe=1) with the stats scope, the plain answer staying public", () => {
    const query = (q: Record<string, string>) => (name: string) => q[name]
    const on: Array<Record<string, string>> = [{ detail: '1' }, { detail: 'TRUE' }, { probe: 'yes' }, { detail: '0', probe: 'on' }]
    const off: Array<Record<string, string>> = [{}, { detail: '0' }, { detail: 'no' }, { probe_timeout_ms: '300' }]
    for (const q of on) {
      expect(accessRuleFor('GET', '/healthz', query(q)), JSON.stringify(q)).toEqual({ kind: 'scope', scope: 'stats' })
      expect(accessRuleFor('HEAD', '/healthz', query(q)), JSON.stringify(q)).toEqual({ kind: 'scope', scope: 'stats' })
    }
    for (const q of off) {
      expect(accessRuleFor('GET', '/healthz', query(q)), JSON.stringify(q)).toEqual({ kind: 'public' })
    }
    expect(accessRuleFor('POST', '/healthz', query({ detail: '1' }))).toEqual({ kind: 'authenticated' })
  })

  it('maps each capability to its scope', () => {
    expect(accessRuleFor('POST', '/v1/rerank')).toEqual({ kind: 'scope', scope: 'rerank' })
    expect(accessRuleFor('POST', '/rerank')).toEqual({ kind: 'scope', scope: 'rerank' })
    expect(accessRuleFor('GET', '/v1/templates/rag')).toEqual({ kind: 'scope', scope: 'rerank' })
    expect(accessRuleFor('PUT', '/v1/templates/rag')).toEqual({ kind: 'scope', scope: 'experiments' })
    expect(accessRuleFor('GET', '/v1/experiments/x/report')).toEqual({ kind: 'scope', scope: 'experiments' })
    expect(accessRuleFor('POST', '/v1/feedback')).toEqual({ kind: 'scope', scope: 'feedback' })
    expect(accessRuleFor('GET', '/v1/stats')).toEqual({ kind: 'scope', scope: 'stats' })
    // Prefixes match whole segments only.
    expect(accessRuleFor('GET', '/v1/experimentsX')).toEqual({ kind: 'authenticated' })
    expect(accessRuleFor('GET', '/unknown')).toEqual({ kind: 'authenticated' })
  })
})

describe('WindowLimiter', () => {
  it('allows `limit` hits per window, then says when the window ends', () => {
    const l = new WindowLimiter()
    const t0 = 1_000_000
    expect([1, 2, 3].map((i) => l.hit('k', 3, 60_000, t0 + i).ok)).toEqual([true, true, true])
    const denied = l.hit('k', 3, 60_000, t0 + 30_000)
    expect(denied).toEqual({ ok: false, retryAfterSec: 31, remaining: 0 })
    expect(l.hit('other', 3, 60_000, t0 + 30_000).ok).toBe(true)
    expect(l.hit('k', 3, 60_000, t0 + 60_001).ok).toBe(true) // a new window
  })

  it('stays bounded: expired windows are swept when the table is full', () => {
    const l = new WindowLimiter(2)
    l.hit('a', 1, 1000, 0)
    l.hit('b', 1, 1000, 0)
    expect(l.hit('c', 1, 1000, 5000).ok).toBe(true)
    expect(l.hit('a', 1, 1000, 5000).ok).toBe(true) // 'a' was swept, not still counted
  })
})
