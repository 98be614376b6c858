/**
 * @module experiment-cache
 * A small per-isolate cache of experiment definitions, so that the rerank path does not read D1 on
 * every call: an entry is served for `ttlMs` (5 s by default), concurrent misses for one key share
 * one load (a burst of calls reads D1 once), and when a reload fails the last value is served for
 * up to `staleIfErrorMs` (RFC 5861's stale-if-error, applied to D1).
 *
 * Consequence, by design: another isolate sees an admin change (start, stop) up to `ttlMs` late.
 * The isolate that made the change sees it at once (the admin routes call `invalidate`).
 * Not-found results are cached too, for the same TTL, so unknown ids do not hammer D1.
 *
 * A shared load is joined for at most `joinLoadMs` (2 s by default; a D1 read takes milliseconds):
 * the call that started it may be ended by the runtime before it settles (a client that went away
 * can take its request's work with it), and a load nobody will settle must not be joined forever;
 * past that age the next call starts its own, and only the newest load stores its result.
 *
 * Pure: the loader and the clock (`now`, ms) are passed in; no timers, no Date.now().
 */

export interface ExperimentCacheOptions {
  ttlMs?: number
  staleIfErrorMs?: number
  maxEntries?: number
  joinLoadMs?: number
}

/** The cache key of one tenant's experiment (the rerank path reads it, the admin routes invalidate it). */
export function experimentCacheKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`
}

const DEFAULT_EXPERIMENT_TTL_MS = 5_000
const DEFAULT_STALE_IF_ERROR_MS = 5 * 60_000
const DEFAULT_MAX_ENTRIES = 1_000
const DEFAULT_JOIN_LOAD_MS = 2_000

interface Entry<T> {
  value: T | null
  loadedAt: number
  hasValue: boolean
  inflight: Promise<T | null> | null
  /** When `inflight` began (ms). */
  inflightAt: number
  /** Bumped per load: only the newest load of the entry stores its result or clears `inflight`. */
  loads: number
}

export class ExperimentCache<T> {
  readonly ttlMs: number
  readonly staleIfErrorMs: number
  readonly maxEntries: number
  readonly joinLoadMs: number
  private readonly entries = new Map<string, Entry<T>>()
  /** Bumped by invalidate(): a load started before it must not store its (older) result. */
  private generation = 0

  constructor(options: ExperimentCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_EXPERIMENT_TTL_MS
    this.staleIfErrorMs = options.staleIfErrorMs ?? DEFAULT_STALE_IF_ERROR_MS
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    this.joinLoadMs = options.joinLoadMs ?? DEFAULT_JOIN_LOAD_MS
  }

  /** The cached value for `key` if fresh at `now`, else the result of `load()` (shared by concurrent callers). */
  async get(key: string, now: number, load: () => Promise<T | null>): Promise<T | null> {
    const entry = this.entries.get(key)
    if (entry?.hasValue && now - entry.loadedAt < this.ttlMs) return entry.value
    if (entry?.inflight && now - entry.inflightAt < this.joinLoadMs) return entry.inflight

    const generation = this.generation
    const slot: Entry<T> = entry ?? { value: null, loadedAt: 0, hasValue: false, inflight: null, inflightAt: 0, loads: 0 }
    const seq = ++slot.loads
    const inflight = (async () => {
      try {
        const value = await load()
        if (generation === this.generation && seq === slot.loads) {
          slot.value = value
          slot.loadedAt = now
          slot.hasValue = true
        }
        return value
      } catch (err) {
        if (slot.hasValue && now - slot.loadedAt < this.staleIfErrorMs) return slot.value
        throw err
      } finally {
        if (seq === slot.loads) slot.inflight = null
      }
    })()
    slot.inflight = inflight
    slot.inflightAt = now
    if (!entry) this.remember(key, slot)
    return inflight
  }

  /** Forget `key` (after an admin write in this isolate), and any load now in flight for it. */
  invalidate(key: string): void {
    this.generation++
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }

  private remember(key: string, entry: Entry<T>): void {
    if (this.entries.size >= this.maxEntries) {
      // Map iteration is insertion order: drop the oldest key.
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, entry)
  }
}
