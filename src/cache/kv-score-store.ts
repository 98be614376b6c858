/**
 * @module kv-score-store
 * The shared edge tier of the score cache: Workers KV, one key per pair, the score as its value.
 *
 * Why KV and not the Cache API (measured in Miniflare: bench/results/cache-tiers.md):
 * - Store operations: KV reads up to 100 keys in one bulk `get` (developers.cloudflare.com/kv/api/
 *   read-key-value-pairs; one operation of the 1,000 a Worker invocation may make), so a
 *   100-candidate call costs 1 read; the Cache API has no bulk match: 100 `match` calls. Locally a
 *   100-key bulk read was also faster than 100 concurrent matches.
 * - Reach and persistence: KV is global and durable for the TTL (it survives a restart of
 *   `npm start`: bench/results/cache-restart.md); the Cache API is one data centre's evictable
 *   cache, so a pair scored in one colo would be scored again in every other.
 * - Costs KV brings, and how they are contained: reads are billed per key ($0.50/M) and writes per
 *   key ($5/M) after the monthly inclusions (developers.cloudflare.com/kv/platform/pricing), and one
 *   key accepts one write per second (developers.cloudflare.com/kv/platform/limits). A pair is
 *   written once, by the one call that scored it (in-isolate single-flight); a concurrent write
 *   from another isolate that KV refuses is counted and ignored (the value would be identical).
 *   KV is eventually consistent (writes reach other locations within about 60 s): a pair scored
 *   elsewhere in the last minute may miss and be scored again, which costs GPU time but can never
 *   return a wrong score, because a key names its inputs exactly.
 * - The Cache API is free, so it could sit between the isolate and KV to save KV read charges on
 *   hot pairs, at 100 lookups per call; the isolate's memory tier already absorbs the hottest
 *   pairs, so it is not used.
 *
 * Values are not batched per request (one KV value holding a whole request's scores): a later
 * call with an overlapping candidate list would then need the exact same list to hit, which is the
 * whole-request cache this design exists to beat. One value per (scope) holding a map of its
 * documents' scores would keep partial hits exact and cost 1 read + 1 write per call, but its
 * read-modify-write loses concurrent updates and runs into the 1 write/s/key limit on hot queries;
 * one value per pair (a 20-byte decimal string and its token cost, `score-value`) has neither problem.
 *
 * Reads keep KV's default edge `cacheTtl` (60 s). Scores never change under a key, so a longer one
 * looks tempting, but it also lengthens how long a location may keep answering from what it last
 * read for a key; if that was a miss (not verified here: local KV has no edge cache), a pair written
 * just after would stay invisible there for as long, and be scored again.
 */
import { decodeStored, encodeStored, isCacheableScore, type StoredScore } from './score-value'
import { emptyStats, type ScoreStore, type StoreStats } from './score-store'

/** KV bulk `get` accepts at most 100 keys (developers.cloudflare.com/kv/api/read-key-value-pairs). */
export const KV_BULK_GET_MAX = 100

/** KV's minimum `expirationTtl` (developers.cloudflare.com/kv/api/write-key-value-pairs). */
export const KV_MIN_TTL_SECONDS = 60

export interface KvScoreStoreOptions {
  ttlSeconds: number
}

export function createKvScoreStore(kv: KVNamespace, options: KvScoreStoreOptions): ScoreStore {
  const stats: StoreStats = emptyStats()
  const expirationTtl = Math.max(KV_MIN_TTL_SECONDS, Math.floor(options.ttlSeconds))
  return {
    name: 'kv',
    stats,
    async getMany(keys) {
      const found = new Map<string, StoredScore>()
      const chunks: string[][] = []
      for (let i = 0; i < keys.length; i += KV_BULK_GET_MAX) chunks.push(keys.slice(i, i + KV_BULK_GET_MAX))
      await Promise.all(
        chunks.map(async (chunk) => {
          stats.readOps++
          let values: Map<string, string | null>
          try {
            values = await kv.get(chunk, 'text')
          } catch {
            stats.readFailures++
            return
          }
          for (const key of chunk) {
            const raw = values.get(key)
            if (raw === null || raw === undefined) continue
            const value = decodeStored(raw)
            if (value === undefined) stats.corrupt++
            else found.set(key, value)
          }
        })
      )
      return found
    },
    async putMany(entries) {
      await Promise.all(
        entries.map(async ([key, value]) => {
          if (!isCacheableScore(value.score)) return
          stats.writeOps++
          try {
            await kv.put(key, encodeStored(value), { expirationTtl })
          } catch {
            stats.writeFailures++
          }
        })
      )
    },
  }
}

/**
 * The edge store for a request, from the `SCORE_CACHE` binding; null when the binding is absent
 * (or is not a KV namespace), in which case the cache runs on the isolate's memory alone.
 */
export function scoreStoreFor(binding: unknown, ttlSeconds: number): ScoreStore | null {
  if (typeof binding !== 'object' || binding === null) return null
  const kv = binding as Partial<KVNamespace>
  if (typeof kv.get !== 'function' || typeof kv.put !== 'function') return null
  return createKvScoreStore(binding as KVNamespace, { ttlSeconds })
}
