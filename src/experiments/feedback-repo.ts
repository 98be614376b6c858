/**
 * @module feedback-repo
 * D1 I/O for `feedback` (migrations/0003_experiments_by_tenant.sql). One POST's rows are written in
 * one `batch`, which D1 runs as a single transaction: all of them or none.
 * D1 binds at most 100 parameters per statement, so each row is its own statement.
 */
import type { StoredExposure } from './exposure-repo'
import type { FeedbackRow } from './feedback-schema'

export async function insertFeedback(
  db: D1Database,
  tenant: string,
  exposure: StoredExposure,
  rows: readonly FeedbackRow[],
  nowIso: string
): Promise<void> {
  if (rows.length === 0) return
  const statement = db.prepare(
    `INSERT INTO feedback (tenant, request_id, experiment_id, variant_index, kind, doc_id, rank, grade, value, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`
  )
  await db.batch(
    rows.map((r) =>
      statement.bind(tenant, exposure.request_id, exposure.experiment_id, exposure.variant_index, r.kind, r.docId, r.rank, r.grade, r.value, nowIso)
    )
  )
}
