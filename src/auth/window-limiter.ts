/**
 * @module auth/window-limiter
 * In-isolate fixed-window counters for a key's own, stricter `rate_limit` (the Workers
 * rate-limiting binding has one limit per namespace, fixed in wrangler.toml, so a per-key limit
 * cannot be expressed there). Each isolate counts on its own: across N isolates a key can get up
 * to N times its own limit, while the binding's limit still holds per location. Pure: `now` is
 * passed in.
 */

export interface WindowDecision {
  ok: boolean
  /** Seconds until the current window ends (for Retry-After), at least 1. */
  retryAfterSec: number
  remaining: number
}

interface Window {
  resetAt: number
  count: number
}

export class WindowLimiter {
  readonly #windows = new Map<string, Window>()
  readonly #maxEntries: number

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries
  }

  hit(subject: string, limit: number, periodMs: number, now: number): WindowDecision {
    let w = this.#windows.get(subject)
    if (!w || now >= w.resetAt) {
      if (!w && this.#windows.size >= this.#maxEntries) this.#sweep(now)
      w = { resetAt: now + periodMs, count: 0 }
      this.#windows.set(subject, w)
    }
    const retryAfterSec = Math.max(1, Math.ceil((w.resetAt - now) / 1000))
    if (w.count >= limit) return { ok: false, retryAfterSec, remaining: 0 }
    w.count++
    return { ok: true, retryAfterSec, remaining: limit - w.count }
  }

  #sweep(now: number): void {
    for (const [k, w] of this.#windows) if (now >= w.resetAt) this.#windows.delete(k)
    if (this.#windows.size >= this.#maxEntries) this.#windows.clear()
  }
}
