/**
 * @module exposure-repo
 * D1 I/O for `exposures` (migrations/0003_experiments_by_tenant.sql): one row per rerank call
 * served inside an experiment.
 *
 * The rerank path writes it after the response (`executionCtx.waitUntil`), so the write adds no
 * latency, and through `recordExposure`, which never throws: a failing D1 write must not fail a
 * call that was already answered. It retries transient failures, and if every attempt fails it
 * logs the whole exposure as one structured line (`exposure_write_failed`) so it can be replayed
 * from the logs. `INSERT OR IGNORE` on (tenant, request_id) makes retries and replays idempotent.
 * A row is written only while the stored experiment still has the arms the call was served from;
 * one served from a definition replaced meanwhile is logged (`exposure_discarded`), not stored.
 * `request_id` is our own id (a fresh UUID per call, middleware/request-id.ts), never the caller's
 * `X-Request-Id`: that one is kept in `client_request_id` (migrations/0004), so a caller that
 * reuses its id for many calls still records one exposure per call. `ranked_ids` keeps as much of
 * the ranking as one D1 value holds (stored-ranking.ts; `ranked_total` says how many were served
 * when it keeps fewer: migrations/0005).
 */
import { storedRanking } from './stored-ranking'

export interface Exposure {
  tenant: string
  /** Our id for the call (unique): the key. */
  requestId: string
  /** The caller's own X-Request-Id, if any: correlation only. */
  clientRequestId?: string | null
  experimentId: string
  variantKey: string
  variantIndex: number
  unitId: string
  /** Served document ids, rank 1 first. */
  rankedIds: readonly string[]
  /** ISO-8601, the request's clock. */
  createdAt: string
  /**
   * The arms of the definition the call was served from (`experiments.variants`, JSON). The row is
   * written only while the stored experiment still has these arms: a definition cached for up to
   * 5 s (experiment-cache.ts) may have been deleted and created again with other arms meanwhile.
   */
  armsJson: string
}

export interface StoredExposure {
  request_id: string
  client_request_id: string | null
  experiment_id: string
  variant_key: string
  variant_index: number
  unit_id: string
  /** The served ids kept, rank 1 first: all of them, or the top `ranked_total` did not fit. */
  ranked_ids: string[]
  /** How many ids were served when `ranked_ids` keeps fewer; null: it keeps them all. */
  ranked_total: number | null
  created_at: string
}

/**
 * Inserts the exposure; false when one with this request id already existed, or when the stored
 * experiment is no longer the one the call was served from (gone, a draft, or other arms: it was
 * deleted and created again while another isolate still served its cached definition), since
 * recording it would count one arm's treatment under another's. Throws on D1 errors.
 */
async function insertExposure(db: D1Database, e: Exposure): Promise<'inserted' | 'duplicate' | 'definition_changed'> {
  const ranking = storedRanking(e.rankedIds)
  const result = await db
    .prepare(
      `INSERT OR IGNORE INTO exposures
         (tenant, request_id, experiment_id, variant_key, variant_index, unit_id, ranked_ids, created_at, client_request_id, ranked_total)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
       WHERE EXISTS (SELECT 1 FROM experiments WHERE tenant = ?1 AND id = ?3 AND status <> 'draft' AND json(variants) = json(?11))`
    )
    .bind(
      e.tenant,
      e.requestId,
      e.experimentId,
      e.variantKey,
      e.variantIndex,
      e.unitId,
      ranking.json,
      e.createdAt,
      e.clientRequestId ?? null,
      ranking.kept < e.rankedIds.length ? e.rankedIds.length : null,
      e.armsJson
    )
    .run()
  if (result.meta.changes > 0) return 'inserted'
  // Nothing written: a retry of a write that did land, or a definition that is no longer stored.
  const existing = await db.prepare('SELECT 1 AS one FROM exposures WHERE tenant = ?1 AND request_id = ?2').bind(e.tenant, e.requestId).first()
  return existing === null ? 'definition_changed' : 'duplicate'
}

export interface RecordOptions {
  /** Tries in all, first included. */
  attempts?: number
  /** Waits before the 2nd, 3rd… try, ms. */
  backoffMs?: readonly number[]
  sleep?: (ms: number) => Promise<void>
  log?: (line: string) => void
}

/** A constraint failure (e.g. the experiment was deleted meanwhile) or a value too big will fail again: no retry. */
function isPermanent(err: unknown): boolean {
  return /constraint|SQLITE_CONSTRAINT|SQLITE_TOOBIG|no such table/iu.test(String(err))
}

/**
 * Writes the exposure with retries; resolves in every case (to whether a row was written now),
 * logging the exposure when it could not be stored.
 */
export async function recordExposure(db: D1Database | undefined, e: Exposure, options: RecordOptions = {}): Promise<boolean> {
  const attempts = options.attempts ?? 3
  const backoff = options.backoffMs ?? [50, 250]
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const log = options.log ?? ((line: string) => console.error(line))
  let lastError: unknown = new Error('the D1 binding DB is not configured')
  if (db) {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const outcome = await insertExposure(db, e)
        if (outcome === 'definition_changed') {
          // Not a failure to replay: the call was served from arms the experiment no longer has.
          log(
            JSON.stringify({
              level: 'warn',
              msg: 'exposure_discarded',
              reason: 'the experiment is gone, a draft, or has other arms than the definition the call was served from (cached up to 5 s)',
              tenant: e.tenant,
              request_id: e.requestId,
              experiment_id: e.experimentId,
              variant_key: e.variantKey,
            })
          )
        }
        return outcome === 'inserted'
      } catch (err) {
        lastError = err
        if (isPermanent(err) || attempt === attempts) break
        await sleep(backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 0)
      }
    }
  }
  // The line must fit Workers Logs: 256 KB of log events per invocation
  // (developers.cloudflare.com/changelog/2025-04-07-increase-trace-events-limit); 1,000 ids of
  // 256 characters are about 259 KB, so it carries the top that fits in MAX_LOGGED_RANKING_BYTES.
  const logged = storedRanking(e.rankedIds, MAX_LOGGED_RANKING_BYTES)
  log(
    JSON.stringify({
      level: 'error',
      msg: 'exposure_write_failed',
      error: String(lastError).slice(0, 300),
      exposure: {
        tenant: e.tenant,
        request_id: e.requestId,
        client_request_id: e.clientRequestId ?? null,
        experiment_id: e.experimentId,
        variant_key: e.variantKey,
        variant_index: e.variantIndex,
        unit_id: e.unitId,
        ranked_ids: e.rankedIds.slice(0, logged.kept),
        ranked_total: e.rankedIds.length,
        created_at: e.createdAt,
      },
    })
  )
  return false
}

/** The most bytes of served ids a failed exposure's log line carries (room left for the rest of the invocation's logs). */
export const MAX_LOGGED_RANKING_BYTES = 128_000

export async function getExposure(db: D1Database, tenant: string, requestId: string): Promise<StoredExposure | null> {
  const row = await db
    .prepare(
      `SELECT request_id, client_request_id, experiment_id, variant_key, variant_index, unit_id, ranked_ids, ranked_total, created_at
       FROM exposures WHERE tenant = ?1 AND request_id = ?2`
    )
    .bind(tenant, requestId)
    .first<Omit<StoredExposure, 'ranked_ids'> & { ranked_ids: string }>()
  if (!row) return null
  return { ...row, ranked_ids: JSON.parse(row.ranked_ids) as string[] }
}
