/**
 * @module upstream-state
 * What the pool (`upstream-pool.ts`) knows of one vLLM upstream: its circuit breaker, latency
 * estimate, calls in flight, throttling and counters, and the read-only view `/healthz` shows.
 */
import type { BackendFault } from '../backend-error'
import { CircuitBreaker, type BreakerPolicy, type BreakerState } from './upstream-breaker'
import type { LatencyEstimate } from './upstream-choice'
import { isMisconfiguredStatus } from './upstream-retry'

export interface UpstreamSnapshot {
  id: string
  /** Scheme, host and port only: never a path, user info or key. */
  origin: string
  state: BreakerState
  available: boolean
  outstanding: number
  ewma_ms: number | null
  consecutive_failures: number
  requests: number
  /** Of `requests`, copies sent here because another upstream's attempt was late (hedges). */
  hedges: number
  failures: number
  open_until?: string
  throttled_until?: string
  last_error: { message: string; at: string } | null
}

export interface Upstream {
  index: number
  id: string
  url: string
  origin: string
  breaker: CircuitBreaker
  latency: LatencyEstimate
  /**
   * Calls in flight: id → their attempt deadline (ms). Counted, not incremented and decremented: a
   * call the runtime ended never reaches its `finally`, and a counter would keep it for the
   * isolate's life (skewing the choice); an entry a second past its deadline is dropped.
   */
  inFlight: Map<number, number>
  throttledUntil: number
  requests: number
  hedges: number
  failures: number
  /** The last failure booked here; `fault` is kept for `misconfiguredCause`, never shown. */
  lastError: { message: string; at: number; fault?: BackendFault } | null
}

/** How long past its deadline a call still counts as in flight (its own timeout ends it first). */
const STALE_CALL_GRACE_MS = 1000

function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return 'invalid-url'
  }
}

export function createUpstream(url: string, index: number, policy: BreakerPolicy): Upstream {
  return {
    index,
    id: `u${index}`,
    url,
    origin: originOf(url),
    breaker: new CircuitBreaker(policy),
    latency: { ewmaMs: null, at: 0 },
    inFlight: new Map(),
    throttledUntil: 0,
    requests: 0,
    hedges: 0,
    failures: 0,
    lastError: null,
  }
}

/** Whether `u` may take a call at `t`: its breaker lets one pass and no Retry-After holds it. */
export const available = (u: Upstream, t: number): boolean => u.breaker.canPass(t) && u.throttledUntil <= t

/** Calls in flight to `u` at `t`, forgetting those a second past their deadline (their call was ended). */
export function outstanding(u: Upstream, t: number): number {
  for (const [id, deadline] of u.inFlight) if (t > deadline + STALE_CALL_GRACE_MS) u.inFlight.delete(id)
  return u.inFlight.size
}

/**
 * Why no upstream can take a call, when each one is out because its last failure was a reply that
 * says it is set up wrong (upstream-retry.ts `isMisconfiguredStatus`: a wrong key, model or URL):
 * the newest such failure, for an error that names it (a 502), not a bare "circuit open" 503 that
 * reads as capacity. Undefined when any upstream is out for another reason (throttled, or its last
 * failure was a 5xx, a timeout, a refused connection): capacity, which stays a 503.
 */
export function misconfiguredCause(upstreams: readonly Upstream[], t: number): { message: string; fault: BackendFault } | undefined {
  let newest: { message: string; at: number; fault: BackendFault } | undefined
  for (const u of upstreams) {
    const last = u.lastError
    const fault = last?.fault
    if (!last || fault?.kind !== 'status' || !isMisconfiguredStatus(fault.status) || u.throttledUntil > t) return undefined
    if (!newest || last.at >= newest.at) newest = { message: last.message, at: last.at, fault }
  }
  return newest
}

export function snapshotOf(u: Upstream, t: number): UpstreamSnapshot {
  const s: UpstreamSnapshot = {
    id: u.id,
    origin: u.origin,
    state: u.breaker.state(t),
    available: available(u, t),
    outstanding: outstanding(u, t),
    ewma_ms: u.latency.ewmaMs === null ? null : Math.round(u.latency.ewmaMs * 10) / 10,
    consecutive_failures: u.breaker.consecutiveFailures,
    requests: u.requests,
    hedges: u.hedges,
    failures: u.failures,
    last_error: u.lastError ? { message: u.lastError.message, at: new Date(u.lastError.at).toISOString() } : null,
  }
  if (u.breaker.openUntil > t) s.open_until = new Date(u.breaker.openUntil).toISOString()
  if (u.throttledUntil > t) s.throttled_until = new Date(u.throttledUntil).toISOString()
  return s
}
