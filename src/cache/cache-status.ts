/**
 * @module cache-status
 * What one call did in the score cache, counted per tier, and the RFC 9211 `Cache-Status` value
 * that says it: `hit` when every pair came from the cache; otherwise `fwd=` with the RFC's reason
 * (`miss`, `partial` §2.2, `request` for no-cache), `stored` when the call wrote scores,
 * `collapsed` when it waited for another call's forward (§2.5, §2.6), `detail` with the counts.
 * Pure.
 */

/** RFC 9111 §5.2.1 request directives as the cache applies them (lib/cache-control.ts parses them). */
export type CacheMode = 'default' | 'no-cache' | 'no-store'

/** RFC 9211 cache name for this service's score cache. */
export const CACHE_NAME = 'rerank-edge'

export interface CacheCounts {
  /** Positions served from the isolate's memory. */
  memory: number
  /** Positions served from the edge store. */
  edge: number
  /** Positions served by joining another call's backend request. */
  collapsed: number
  /** Distinct pairs this call sent to the backend. */
  forwarded: number
  /** Edge read / write operations (writes: scheduled after the response). */
  edgeReads: number
  edgeWrites: number
  /** Edge operations that failed (reads: counted before the response; writes: not yet known). */
  edgeFailures: number
}

export const zeroCounts = (): CacheCounts => ({
  memory: 0,
  edge: 0,
  collapsed: 0,
  forwarded: 0,
  edgeReads: 0,
  edgeWrites: 0,
  edgeFailures: 0,
})

/** The RFC 9211 Cache-Status member for a cached (not bypassed) call. */
export function cacheStatus(mode: CacheMode, hits: number, misses: number, c: CacheCounts, stored: boolean): string {
  const parts = [CACHE_NAME]
  if (mode === 'no-cache') parts.push('fwd=request')
  else if (misses === 0) parts.push('hit')
  else parts.push(hits > 0 ? 'fwd=partial' : 'fwd=miss')
  if (stored) parts.push('stored')
  if (c.collapsed > 0) parts.push('collapsed')
  const detail = [
    `hits=${hits}`,
    `misses=${misses}`,
    `memory=${c.memory}`,
    `edge=${c.edge}`,
    `collapsed=${c.collapsed}`,
    `forwarded=${c.forwarded}`,
    `edge-reads=${c.edgeReads}`,
    `edge-writes=${c.edgeWrites}`,
  ]
  if (c.edgeFailures > 0) detail.push(`edge-failures=${c.edgeFailures}`)
  parts.push(`detail="${detail.join(' ')}"`)
  return parts.join('; ')
}
