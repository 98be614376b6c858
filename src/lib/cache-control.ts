/**
 * @module cache-control
 * Reads the request's `Cache-Control` for the score cache: `no-store` (neither read nor
 * write) wins over `no-cache` (recompute, then overwrite), as in RFC 9111 §5.2.1. `max-age=0`
 * refuses any stored answer older than 0 s, and every stored score is: the same as `no-cache`
 * (§5.2.1.1). Without a `Cache-Control`, HTTP/1.0's `Pragma: no-cache` means `no-cache` (§5.4).
 */
import type { CacheMode } from '../cache/cache-status'
import { ApiError } from '../errors'

/**
 * The cache partition for a call: always the tenant, plus an optional caller-chosen namespace
 * (`X-Cache-Namespace`, like Portkey's `x-portkey-cache-namespace`) to keep workloads apart
 * inside one tenant. Invalid namespaces are rejected rather than silently shared.
 */
export function cacheNamespace(tenant: string, header: string | null | undefined): string {
  if (header === undefined || header === null || header === '') return tenant
  if (!/^[A-Za-z0-9._:-]{1,64}$/u.test(header)) {
    throw new ApiError('invalid_request', 'X-Cache-Namespace: expected 1-64 characters of A-Z a-z 0-9 . _ : -', {
      field: 'X-Cache-Namespace',
    })
  }
  return `${tenant}/${header}`
}

export function cacheModeFrom(header: string | null | undefined, pragma?: string | null): CacheMode {
  if (!header) return pragma && /(?:^|,)\s*no-cache\s*(?:,|$)/iu.test(pragma) ? 'no-cache' : 'default'
  const directives = header.toLowerCase().split(',').map((d) => d.trim().split('='))
  const has = (name: string) => directives.some(([n]) => n === name)
  if (has('no-store')) return 'no-store'
  if (has('no-cache')) return 'no-cache'
  // A quoted value is allowed by the grammar (RFC 9110 §5.6.4), though not recommended for max-age.
  if (directives.some(([n, v]) => n === 'max-age' && v !== undefined && Number(v.trim().replace(/^"|"$/gu, '')) === 0)) return 'no-cache'
  return 'default'
}
