/**
 * @module write-pacer
 * At most one write per key per interval from this isolate: a write that comes sooner is merged
 * with any others that come meanwhile into one trailing write, sent once the interval since the
 * last write of that key has passed.
 *
 * Why: KV takes one write per second per key, on every plan ("Writes to same key: 1 per second",
 * developers.cloudflare.com/kv/platform/limits), and refuses the rest with 429 Too Many Requests.
 * The edge tier keeps one value per scope (`score-bucket`), so every call that adds pairs to a
 * busy query writes the same key. Unpaced, a burst of such calls had all but about one write a
 * second refused, and the pairs of the burst's last calls never reached KV unless this isolate
 * wrote the scope again within the minute it remembers its writes (`recent-writes`). Paced, the
 * burst costs one write at once and one a second later that holds every pair the burst added.
 *
 * The interval runs from the moment KV acknowledged the previous write, not from when it was sent,
 * so two writes of one key never reach KV less than an interval apart from this isolate. Isolates
 * do not coordinate: two of them writing one key within the same second can still collide (KV
 * refuses one; `kv-score-store` counts it in `write_failures`).
 *
 * No I/O, clock or timer of its own: the caller's `send` does the I/O, and the clock and the
 * timer are injected (services.ts; tests pass their own).
 */

/** KV's per-key write interval (developers.cloudflare.com/kv/platform/limits). */
export const KV_WRITE_INTERVAL_MS = 1000

/** Above this many keys tracked, the ones with nothing pending whose interval has passed are dropped. */
const SWEEP_AT_KEYS = 256

export interface WritePacerOptions {
  intervalMs?: number
  /** Milliseconds since the epoch (the isolate's clock: services.ts). */
  now: () => number
  /** Resolves after `ms` milliseconds (a timer: services.ts). */
  sleep: (ms: number) => Promise<void>
}

export interface PacedWrite<V> {
  /** Sends a value; must not reject (a failed send is the sender's to count). */
  send: (value: V) => Promise<void>
  /** Combines a value waiting to be sent with a later one for the same key. */
  merge: (older: V, newer: V) => V
}

/**
 * `sent`: sent at once; `deferred`: this call's value will be sent when the interval has passed
 * (merged with later ones); `merged`: joined a deferred write already waiting.
 */
export type PacedOutcome = 'sent' | 'deferred' | 'merged'

interface Slot<V> {
  /** When the next write of the key may be sent (Infinity while one is in flight). */
  nextAt: number
  inFlight?: Promise<void>
  waiting?: { value: V; done: Promise<void> }
}

export class WritePacer<V> {
  readonly #slots = new Map<string, Slot<V>>()
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #sleep: (ms: number) => Promise<void>
  #sweepAt = SWEEP_AT_KEYS

  constructor(options: WritePacerOptions) {
    this.#intervalMs = options.intervalMs ?? KV_WRITE_INTERVAL_MS
    this.#now = options.now
    this.#sleep = options.sleep
  }

  /** Keys tracked (each with a write in flight, waiting, or sent less than an interval ago). */
  get size(): number {
    return this.#slots.size
  }

  /**
   * Writes `value` under `key` now, or after the key's interval merged with every later value
   * given meanwhile. `done` settles once the value (or the merged one holding it) was sent.
   */
  write(key: string, value: V, how: PacedWrite<V>): { outcome: PacedOutcome; done: Promise<void> } {
    const slot = this.#slots.get(key)
    if (slot?.waiting !== undefined) {
      slot.waiting.value = how.merge(slot.waiting.value, value)
      return { outcome: 'merged', done: slot.waiting.done }
    }
    if (slot === undefined || (slot.inFlight === undefined && this.#now() >= slot.nextAt)) {
      const fresh: Slot<V> = { nextAt: Number.POSITIVE_INFINITY }
      this.#slots.delete(key)
      this.#slots.set(key, fresh)
      this.#sweep()
      return { outcome: 'sent', done: this.#send(fresh, value, how) }
    }
    const waiting: { value: V; done: Promise<void> } = { value, done: Promise.resolve() }
    waiting.done = (async () => {
      if (slot.inFlight !== undefined) await slot.inFlight
      const wait = slot.nextAt - this.#now()
      if (wait > 0) await this.#sleep(wait)
      slot.waiting = undefined
      await this.#send(slot, waiting.value, how)
    })()
    slot.waiting = waiting
    return { outcome: 'deferred', done: waiting.done }
  }

  #send(slot: Slot<V>, value: V, how: PacedWrite<V>): Promise<void> {
    slot.nextAt = Number.POSITIVE_INFINITY
    const sent = (async () => {
      try {
        await how.send(value)
      } catch {
        // `send` counts its own failures; one that throws anyway still frees the key.
      }
      slot.nextAt = this.#now() + this.#intervalMs
      slot.inFlight = undefined
    })()
    slot.inFlight = sent
    return sent
  }

  /** Drops idle keys once many are tracked (amortised: the threshold doubles with what stays). */
  #sweep(): void {
    if (this.#slots.size <= this.#sweepAt) return
    const now = this.#now()
    for (const [key, slot] of this.#slots) {
      if (slot.inFlight === undefined && slot.waiting === undefined && now >= slot.nextAt) this.#slots.delete(key)
    }
    this.#sweepAt = Math.max(SWEEP_AT_KEYS, 2 * this.#slots.size)
  }
}
