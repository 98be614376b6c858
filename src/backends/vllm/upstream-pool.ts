/**
 * @module upstream-pool
 * Chooses which vLLM base URL serves each call and survives upstream faults:
 *  - per upstream it tracks outstanding calls, an EWMA of call latency and a circuit breaker
 *    (`upstream-breaker.ts`);
 *  - each call goes to the cheaper of two random available upstreams by
 *    `(outstanding + 1) × latency` (`upstream-choice.ts`);
 *  - an upstream fault (`upstream-retry.ts`: unreachable, reset, 5xx, a broken reply) is retried
 *    with jittered exponential back-off, on a different upstream when one is available, never past
 *    the call's deadline and never more than `maxAttempts` times in all; a reply that says the
 *    upstream is set up wrong (401, 403, 404, 405, 407, 413, a redirect) is booked like a 5xx and
 *    retried only on an upstream the call has not tried; a server error or such a reply a call
 *    meets again on a second upstream is booked against the first only (the request, not the
 *    replicas, is then the likely cause);
 *  - an attempt unanswered after `hedgeAfterMs` is hedged: a copy goes to another available
 *    upstream and the first answer wins, the other is cancelled (vLLM's `/v1/rerank` handler is
 *    wrapped in `with_cancellation`, vllm/entrypoints/utils.py, which aborts the engine request
 *    when its client disconnects, so the loser stops using the GPU). The slow attempt is not cut: a per-attempt timeout that cut and retried
 *    it failed every call slower than the timeout (two 8 s replicas under a 7.5 s cut served none)
 *    and booked those failures against healthy replicas; a hedge costs one more call, only for
 *    calls already late, and books nothing against the slow replica but its latency;
 *  - when no upstream can take a call, or every attempt failed, it throws `NoHealthyUpstreamError`
 *    (503/502/504 by the last fault, or the lexical fallback one level up); with every upstream out
 *    after replies that say it is set up wrong, that reply's fault and message (a 502 naming the 401).
 *
 * One pool lives per isolate and configuration (`upstream-registry.ts`), so its state spans
 * requests. Clock, randomness and sleep are injected so the whole policy is unit-testable.
 */
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from './upstream-breaker'
import { effectiveLatency, loadCost, observeFailure, observeLatency, pickTwoChoices } from './upstream-choice'
import { BackendError } from '../backend-error'
import { available, createUpstream, misconfiguredCause, outstanding, snapshotOf, type Upstream, type UpstreamSnapshot } from './upstream-state'
import type { UpstreamAllowance } from '../subrequest-budget'
import { NoHealthyUpstreamError } from './upstream-errors'
import { classifyFailure, DEFAULT_BACKOFF, planRetry, poisonClass, type BackoffPolicy } from './upstream-retry'

export interface AttemptContext {
  /** Absolute deadline of this attempt (ms): the call's (a slow attempt is hedged, never cut). */
  deadline: number
  /** Aborts when the call no longer needs this attempt: another attempt answered, or the client left. */
  signal: AbortSignal
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

export type { UpstreamSnapshot } from './upstream-state'

export interface UpstreamPool {
  readonly urls: readonly string[]
  call<T>(attempt: (baseUrl: string, ctx: AttemptContext) => Promise<T>, options: CallOptions): Promise<T>
  snapshot(): UpstreamSnapshot[]
}

export interface UpstreamPoolOptions {
  /** Tries per call, first one included. */
  maxAttempts?: number
  /**
   * Hedge delay (ms): an attempt unanswered this long is copied to another available upstream
   * the call has not tried, and the first answer wins; 0: no hedging. No attempt is cut before
   * the call's deadline.
   */
  hedgeAfterMs?: number
  breaker?: Partial<BreakerPolicy>
  backoff?: BackoffPolicy
  /** Time constant with which a stale, worse-than-best latency estimate fades (ms). */
  forgetMs?: number
  /** No retry starts with less than this left on the deadline (ms). */
  minAttemptMs?: number
  now?: () => number
  random?: () => number
  /** A pause; `signal` ends it early (the hedge timer of a call that got its answer). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** One attempt of a call in flight: where it went, when, and how to cancel it. */
interface LiveAttempt<T = unknown> {
  u: Upstream
  t0: number
  /** Sent as the half-open breaker's probe. */
  probe: boolean
  callId: number
  cancel: AbortController
  outcome?: { ok: true; value: T } | { ok: false; error: unknown }
}

/** An upstream (its index) that answered a call with a fault of class `cls` (`poisonClass`). */
type PoisonMet = { at: number; cls: string }

/** Resolves after `ms`, or at once when `signal` aborts (a hedge timer the call no longer needs). */
const sleepFor = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const id = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(id)
        resolve()
      },
      { once: true }
    )
  })

export function createUpstreamPool(urls: readonly string[], options: UpstreamPoolOptions = {}): UpstreamPool {
  const now = options.now ?? (() => Date.now())
  const random = options.random ?? Math.random
  const sleep = options.sleep ?? sleepFor
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3)
  const hedgeAfterMs = options.hedgeAfterMs ?? 0
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  // 10 s: the decay linkerd's peak-EWMA balancer uses (tower `PeakEwma`, DEFAULT_EWMA_DECAY).
  const forgetMs = options.forgetMs ?? 10_000
  const minAttemptMs = options.minAttemptMs ?? 25
  const policy: BreakerPolicy = { ...DEFAULT_BREAKER_POLICY, ...(options.breaker ?? {}) }

  const upstreams: Upstream[] = urls.map((url, index) => createUpstream(url, index, policy))

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

  const noneAvailable = (t: number, reason: string, last?: unknown): NoHealthyUpstreamError => {
    // Nothing tried in this call: every upstream out after saying it is set up wrong is that (502), not "circuit open" (503).
    const cause = last === undefined ? misconfiguredCause(upstreams, t) : undefined
    const why = cause ? `every backend is out of service after answering as misconfigured (last: ${cause.message})` : reason
    return new NoHealthyUpstreamError(`no healthy backend: ${why}`, nextAvailableIn(t), cause?.fault ?? (last instanceof BackendError ? last.fault : undefined))
  }

  /**
   * An attempt that says nothing about its upstream: if it was the half-open probe, the slot is
   * free again. Only then: the breaker has one probe slot, and an attempt sent before the breaker
   * opened (a hedge's beaten original, say) freeing it let a second probe join a live one.
   */
  const neutral = (a: LiveAttempt): void => {
    if (a.probe) a.u.breaker.onNeutral()
  }

  /**
   * Books a failed attempt on its upstream and decides what happens next: the delay before the next attempt (0 while
   * another attempt still runs), or a throw (the error itself, or `NoHealthyUpstreamError` when upstream faults ran out).
   */
  const afterFailure = (a: LiveAttempt, e: unknown, n: number, call: CallOptions, poisonAt: readonly PoisonMet[], tried: ReadonlySet<number>, othersRunning: boolean): number => {
    const { u, t0 } = a
    const t1 = now()
    if (call.signal?.aborted) {
      // The client went away: that says nothing about the upstream.
      neutral(a)
      throw e
    }
    let verdict = classifyFailure(e, call.deadline - t1)
    // A server error (or a 413…: `poisonClass`) the same call already met on another upstream
    // points at the request (a "poison" input that fails on every replica), not at this upstream:
    // still retried, so a call is served when one replica is sick, but not booked again; else one
    // such call would count a failure on every replica it tries, and a few in a row would open
    // every breaker.
    const cls = poisonClass(e)
    const metElsewhere = cls !== undefined && poisonAt.some((p) => p.at !== u.index && p.cls === cls)
    if (verdict.health === 'failure' && metElsewhere) verdict = { ...verdict, health: 'neutral' }
    if (verdict.health === 'failure') {
      u.failures++
      u.lastError = { message: e instanceof Error ? e.message.slice(0, 200) : String(e).slice(0, 200), at: t1, fault: e instanceof BackendError ? e.fault : undefined }
      u.latency = observeFailure(u.latency, t1 - t0, t1, prior())
      u.breaker.onFailure(t1)
    } else if (verdict.health === 'answered') {
      u.latency = observeLatency(u.latency, t1 - t0, t1)
      u.breaker.onSuccess(t1)
    } else {
      neutral(a)
    }
    // Honoured up to MAX_RETRY_AFTER_MS: one reply saying `Retry-After: 86400` (or a far-future
    // date) took its replica out for a day, and with every replica answering so, the pool.
    if (verdict.retryAfterMs !== undefined) u.throttledUntil = Math.max(u.throttledUntil, t1 + Math.min(verdict.retryAfterMs, MAX_RETRY_AFTER_MS))
    // Another attempt of this call (a hedge, or the attempt it copied) may still answer: wait for
    // it, whatever this one met. Even a 4xx: one replica's 401/404 (a key or model rolled out to
    // some replicas only) must not fail a call another is about to answer, and a 4xx the request
    // itself causes (a context too long) comes from the other attempt too, which then ends the call.
    if (othersRunning) return 0
    // Anywhere else to go now, tried or not: only then is waiting out this upstream's Retry-After
    // pointless (the retry waited it out and then went to another replica anyway).
    const otherUpstream = upstreams.some((o) => o.index !== u.index && available(o, t1))
    const delay = planRetry({
      retry: n,
      maxAttempts,
      verdict,
      otherUpstream,
      untriedUpstream: upstreams.some((o) => !tried.has(o.index) && available(o, t1)),
      now: t1,
      deadline: call.deadline,
      minAttemptMs,
      random: random(),
      backoff,
    })
    if (delay !== null) return delay
    // A request the upstream rejected (400, 422) stays what it was. Upstream faults that ran out
    // of attempts, upstreams or time mean the pool as a whole could not serve:
    // `NoHealthyUpstreamError` (so FALLBACK=lexical can answer), which keeps the last fault's status
    // class and message (504 for a timeout, 502 for a broken reply or a 401/404, 503 for capacity).
    if (verdict.retry || verdict.health === 'failure') {
      throw noneAvailable(t1, `every attempt failed (last: ${e instanceof Error ? e.message : String(e)})`, e)
    }
    throw e
  }

  /**
   * A hedge (a second copy of a slow attempt, sent to another upstream): the upstream for it, or
   * undefined when there is none. Only an upstream this call has not tried and that can take a
   * call now qualifies: a copy on the same replica, or on one that just failed it, only adds load.
   */
  const hedgeTarget = (t: number, call: CallOptions, tried: ReadonlySet<number>): Upstream | undefined => {
    if (call.deadline - t < minAttemptMs) return undefined
    if (!upstreams.some((u) => !tried.has(u.index) && available(u, t))) return undefined
    // Taken only once an upstream is there for it: a refused hedge is no error, the first attempt goes on.
    if (call.allowance !== undefined && !call.allowance.take()) return undefined
    return choose(t, tried)
  }

  /** An attempt another one beat, or that its call no longer waits for: cancelled, with no verdict on its upstream. */
  const abandon = (a: LiveAttempt, t: number): void => {
    a.cancel.abort()
    a.u.inFlight.delete(a.callId)
    neutral(a)
    // Still running after the hedge delay: its latency is at least that long, which the estimate
    // should learn (else the slow replica, always beaten, keeps its old fast estimate and keeps
    // being chosen first). A hedge beaten by the attempt it copied says nothing of the kind.
    const elapsed = t - a.t0
    if (hedgeAfterMs > 0 && elapsed >= hedgeAfterMs && (a.u.latency.ewmaMs === null || elapsed > a.u.latency.ewmaMs)) {
      a.u.latency = observeLatency(a.u.latency, elapsed, t)
    }
  }

  return {
    urls,
    async call<T>(attempt: (baseUrl: string, ctx: AttemptContext) => Promise<T>, call: CallOptions): Promise<T> {
      if (upstreams.length === 0) throw new NoHealthyUpstreamError('no healthy backend: none configured')
      const tried = new Set<number>()
      let lastError: unknown
      /** Upstreams that answered this call with a fault a poison request causes too (`poisonClass`). */
      const poisonAt: PoisonMet[] = []
      /** Attempts in flight, oldest first; more than one only while a hedge runs. */
      const live: LiveAttempt<T>[] = []
      let launched = 0
      /** No hedge for this call any more (none was possible when one was due). */
      let hedgeBlocked = false
      let wake: (() => void) | undefined

      const launch = (u: Upstream, t0: number): void => {
        if (live.length > 0) u.hedges++
        tried.add(u.index)
        launched++
        const probe = u.breaker.state(t0) === 'half_open'
        u.breaker.onSend(t0)
        u.requests++
        const callId = ++callSeq
        u.inFlight.set(callId, call.deadline)
        const cancel = new AbortController()
        const signal = call.signal ? AbortSignal.any([call.signal, cancel.signal]) : cancel.signal
        const a: LiveAttempt<T> = { u, t0, probe, callId, cancel }
        live.push(a)
        let p: Promise<T>
        try {
          p = attempt(u.url, { deadline: call.deadline, upstream: u.id, signal })
        } catch (e) {
          p = Promise.reject(e)
        }
        p.then(
          (value) => {
            a.outcome = { ok: true, value }
            wake?.()
          },
          (error: unknown) => {
            a.outcome = { ok: false, error }
            wake?.()
          }
        )
      }

      try {
        for (;;) {
          if (live.length === 0) {
            if (call.allowance !== undefined && !call.allowance.take()) throw call.allowance.spent()
            const t0 = now()
            const u = choose(t0, tried)
            if (!u) {
              const why =
                lastError instanceof Error ? `every backend failed or is unavailable (last: ${lastError.message})` : 'every backend is out of service (circuit open or throttled)'
              throw noneAvailable(t0, why, lastError)
            }
            launch(u, t0)
          }
          if (!live.some((a) => a.outcome)) {
            // Wait for an outcome, or until the newest attempt has run `hedgeAfterMs` unanswered.
            const newest = live[live.length - 1]
            const hedgeIn = hedgeAfterMs > 0 && !hedgeBlocked && launched < maxAttempts && newest ? Math.max(0, newest.t0 + hedgeAfterMs - now()) : undefined
            const timer = new AbortController()
            let hedgeDue = false
            await new Promise<void>((resolve) => {
              wake = resolve
              if (hedgeIn !== undefined) {
                void sleep(hedgeIn, timer.signal).then(() => {
                  hedgeDue = true
                  resolve()
                })
              }
            })
            wake = undefined
            timer.abort()
            if (hedgeDue && !live.some((a) => a.outcome)) {
              const t = now()
              const u = hedgeTarget(t, call, tried)
              if (u) launch(u, t)
              else hedgeBlocked = true
              continue
            }
          }
          // Outcomes in launch order; an answer wins, a failure is booked and the rest waited for.
          let delay: number | undefined
          for (const a of [...live]) {
            const outcome = a.outcome
            if (!outcome) continue
            live.splice(live.indexOf(a), 1)
            a.u.inFlight.delete(a.callId)
            if (outcome.ok) {
              const t1 = now()
              // A successful probe starts the estimate afresh: the old one measured failures.
              a.u.latency = observeLatency(a.probe ? { ewmaMs: null, at: t1 } : a.u.latency, t1 - a.t0, t1)
              a.u.breaker.onSuccess(t1)
              return outcome.value
            }
            lastError = outcome.error
            try {
              // With another attempt still running, a failure only waits for it (the client gone
              // ends the call at once).
              delay = afterFailure(a, outcome.error, launched - 1, call, poisonAt, tried, live.length > 0)
            } finally {
              const cls = poisonClass(outcome.error)
              if (cls !== undefined) poisonAt.push({ at: a.u.index, cls })
            }
          }
          if (live.length === 0 && delay !== undefined && delay > 0) await sleep(delay)
        }
      } finally {
        const t = now()
        for (const a of live) abandon(a, t)
      }
    },

    snapshot(): UpstreamSnapshot[] {
      const t = now()
      return upstreams.map((u) => snapshotOf(u, t))
    },
  }
}

/** The longest a `Retry-After` keeps an upstream out: the breaker's longest cool-down (upstream-breaker.ts). */
export const MAX_RETRY_AFTER_MS = 60_000

/**
 * Hedge delay when UPSTREAM_HEDGE_AFTER_MS is unset: half the call's deadline, so a hung or very
 * slow upstream still leaves the copy half of it, and only calls that are already slow pay for a
 * second copy (Dean & Barroso, "The Tail at Scale", CACM 2013, §"Hedged requests": send the copy
 * only once the first is late, which bounds the extra load).
 */
export function defaultHedgeAfterMs(deadlineMs: number): number {
  return Math.max(1, Math.floor(deadlineMs / 2))
}
