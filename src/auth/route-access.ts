/**
 * @module auth/route-access
 * Which routes need which scope: the one table access control reads, so a route added later
 * is covered by the rule for its path even before its author thinks about auth. Pure.
 *
 * With keys configured, everything not listed as public needs a valid key (an unknown path is
 * 401 before it is 404, so strangers learn nothing about the route map).
 */
import { RERANK_PATHS } from '../rerank/rerank-paths'
import type { Scope } from './scopes'

export type AccessRule = { kind: 'public' } | { kind: 'scope'; scope: Scope } | { kind: 'authenticated' }

const PUBLIC_GET = new Set(['/healthz', '/', '/docs', '/openapi.json', '/favicon.ico'])
const PUBLIC_GET_PREFIXES = ['/docs/', '/playground/']

const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`)

/** A query flag that is on: `1`, `true`, `yes` or `on`, in any case. */
export function flagOn(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/iu.test(value ?? '')
}

/**
 * What `GET /healthz` was asked for (routes/health.ts): `?probe=1` probes the upstreams and
 * implies `?detail=1`, the operator's view (origins, breaker states, last errors).
 */
export function healthView(query: (name: string) => string | undefined): { detail: boolean; probe: boolean } {
  const probe = flagOn(query('probe'))
  return { probe, detail: probe || flagOn(query('detail')) }
}

/**
 * `query` reads the request's query parameters: `/healthz` is public, but its operator view
 * (`?detail=1`, `?probe=1`) needs the `stats` scope, so on a keyed deployment a caller without a
 * key, or with one no configured key matches, gets the 401 that says so, as on any keyed route.
 */
export function accessRuleFor(method: string, path: string, query: (name: string) => string | undefined = () => undefined): AccessRule {
  const read = method === 'GET' || method === 'HEAD'
  if (read && path === '/healthz' && healthView(query).detail) return { kind: 'scope', scope: 'stats' }
  if (read && (PUBLIC_GET.has(path) || PUBLIC_GET_PREFIXES.some((p) => path.startsWith(p)))) return { kind: 'public' }
  if (RERANK_PATHS.has(path)) return { kind: 'scope', scope: 'rerank' }
  // Reading the registry is part of reranking; writing templates is an operator's (admin) job.
  if (under(path, '/v1/templates')) return { kind: 'scope', scope: read ? 'rerank' : 'experiments' }
  if (under(path, '/v1/experiments')) return { kind: 'scope', scope: 'experiments' }
  if (under(path, '/v1/feedback')) return { kind: 'scope', scope: 'feedback' }
  if (under(path, '/v1/stats')) return { kind: 'scope', scope: 'stats' }
  return { kind: 'authenticated' }
}
