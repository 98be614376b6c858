import { describe, expect, it } from 'vitest'
import { cacheModeFrom } from './cache-control'

describe('cacheModeFrom (RFC 9111 request directives)', () => {
  it('no-store wins over no-cache; nothing means default', () => {
    expect(cacheModeFrom('no-cache, no-store')).toBe('no-store')
    expect(cacheModeFrom('No-Cache')).toBe('no-cache')
    expect(cacheModeFrom(undefined)).toBe('default')
    expect(cacheModeFrom('max-stale')).toBe('default')
  })

  it('max-age=0 refuses every stored score: recompute, as no-cache', () => {
    expect(cacheModeFrom('max-age=0')).toBe('no-cache')
    expect(cacheModeFrom('public, max-age="0"')).toBe('no-cache')
    expect(cacheModeFrom('max-age=60')).toBe('default')
    expect(cacheModeFrom('max-age=0, no-store')).toBe('no-store')
  })

  it('Pragma: no-cache counts only without a Cache-Control (§5.4)', () => {
    expect(cacheModeFrom(undefined, 'no-cache')).toBe('no-cache')
    expect(cacheModeFrom(null, 'foo, no-cache')).toBe('no-cache')
    expect(cacheModeFrom('max-age=60', 'no-cache')).toBe('default')
    expect(cacheModeFrom(undefined, 'no-cacheX')).toBe('default')
  })
})
