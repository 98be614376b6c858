/**
 * @module cache-control
 * Reads the request's `Cache-Control` for the score cache: `no-store` (neither read nor
 * write) wins over `no-cache` (recompute, then overwrite), as in RFC 9111 §5.2.1.
 */
import type { CacheMode } from '../cache/score-with-cache'

export function cacheModeFrom(header: string | null | undefined): CacheMode {
  if (!header) return 'default'
  const directives = header.toLowerCase().split(',').map((d) => d.trim().split('=')[0])
  if (directives.includes('no-store')) return 'no-store'
  if (directives.includes('no-cache')) return 'no-cache'
  return 'default'
}
