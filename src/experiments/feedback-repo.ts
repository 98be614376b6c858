/**
 * @module feedback-repo
 * D1 I/O for `feedback` (migrations/0003_experiments_by_tenant.sql). One POST's rows are written in
 * one `batch`, which D1 runs as a single transaction: all of them or none.
 * One statement however many rows (up to 2,001: 1,000 clicks, 1,000 grades and a conversion):
 * the rows travel as one JSON parameter expanded by `json_each`. A statement per row in a batch
 * would leave it to D1 whether each counts against the queries one invocation may make (50 on
 * Free: developers.cloudflare.com/d1/platform/limits/), and D1 binds at most 100 parameters per
 * statement, so a multi-row VALUES list could not hold them either. Rows are inserted in the
 * order given (`ORDER BY key`): the latest grade of a document is the one with the highest id.
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
  const data = JSON.stringify(rows.map((r) => [r.kind, r.docId, r.rank, r.grade, r.value]))
  await db
    .prepare(
      `INSERT INTO feedback (tenant, request_id, experiment_id, variant_index, kind, doc_id, rank, grade, value, created_at)
       SELECT ?1, ?2, ?3, ?4, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?6
       FROM json_each(?5) ORDER BY key`
    )
    .bind(tenant, exposure.request_id, exposure.experiment_id, exposure.variant_index, data, nowIso)
    .run()
}
