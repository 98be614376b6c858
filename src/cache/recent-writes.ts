/**
 * @module recent-writes
 * What this isolate wrote to the edge tier lately, per scope key, so that its own later reads see
 * it (read-your-writes). Pure: a bounded map that takes `now`.
 *
 * Why: KV serves a location what it last read there for up to `cacheTtl` (60 s by default:
 * developers.cloudflare.com/kv/api/read-key-value-pairs), so a call that reads a scope just after
 * this isolate wrote it may get the older value, and its merge-and-write (`score-with-cache`)
 * would then drop the pairs of that first write. The KV store (`kv-score-store`) unions what KV
 * returns with what is kept here. Other isolates' concurrent writes are not covered
 * (`score-bucket` says what that loses).
 */
import type { ScoreBucket } from './score-bucket'

/** As long as a location may serve an older read of a key (KV's default `cacheTtl`). */
export const RECENT_WRITE_MS = 60_000

/** At most this many bytes of records kept (16 full scopes of 4,096 pairs). */
export const RECENT_WRITES_MAX_BYTES = 2 * 1024 * 1024

export class RecentWrites {
  #byKey = new Map<string, { bucket: ScoreBucket; at: number }>()
  #bytes = 0

  constructor(
    readonly maxBytes: number = RECENT_WRITES_MAX_BYTES,
    readonly maxAgeMs: number = RECENT_WRITE_MS
  ) {}

  /** Bytes of records held. */
  get sizeBytes(): number {
    return this.#bytes
  }

  /** The bucket this isolate last wrote under `key`, if that was less than `maxAgeMs` ago. */
  get(key: string, now: number): ScoreBucket | undefined {
    const e = this.#byKey.get(key)
    if (e === undefined) return undefined
    if (now - e.at >= this.maxAgeMs) {
      this.#delete(key)
      return undefined
    }
    return e.bucket
  }

  /** Records a write (replacing an earlier one of the key); the oldest writes go past `maxBytes`. */
  set(key: string, bucket: ScoreBucket, now: number): void {
    this.#delete(key)
    const bytes = bucket.records.byteLength
    if (bytes > this.maxBytes) return
    this.#byKey.set(key, { bucket, at: now })
    this.#bytes += bytes
    // A Map iterates in insertion order, and a rewrite re-inserts: the first entry is the oldest.
    for (const k of this.#byKey.keys()) {
      if (this.#bytes <= this.maxBytes) break
      this.#delete(k)
    }
  }

  #delete(key: string): void {
    const e = this.#byKey.get(key)
    if (e === undefined) return
    this.#byKey.delete(key)
    this.#bytes -= e.bucket.records.byteLength
  }
}
