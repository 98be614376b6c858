/**
 * @module auth/failed-auth-limiter
 * Counts failed authentications per client so that guessing keys is slow: after
 * `maxFailures` failures inside `windowMs`, that client's credentials are not even checked until
 * the window ends (429 with Retry-After), so a correct guess cannot be told apart from a wrong
 * one while it is locked out. Successful calls cost nothing.
 *
 * The client is its address (`CF-Connecting-IP`, set by Cloudflare's edge and not forgeable
 * through it), an IPv6 one counted by its /64 (client-network.ts); requests without one (local
 * `npm start`, tests) share one bucket. Counted per
 * isolate, like the per-key limits (window-limiter.ts): across N isolates a client gets up to N
 * times the budget, still far from the thousands per minute a key search needs.
 *
 * OWASP Authentication Cheat Sheet, "Protect Against Automated Attacks" (account lockout /
 * throttling); RFC 6585 §4 (429) and RFC 9110 §10.2.3 (Retry-After). Pure: `now` is an argument.
 */
import { clientNetwork } from './client-network'

export interface FailedAuthPolicy {
  maxFailures: number
  windowMs: number
}

/** 20 failures a minute: a person mistyping a key never gets there, a key search stalls. */
const DEFAULT_FAILED_AUTH_POLICY: FailedAuthPolicy = { maxFailures: 20, windowMs: 60_000 }

/** Bucket of requests that carry no client address (local runs). */
export const LOCAL_CLIENT = 'local'

interface Window {
  resetAt: number
  failures: number
}

export class FailedAuthLimiter {
  readonly #windows = new Map<string, Window>()

  constructor(
    readonly policy: FailedAuthPolicy = DEFAULT_FAILED_AUTH_POLICY,
    readonly maxEntries = 50_000
  ) {}

  /** Seconds the client must wait before its credentials are checked again; 0 when not locked. */
  lockedFor(client: string, now: number): number {
    const w = this.#windows.get(client)
    if (!w || now >= w.resetAt || w.failures < this.policy.maxFailures) return 0
    return Math.max(1, Math.ceil((w.resetAt - now) / 1000))
  }

  /** Books one failure; returns the failures counted in the current window. */
  fail(client: string, now: number): number {
    let w = this.#windows.get(client)
    if (!w || now >= w.resetAt) {
      if (!w && this.#windows.size >= this.maxEntries) this.#sweep(now)
      w = { resetAt: now + this.policy.windowMs, failures: 0 }
      this.#windows.set(client, w)
    }
    w.failures++
    return w.failures
  }

  /** Forgets every counted failure (an operator's or a test's fresh start). */
  clear(): void {
    this.#windows.clear()
  }

  /**
   * Makes room when full: expired windows first, then clients not locked out (oldest first), and
   * only then the oldest lockouts; down to 90 % of the bound. (Clearing everything, as before,
   * let anyone who could fill the table from enough addresses lift every lockout.)
   */
  #sweep(now: number): void {
    const target = Math.floor(this.maxEntries * 0.9)
    for (const [k, w] of this.#windows) if (now >= w.resetAt) this.#windows.delete(k)
    for (const [k, w] of this.#windows) {
      if (this.#windows.size <= target) return
      if (w.failures < this.policy.maxFailures) this.#windows.delete(k)
    }
    for (const k of this.#windows.keys()) {
      if (this.#windows.size <= target) return
      this.#windows.delete(k)
    }
  }
}

/** The client a request is counted against. */
export function clientOf(connectingIp: string | undefined | null): string {
  const ip = connectingIp?.trim()
  return ip ? `ip:${clientNetwork(ip.slice(0, 64))}` : LOCAL_CLIENT
}
