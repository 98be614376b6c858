/**
 * @module score-store
 * The contract of a shared (cross-isolate) score tier. Implementations are the only cache
 * modules that do I/O (AGENTS.md); `score-with-cache` treats every failure of theirs as a miss.
 */

/** Operations one store instance issued (a store is created per request, so: per request). */
export interface StoreStats {
  /** Read operations sent (a KV bulk `get` of up to 100 keys is one). */
  readOps: number
  /** Write operations sent (one per pair). */
  writeOps: number
  readFailures: number
  writeFailures: number
  /** Values present but not a valid score (ignored, treated as misses). */
  corrupt: number
}

import type { StoredScore } from './score-value'

export interface ScoreStore {
  /** Short name for Cache-Status detail and logs. */
  readonly name: string
  readonly stats: StoreStats
  /**
   * Scores found for `keys` (absent keys: not found). Must not throw for a partial failure:
   * what could be read is returned and the rest counted in `stats.readFailures`.
   */
  getMany(keys: readonly string[]): Promise<Map<string, StoredScore>>
  /** Stores each score (and its token cost); failures are counted in `stats.writeFailures`, never thrown. */
  putMany(entries: ReadonlyArray<readonly [key: string, value: StoredScore]>): Promise<void>
}

export function emptyStats(): StoreStats {
  return { readOps: 0, writeOps: 0, readFailures: 0, writeFailures: 0, corrupt: 0 }
}
