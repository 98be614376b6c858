/**
 * @module cache-control
 * Reads the request's `Cache-Control` for the score cache: `no-store` (neither read nor
 * write) wins over `no-cache` (recompute, then overwrite), as in RFC 9111 §5.2.1.
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

export function cacheModeFrom(header: string | null | undefined): CacheMode {
  if (!header) return 'default'
  const directives = header.toLowerCase().split(',').map((d) => d.trim().split('=')[0])
  if (directives.includes('no-store')) return 'no-store'
  if (directives.includes('no-cache')) return 'no-cache'
  return 'default'
}
