/**
 * @module upstream-breaker
 * A per-upstream circuit breaker (Nygard, "Release It!", 2nd ed., ch. 5 "Circuit Breaker";
 * the three states as in Envoy's outlier detection and resilience4j's CircuitBreaker):
 *
 *  - `closed`: calls pass. It opens after `failureThreshold` consecutive failures, or when at
 *    least `minSamples` of the last `windowSize` outcomes are known and `failureRate` of them
 *    failed (a flapping upstream that never fails N times in a row still trips).
 *  - `open`: calls are refused until the cool-down ends. Each re-open without a close in between
 *    doubles the cool-down up to `maxCooldownMs` (exponential back-off of the probe itself).
 *  - `half_open`: after the cool-down, exactly one probe call passes; its success closes the
 *    breaker, its failure opens it again. A probe that reports nothing for `probeStaleMs` frees
 *    the slot for another: on Workers the call carrying it may be ended by the runtime (a client
 *    that went away can take its request's work with it) before any outcome is reported, and a
 *    slot held forever would keep the upstream out of this isolate's pool for good.
 *
 * Pure: the clock is an argument (`now`, ms), nothing here reads time or does I/O.
 */

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerPolicy {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number
  /** Outcomes remembered for the failure rate. */
  windowSize: number
  /** Outcomes needed in the window before the rate may trip the breaker. */
  minSamples: number
  /** Share of failures in the window (0–1] that opens the breaker. */
  failureRate: number
  /** First open period, ms. */
  cooldownMs: number
  /** Longest open period after repeated failed probes, ms. */
  maxCooldownMs: number
  /** How long a half-open probe may report nothing before another call may probe, ms. */
  probeStaleMs: number
}

/**
 * 5 consecutive failures: Envoy outlier detection's `consecutive_5xx` default; a 50 % failure rate:
 * resilience4j's `failureRateThreshold` default. The 20-outcome window and the 5 s first cool-down
 * are scaled to a pool of a few GPU servers, where a probe every few seconds costs one batch.
 */
export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 5,
  windowSize: 20,
  minSamples: 10,
  failureRate: 0.5,
  cooldownMs: 5_000,
  maxCooldownMs: 60_000,
  // BACKEND_TIMEOUT_MS's default 15 s, the longest an attempt runs: a live probe has reported by
  // then (upstream-registry.ts raises it with the deadline); a second probe in flight beside a
  // slow first one costs one batch.
  probeStaleMs: 15_000,
}

export class CircuitBreaker {
  private stateValue: BreakerState = 'closed'
  private consecutive = 0
  private readonly window: boolean[] = [] // true = failure
  private openUntilMs = 0
  /** Opens since the breaker was last closed (sets the next cool-down). */
  private trips = 0
  private probing = false
  private probingSince = 0

  constructor(readonly policy: BreakerPolicy = DEFAULT_BREAKER_POLICY) {}

  /** The state as seen at `now`: an open breaker whose cool-down has ended reads `half_open`. */
  state(now: number): BreakerState {
    if (this.stateValue === 'open' && now >= this.openUntilMs) return 'half_open'
    return this.stateValue
  }

  get consecutiveFailures(): number {
    return this.consecutive
  }

  /** When an open breaker will admit a probe (ms); 0 when not open. */
  get openUntil(): number {
    return this.stateValue === 'open' ? this.openUntilMs : 0
  }

  /** Whether a call may be sent now (in half-open: only while no probe is in flight). */
  canPass(now: number): boolean {
    const s = this.state(now)
    return s === 'closed' || (s === 'half_open' && (!this.probing || now - this.probingSince >= this.policy.probeStaleMs))
  }

  /** Call right before sending: in half-open this claims the single probe slot. */
  onSend(now: number): void {
    if (this.state(now) === 'half_open') {
      this.stateValue = 'half_open'
      this.probing = true
      this.probingSince = now
    }
  }

  onSuccess(now: number): void {
    const s = this.state(now)
    if (s === 'half_open') {
      // The probe (or any call that got through) answered: close and forget the past.
      this.stateValue = 'closed'
      this.probing = false
      this.trips = 0
      this.consecutive = 0
      this.window.length = 0
      return
    }
    if (s === 'open') return // a straggler sent before the breaker opened proves little
    this.consecutive = 0
    this.push(false)
  }

  onFailure(now: number): void {
    const s = this.state(now)
    if (s === 'open') return
    this.consecutive++
    if (s === 'half_open') {
      this.probing = false
      this.trip(now)
      return
    }
    this.push(true)
    if (this.consecutive >= this.policy.failureThreshold || this.rateTripped()) this.trip(now)
  }

  /** The call ended with no verdict on the upstream (the client went away): free the probe slot. */
  onNeutral(): void {
    this.probing = false
  }

  private push(failed: boolean): void {
    this.window.push(failed)
    if (this.window.length > this.policy.windowSize) this.window.shift()
  }

  private rateTripped(): boolean {
    if (this.window.length < this.policy.minSamples) return false
    const failures = this.window.reduce((n, f) => n + (f ? 1 : 0), 0)
    return failures / this.window.length >= this.policy.failureRate
  }

  private trip(now: number): void {
    const cooldown = Math.min(this.policy.maxCooldownMs, this.policy.cooldownMs * 2 ** this.trips)
    this.trips++
    this.stateValue = 'open'
    this.openUntilMs = now + cooldown
    this.window.length = 0
  }
}
