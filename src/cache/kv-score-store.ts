/**
 * @module kv-score-store
 * The shared edge tier of the score cache: Workers KV, one key per scope (tenant namespace, model,
 * revision, prompt format, instruction, query, budget) holding the binary records of every pair
 * scored under it (`score-bucket`).
 *
 * Why KV and not the Cache API (measured in Miniflare: bench/results/cache-tiers.md):
 * - Reach and persistence: KV is global and durable for the TTL (it survives a restart of
 *   `npm start`: bench/results/cache-restart.md); the Cache API is one data centre's evictable
 *   cache, so a pair scored in one colo would be scored again in every other.
 * - The isolate's memory tier already absorbs the hottest pairs, so a free Cache API layer between
 *   it and KV would save little.
 *
 * Why one key per scope (it was one key per pair until 2026-12-03; those `s1:` keys are no longer
 * read and expire with their TTL): KV bills and limits per key
 * (developers.cloudflare.com/kv/platform/limits, /pricing): the free plan allows 1,000 writes and
 * 100,000 key reads a day, the paid one bills $5 per million writes and $0.50 per million keys
 * read, and an invocation may make 1,000 operations. Per pair, one 1,000-candidate miss issued
 * 900 writes (capped to stay under the operation limit) and a cached call read 1,000 keys; per
 * scope it is one read and one write. What that gives up is in `score-bucket`: concurrent writers
 * of one scope in different isolates keep only the last one's additions, and one key takes one
 * write per second; a lost or refused write costs GPU time later, never a wrong score. Within an
 * isolate, reads and writes include what it wrote in the last minute (`recent-writes`), and its
 * writes of one key are paced to one a second, the ones in between merged (`write-pacer`).
 *
 * KV is eventually consistent (writes reach other locations within about 60 s): a pair scored
 * elsewhere in the last minute may miss and be scored again. Reads keep KV's default edge
 * `cacheTtl` (60 s): a longer one would also lengthen how long a location keeps answering from
 * what it last read for a scope, so pairs written since would stay invisible there for as long.
 */
import type { RecentWrites } from './recent-writes'
import { decodeBucket, encodeBucket, unionBuckets, type ScoreBucket } from './score-bucket'
import { emptyStats, type ScoreStore, type StoreStats } from './score-store'
import type { WritePacer } from './write-pacer'

/** KV's minimum `expirationTtl` (developers.cloudflare.com/kv/api/write-key-value-pairs). */
export const KV_MIN_TTL_SECONDS = 60

export interface KvScoreStoreOptions {
  ttlSeconds: number
  /** This isolate's recent writes, unioned into every read (read-your-writes: `recent-writes`). */
  recent?: RecentWrites | undefined
  /**
   * This isolate's running totals (GET /v1/stats `edge_store`): a write's outcome is known only
   * after the response, so the per-call `stats` cannot report it.
   */
  totals?: StoreStats | undefined
  /**
   * This isolate's pacing of writes per key (`write-pacer`: KV takes one write per second per
   * key); absent: every write is sent at once.
   */
  pacer?: WritePacer<ScoreBucket> | undefined
}

export function createKvScoreStore(kv: KVNamespace, options: KvScoreStoreOptions): ScoreStore {
  const stats: StoreStats = emptyStats()
  const count = (field: keyof StoreStats, n = 1) => {
    stats[field] += n
    if (options.totals) options.totals[field] += n
  }
  // The whole value expires when no call has written it for a TTL; each record also carries its
  // own expiry, which readers check (a bucket rewritten daily would otherwise keep old pairs forever).
  const expirationTtl = Math.max(KV_MIN_TTL_SECONDS, Math.floor(options.ttlSeconds))
  return {
    name: 'kv',
    stats,
    async readBucket(key: string, nowSec: number): Promise<ScoreBucket | undefined> {
      count('readOps')
      let raw: ArrayBuffer | null
      try {
        raw = await kv.get(key, 'arrayBuffer')
      } catch {
        count('readFailures')
        return undefined
      }
      const { bucket, corrupt } = decodeBucket(raw === null ? new Uint8Array(0) : new Uint8Array(raw), nowSec)
      if (corrupt > 0) count('corrupt', corrupt)
      const mine = options.recent?.get(key, nowSec * 1000)
      return mine === undefined ? bucket : unionBuckets(bucket, mine, nowSec)
    },
    async writeBucket(key: string, bucket: ScoreBucket, nowSec: number): Promise<void> {
      // What this isolate wrote under the key since the caller read it stays in (read-your-writes).
      const mine = options.recent?.get(key, nowSec * 1000)
      const value = mine === undefined ? bucket : unionBuckets(mine, bucket, nowSec)
      options.recent?.set(key, value, nowSec * 1000)
      const send = async (v: ScoreBucket) => {
        count('writeOps')
        try {
          await kv.put(key, encodeBucket(v), { expirationTtl })
        } catch {
          // Also a synchronous throw from the binding (a value it refuses at once).
          count('writeFailures')
        }
      }
      if (options.pacer === undefined) return send(value)
      // A value waiting for the key's interval already holds what this isolate wrote before;
      // the later value wins where both hold a pair.
      const paced = options.pacer.write(key, value, { send, merge: (older, newer) => unionBuckets(older, newer, nowSec) })
      if (paced.outcome === 'merged') count('writesMerged')
      return paced.done
    },
  }
}

/**
 * The edge store for a request, from the `SCORE_CACHE` binding; null when the binding is absent
 * (or is not a KV namespace), in which case the cache runs on the isolate's memory alone.
 */
export function scoreStoreFor(binding: unknown, options: KvScoreStoreOptions): ScoreStore | null {
  if (typeof binding !== 'object' || binding === null) return null
  const kv = binding as Partial<KVNamespace>
  if (typeof kv.get !== 'function' || typeof kv.put !== 'function') return null
  return createKvScoreStore(binding as KVNamespace, options)
}
