/**
 * @module upstream-pool
 * Chooses which vLLM base URL serves each call and survives upstream faults:
 *  - per upstream it tracks outstanding calls, an EWMA of call latency and a circuit breaker
 *    (`upstream-breaker.ts`);
 *  - each call goes to the cheaper of two random available upstreams by
 *    `(outstanding + 1) × latency` (`upstream-choice.ts`);
 *  - an upstream fault (`upstream-retry.ts`: unreachable, reset, 5xx, a broken reply, a per-attempt
 *    timeout) is retried with jittered exponential back-off, on a different upstream when one is
 *    available, never past the call's deadline and never more than `maxAttempts` times in all; a
 *    server error a call meets again on a second upstream is booked against the first only (the
 *    request, not the replicas, is then the likely cause);
 *  - when no upstream can take a call, or every attempt failed, it throws `NoHealthyUpstreamError`
 *    (503/502/504 by the last fault, or the lexical fallback one level up).
 *
 * One pool lives per isolate and configuration (`upstream-registry.ts`), so its state spans
 * requests. Clock, randomness and sleep are injected so the whole policy is unit-testable.
 */
import { CircuitBreaker, DEFAULT_BREAKER_POLICY, type BreakerPolicy, type BreakerState } from './upstream-breaker'
import { effectiveLatency, loadCost, observeFailure, observeLatency, pickTwoChoices, type LatencyEstimate } from './upstream-choice'
import { BackendError } from '../backend-error'
import type { UpstreamAllowance } from '../subrequest-budget'
import { NoHealthyUpstreamError } from './upstream-errors'
import { classifyFailure, DEFAULT_BACKOFF, planRetry, type BackoffPolicy } from './upstream-retry'

export interface AttemptContext {
  /** Absolute deadline of this attempt (ms): the call's, or sooner with a per-attempt timeout. */
  deadline: number
  /** The upstream's id (`u0`, `u1`, …). */
  upstream: string
}

export interface CallOptions {
  /** Absolute deadline of the whole call (ms since epoch). */
  deadline: number
  signal?: AbortSignal
  /**
   * The fetches the caller's whole call has left (backends/subrequest-budget.ts): taken before
   * each attempt; none left throws its error before any upstream is chosen, so that nothing is
   * booked against an upstream for a fetch never sent.
   */
  allowance?: UpstreamAllowance | undefined
}

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
  failures: number
  open_until?: string
  throttled_until?: string
  last_error: { message: string; at: string } | null
}

export interface UpstreamPool {
  readonly urls: readonly string[]
  call<T>(attempt: (baseUrl: string, ctx: AttemptContext) => Promise<T>, options: CallOptions): Promise<T>
  snapshot(): UpstreamSnapshot[]
}

export interface UpstreamPoolOptions {
  /** Tries per call, first one included. */
  maxAttempts?: number
  /** Per-attempt timeout (ms); 0: each attempt may use the call's whole remaining deadline. */
  attemptTimeoutMs?: number
  breaker?: Partial<BreakerPolicy>
  backoff?: BackoffPolicy
  /** Time constant with which a stale, worse-than-best latency estimate fades (ms). */
  forgetMs?: number
  /** No retry starts with less than this left on the deadline (ms). */
  minAttemptMs?: number
  now?: () => number
  random?: () => number
  sleep?: (ms: number) => Promise<void>
}

interface Upstream {
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
  failures: number
  lastError: { message: string; at: number } | null
}

/** How long past its deadline a call still counts as in flight (its own timeout ends it first). */
const STALE_CALL_GRACE_MS = 1000

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return 'invalid-url'
  }
}

export function createUpstreamPool(urls: readonly string[], options: UpstreamPoolOptions = {}): UpstreamPool {
  const now = options.now ?? (() => Date.now())
  const random = options.random ?? Math.random
  const sleep = options.sleep ?? sleepFor
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3)
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 0
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  // 10 s: the decay linkerd's peak-EWMA balancer uses (tower `PeakEwma`, DEFAULT_EWMA_DECAY).
  const forgetMs = options.forgetMs ?? 10_000
  const minAttemptMs = options.minAttemptMs ?? 25
  const policy: BreakerPolicy = { ...DEFAULT_BREAKER_POLICY, ...(options.breaker ?? {}) }

  const upstreams: Upstream[] = urls.map((url, index) => ({
    index,
    id: `u${index}`,
    url,
    origin: originOf(url),
    breaker: new CircuitBreaker(policy),
    latency: { ewmaMs: null, at: 0 },
    inFlight: new Map(),
    throttledUntil: 0,
    requests: 0,
    failures: 0,
    lastError: null,
  }))

  const available = (u: Upstream, t: number) => u.breaker.canPass(t) && u.throttledUntil <= t

  /** Calls in flight to `u` at `t`, forgetting those a second past their deadline (their call was ended). */
  const outstanding = (u: Upstream, t: number): number => {
    for (const [id, deadline] of u.inFlight) if (t > deadline + STALE_CALL_GRACE_MS) u.inFlight.delete(id)
    return u.inFlight.size
  }
  let callSeq = 0

  /** The best latency estimate in the pool: the prior for unknown and stale upstreams. */
  const prior = (): number => {
    let best = Number.POSITIVE_INFINITY
    for (const u of upstreams) if (u.latency.ewmaMs !== null && u.latency.ewmaMs < best) best = u.latency.ewmaMs
    return Number.isFinite(best) ? best : 1
  }

  const choose = (t: number, tried: ReadonlySet<number>): Upstream | undefined => {
    const open = upstreams.filter((u) => available(u, t))
    const fresh = open.filter((u) => !tried.has(u.index))
    const p = prior()
    // A breaker ready for its half-open probe is costed at the pool's best latency: its estimate
    // dates from when it was failing, and the probe should go out promptly, not after it fades.
    const latency = (u: Upstream) => (u.breaker.state(t) === 'half_open' ? p : effectiveLatency(u.latency, t, p, forgetMs))
    return pickTwoChoices(fresh.length > 0 ? fresh : open, (u) => loadCost(outstanding(u, t), latency(u)), random)
  }

  /** How long until some upstream can take a call again (ms), if any will. */
  const nextAvailableIn = (t: number): number | undefined => {
    let soonest = Number.POSITIVE_INFINITY
    for (const u of upstreams) soonest = Math.min(soonest, Math.max(u.breaker.openUntil, u.throttledUntil) - t)
    return Number.isFinite(soonest) ? Math.max(0, soonest) : undefined
  }

  const noneAvailable = (t: number, reason: string, last?: unknown): NoHealthyUpstreamError =>
    new NoHealthyUpstreamError(`no healthy backend: ${reason}`, nextAvailableIn(t), last instanceof BackendError ? last.fault : undefined)

  /**
   * Books a failed attempt on its upstream and decides what happens next: the delay before the
   * next attempt, or a throw (the error itself, or `NoHealthyUpstreamError` when retriable
   * capacity failures ran out of attempts or time).
   */
  const afterFailure = (u: Upstream, e: unknown, t0: number, n: number, tried: ReadonlySet<number>, call: CallOptions, serverErrorsAt: ReadonlySet<number>): number => {
    const t1 = now()
    if (call.signal?.aborted) {
      // The client went away: that says nothing about the upstream.
      u.breaker.onNeutral()
      throw e
    }
    let verdict = classifyFailure(e, call.deadline - t1)
    // A server error the same call already met on another upstream points at the request (a
    // "poison" input that fails on every replica), not at this upstream: still retried, so a call
    // is served when one replica is sick, but not booked again; else one such call would count a
    // failure on every replica it tries, and a few of them in a row would open every breaker.
    const metElsewhere = [...serverErrorsAt].some((i) => i !== u.index)
    if (verdict.health === 'failure' && metElsewhere && isServerError(e)) verdict = { ...verdict, health: 'neutral' }
    if (verdict.health === 'failure') {
      u.failures++
      u.lastError = { message: e instanceof Error ? e.message.slice(0, 200) : String(e).slice(0, 200), at: t1 }
      u.latency = observeFailure(u.latency, t1 - t0, t1, prior())
      u.breaker.onFailure(t1)
    } else if (verdict.health === 'answered') {
      u.latency = observeLatency(u.latency, t1 - t0, t1)
      u.breaker.onSuccess(t1)
    } else {
      u.breaker.onNeutral()
    }
    // Honoured up to MAX_RETRY_AFTER_MS: one reply saying `Retry-After: 86400` (or a far-future
    // date) took its replica out for a day, and with every replica answering so, the pool.
    if (verdict.retryAfterMs !== undefined) u.throttledUntil = Math.max(u.throttledUntil, t1 + Math.min(verdict.retryAfterMs, MAX_RETRY_AFTER_MS))
    // Anywhere else to go now, tried or not: only then is waiting out this upstream's Retry-After
    // pointless (the retry waited it out and then went to another replica anyway).
    const otherUpstream = upstreams.some((o) => o.index !== u.index && available(o, t1))
    const delay = planRetry({
      retry: n,
      maxAttempts,
      verdict,
      otherUpstream,
      now: t1,
      deadline: call.deadline,
      minAttemptMs,
      random: random(),
      backoff,
    })
    if (delay !== null) return delay
    // A request the upstream rejected (4xx) stays what it was. Upstream faults that ran out of
    // attempts or time mean the pool as a whole could not serve: `NoHealthyUpstreamError` (so
    // FALLBACK=lexical can answer), which keeps the last fault's status class (504 for a
    // timeout, 502 for a broken reply, 503 for capacity).
    if (verdict.retry || verdict.health === 'failure') {
      throw noneAvailable(t1, `every attempt failed (last: ${e instanceof Error ? e.message : String(e)})`, e)
    }
    throw e
  }

  /** An upstream's 5xx answer other than 503 (capacity) and 429: the class a poison request causes. */
  const isServerError = (e: unknown): boolean => e instanceof BackendError && e.fault.kind === 'status' && e.fault.status >= 500 && e.fault.status !== 503

  return {
    urls,
    async call<T>(attempt: (baseUrl: string, ctx: AttemptContext) => Promise<T>, call: CallOptions): Promise<T> {
      if (upstreams.length === 0) throw new NoHealthyUpstreamError('no healthy backend: none configured')
      const tried = new Set<number>()
      let lastError: unknown
      /** Upstreams that answered this call with a server error (isServerError). */
      const serverErrorsAt = new Set<number>()
      for (let n = 0; n < maxAttempts; n++) {
        if (call.allowance !== undefined && !call.allowance.take()) throw call.allowance.spent()
        const t0 = now()
        const u = choose(t0, tried)
        if (!u) {
          const why =
            lastError instanceof Error ? `every backend failed or is unavailable (last: ${lastError.message})` : 'every backend is out of service (circuit open or throttled)'
          throw noneAvailable(t0, why, lastError)
        }
        tried.add(u.index)
        const probe = u.breaker.state(t0) === 'half_open'
        u.breaker.onSend(t0)
        u.requests++
        const deadline = attemptTimeoutMs > 0 ? Math.min(call.deadline, t0 + attemptTimeoutMs) : call.deadline
        const callId = ++callSeq
        u.inFlight.set(callId, deadline)
        let delay: number
        try {
          const result = await attempt(u.url, { deadline, upstream: u.id })
          const t1 = now()
          // A successful probe starts the estimate afresh: the old one measured failures.
          u.latency = observeLatency(probe ? { ewmaMs: null, at: t1 } : u.latency, t1 - t0, t1)
          u.breaker.onSuccess(t1)
          return result
        } catch (e) {
          lastError = e
          try {
            delay = afterFailure(u, e, t0, n, tried, call, serverErrorsAt)
          } finally {
            if (isServerError(e)) serverErrorsAt.add(u.index)
          }
        } finally {
          u.inFlight.delete(callId)
        }
        if (delay > 0) await sleep(delay)
      }
      throw lastError
    },

    snapshot(): UpstreamSnapshot[] {
      const t = now()
      return upstreams.map((u) => {
        const s: UpstreamSnapshot = {
          id: u.id,
          origin: u.origin,
          state: u.breaker.state(t),
          available: available(u, t),
          outstanding: outstanding(u, t),
          ewma_ms: u.latency.ewmaMs === null ? null : Math.round(u.latency.ewmaMs * 10) / 10,
          consecutive_failures: u.breaker.consecutiveFailures,
          requests: u.requests,
          failures: u.failures,
          last_error: u.lastError ? { message: u.lastError.message, at: new Date(u.lastError.at).toISOString() } : null,
        }
        if (u.breaker.openUntil > t) s.open_until = new Date(u.breaker.openUntil).toISOString()
        if (u.throttledUntil > t) s.throttled_until = new Date(u.throttledUntil).toISOString()
        return s
      })
    },
  }
}

/** The longest a `Retry-After` keeps an upstream out: the breaker's longest cool-down (upstream-breaker.ts). */
export const MAX_RETRY_AFTER_MS = 60_000

/**
 * Per-attempt timeout when UPSTREAM_ATTEMPT_TIMEOUT_MS is unset: half the call's deadline, so a
 * hung upstream costs at most half of it and a retry elsewhere still gets the other half (an
 * attempt that needs more than half the deadline could not be retried anyway).
 */
export function defaultAttemptTimeoutMs(deadlineMs: number): number {
  return Math.max(1, Math.floor(deadlineMs / 2))
}
