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
 * No promise crosses calls: on Workers a call waiting (in `waitUntil`) on a promise another
 * request settles has no I/O of its own pending, so the runtime may end its context first
 * ("IoContext dropped queued cross-context actions", seen with `npm start`). A merged call
 * therefore returns at once (the waiting call's own `waitUntil` carries the write), and a deferred
 * one learns that the write in flight was acknowledged by polling a flag on its own timer.
 *
 * No I/O, clock or timer of its own: the caller's `send` does the I/O, and the clock and the
 * timer are injected (services.ts; tests pass their own).
 */

/** KV's per-key write interval (developers.cloudflare.com/kv/platform/limits). */
export const KV_WRITE_INTERVAL_MS = 1000

/** Above this many keys tracked, the ones with nothing pending whose interval has passed are dropped. */
const SWEEP_AT_KEYS = 256

/** How often a deferred write looks whether the write in flight before it was acknowledged. */
export const IN_FLIGHT_POLL_MS = 50

/**
 * A write in flight or waiting this long belongs to a call the runtime has ended (`waitUntil` work
 * is cut 30 s after the response: developers.cloudflare.com/workers/runtime-apis/context/): its
 * key is freed, so that one lost call cannot hold the key's later writes forever, and a deferred
 * write stops waiting on it.
 */
export const STALE_MS = 30_000

/**
 * Most bytes of values held back at once (`sizeOf`): 32 full scopes of 4,096 pairs. A write that
 * would go past it is sent at once instead, as if unpaced (KV may refuse it; it is counted), so a
 * burst over many busy scopes cannot grow the isolate's memory (128 MB) without bound.
 */
export const MAX_WAITING_BYTES = 4 * 1024 * 1024

export interface WritePacerOptions<V> {
  intervalMs?: number
  /** Milliseconds since the epoch (the isolate's clock: services.ts). */
  now: () => number
  /** Resolves after `ms` milliseconds (a timer: services.ts). */
  sleep: (ms: number) => Promise<void>
  /** The bytes a value holds (default 0: unbounded), against `maxWaitingBytes`. */
  sizeOf?: (value: V) => number
  maxWaitingBytes?: number
}

export interface PacedWrite<V> {
  /** Sends a value; must not reject (a failed send is the sender's to count). */
  send: (value: V) => Promise<void>
  /** Combines a value waiting to be sent with a later one for the same key. */
  merge: (older: V, newer: V) => V
}

/**
 * `sent`: sent at once; `deferred`: this call's value will be sent when the interval has passed
 * (merged with later ones); `merged`: joined a deferred write already waiting (its `done` is
 * already settled: the deferred call sends it).
 */
export type PacedOutcome = 'sent' | 'deferred' | 'merged'

interface Waiting<V> {
  value: V
  bytes: number
  /** When it began waiting (ms). */
  since: number
  done: Promise<void>
}

interface Slot<V> {
  /** When the next write of the key may be sent (Infinity while one is in flight). */
  nextAt: number
  /** A write of the key was sent and not yet acknowledged, since `sentAt` (ms). */
  sending: boolean
  sentAt: number
  waiting?: Waiting<V>
}

export class WritePacer<V> {
  readonly #slots = new Map<string, Slot<V>>()
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #sleep: (ms: number) => Promise<void>
  readonly #sizeOf: (value: V) => number
  readonly #maxWaitingBytes: number
  #waitingBytes = 0
  #sweepAt = SWEEP_AT_KEYS

  constructor(options: WritePacerOptions<V>) {
    this.#intervalMs = options.intervalMs ?? KV_WRITE_INTERVAL_MS
    this.#now = options.now
    this.#sleep = options.sleep
    this.#sizeOf = options.sizeOf ?? (() => 0)
    this.#maxWaitingBytes = options.maxWaitingBytes ?? MAX_WAITING_BYTES
  }

  /** Bytes of values held back now. */
  get waitingBytes(): number {
    return this.#waitingBytes
  }

  /** Keys tracked (each with a write in flight, waiting, or sent less than an interval ago). */
  get size(): number {
    return this.#slots.size
  }

  /**
   * Writes `value` under `key` now, or after the key's interval merged with every later value
   * given meanwhile. `done` settles once this call's send (sent, deferred) was acknowledged or
   * failed; a merged value is sent by the call it joined.
   */
  write(key: string, value: V, how: PacedWrite<V>): { outcome: PacedOutcome; done: Promise<void> } {
    let slot = this.#slots.get(key)
    const now = this.#now()
    if (slot !== undefined && ((slot.sending && now - slot.sentAt >= STALE_MS) || (slot.waiting !== undefined && now - slot.waiting.since >= STALE_MS))) {
      this.#release(slot)
      this.#slots.delete(key)
      slot = undefined
    }
    const waiting = slot?.waiting
    if (waiting !== undefined) {
      const merged = how.merge(waiting.value, value)
      const bytes = this.#sizeOf(merged)
      if (this.#waitingBytes - waiting.bytes + bytes <= this.#maxWaitingBytes) {
        waiting.value = merged
        this.#waitingBytes += bytes - waiting.bytes
        waiting.bytes = bytes
        return { outcome: 'merged', done: Promise.resolve() }
      }
      // Over the bound: this value goes now, unpaced (it holds what it was given to write).
      return { outcome: 'sent', done: this.#sendUnpaced(value, how) }
    }
    if (slot === undefined || (!slot.sending && now >= slot.nextAt)) {
      const fresh: Slot<V> = { nextAt: Number.POSITIVE_INFINITY, sending: false, sentAt: now }
      this.#slots.delete(key)
      this.#slots.set(key, fresh)
      this.#sweep()
      return { outcome: 'sent', done: this.#send(fresh, value, how) }
    }
    const bytes = this.#sizeOf(value)
    if (this.#waitingBytes + bytes > this.#maxWaitingBytes) return { outcome: 'sent', done: this.#sendUnpaced(value, how) }
    const owner = slot
    const held: Waiting<V> = { value, bytes, since: now, done: Promise.resolve() }
    this.#waitingBytes += bytes
    held.done = (async () => {
      for (;;) {
        if (this.#now() - held.since >= STALE_MS) break
        if (owner.sending) await this.#sleep(IN_FLIGHT_POLL_MS)
        else {
          const wait = owner.nextAt - this.#now()
          if (wait <= 0) break
          await this.#sleep(wait)
        }
      }
      // Still the key's waiting write (not released as stale meanwhile): it leaves the queue now.
      if (owner.waiting === held) this.#release(owner)
      await this.#send(owner, held.value, how)
    })()
    owner.waiting = held
    return { outcome: 'deferred', done: held.done }
  }

  /** A send outside the key's pacing (the waiting bound was reached); it does not move the key's interval. */
  async #sendUnpaced(value: V, how: PacedWrite<V>): Promise<void> {
    try {
      await how.send(value)
    } catch {
      // As in #send.
    }
  }

  /** Takes the slot's waiting value out of the bytes held (once). */
  #release(slot: Slot<V>): void {
    if (slot.waiting === undefined) return
    this.#waitingBytes -= slot.waiting.bytes
    slot.waiting = undefined
  }

  async #send(slot: Slot<V>, value: V, how: PacedWrite<V>): Promise<void> {
    slot.nextAt = Number.POSITIVE_INFINITY
    slot.sending = true
    slot.sentAt = this.#now()
    try {
      await how.send(value)
    } catch {
      // `send` counts its own failures; one that throws anyway still frees the key.
    }
    slot.nextAt = this.#now() + this.#intervalMs
    slot.sending = false
  }

  /** Drops idle keys once many are tracked (amortised: the threshold doubles with what stays). */
  #sweep(): void {
    if (this.#slots.size <= this.#sweepAt) return
    const now = this.#now()
    for (const [key, slot] of this.#slots) {
      if (!slot.sending && slot.waiting === undefined && now >= slot.nextAt) this.#slots.delete(key)
    }
    this.#sweepAt = Math.max(SWEEP_AT_KEYS, 2 * this.#slots.size)
  }
}
