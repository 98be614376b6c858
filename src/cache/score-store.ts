/**
 * @module score-store
 * The contract of a shared (cross-isolate) score tier. Implementations are the only cache
 * modules that do I/O (AGENTS.md); `score-with-cache` treats every failure of theirs as a miss.
 * A store keeps one value per scope (`score-bucket`): one read and at most one write per call.
 */
import type { ScoreBucket } from './score-bucket'

/** Operations one store instance issued (a store is created per request, so: per request). */
export interface StoreStats {
  /** Read operations sent (one per scope read). */
  readOps: number
  /** Write operations sent (one per scope written). */
  writeOps: number
  readFailures: number
  writeFailures: number
  /**
   * Writes that joined another call's write waiting for the key's interval (`write-pacer`): their
   * pairs went out in that write, so they are not in `writeOps`.
   */
  writesMerged: number
  /** Stored records (or whole values) that were not valid: ignored, treated as misses. */
  corrupt: number
}

export interface ScoreStore {
  /** Short name for Cache-Status detail and logs. */
  readonly name: string
  readonly stats: StoreStats
  /**
   * The live pairs stored under `key` (an empty bucket when there are none), or undefined when the
   * store could not be read (counted in `stats.readFailures`). Never throws.
   */
  readBucket(key: string, nowSec: number): Promise<ScoreBucket | undefined>
  /**
   * Replaces the value under `key` (possibly later, merged with other writes of the key: a store
   * may pace its writes); resolves once it was sent. A failure is counted in
   * `stats.writeFailures`, never thrown.
   */
  writeBucket(key: string, bucket: ScoreBucket, nowSec: number): Promise<void>
}

export function emptyStats(): StoreStats {
  return { readOps: 0, writeOps: 0, readFailures: 0, writeFailures: 0, writesMerged: 0, corrupt: 0 }
}
