/**
 * @module edge-write
 * The write half of a cached call's edge tier (`score-with-cache.ts`), run after the response
 * (`waitUntil`): the pairs the call scored are merged into the scope's value and written once.
 *
 * Merged into the pairs the call read (the store adds what this isolate wrote since: a stale read
 * cannot drop them); a call that read nothing (`no-cache`) or could not read reads now. A scope
 * that cannot be read is not written: that would drop other calls' pairs.
 */
import { mergeBucket, type ScoreBucket } from './score-bucket'
import { pairDigests } from './score-key'
import type { ScoreStore } from './score-store'
import type { StoredScore } from './score-value'

export interface EdgeWrite {
  store: ScoreStore
  scopeHex: string
  edgeKey: string
  /** The scope's pairs as the call read them (undefined: not read). */
  base: ScoreBucket | undefined
  /** The written pairs' documents, their digests where the lookup derived them, and their values. */
  docs: readonly string[]
  digests: ReadonlyArray<Uint8Array | undefined>
  pairs: readonly StoredScore[]
  expiresAtSec: number
  nowSec: number
}

export async function writeScoredPairs(w: EdgeWrite): Promise<void> {
  try {
    // The digests of pairs never looked up there (no-cache) are derived here, off the response path.
    const ids = Array.from(w.digests)
    const missing: number[] = []
    for (let i = 0; i < ids.length; i++) if (ids[i] === undefined) missing.push(i)
    if (missing.length > 0) {
      const derived = await pairDigests(w.scopeHex, missing.map((i) => w.docs[i] as string))
      missing.forEach((i, j) => {
        ids[i] = derived[j]
      })
    }
    const into = w.base ?? (await w.store.readBucket(w.edgeKey, w.nowSec))
    if (into === undefined) return
    const additions = w.pairs.map((p, i) => [ids[i] as Uint8Array, p] as const)
    await w.store.writeBucket(w.edgeKey, mergeBucket(into, additions, w.expiresAtSec), w.nowSec)
  } catch {
    // A store must count its own failures; one that throws anyway loses only these writes.
  }
}
