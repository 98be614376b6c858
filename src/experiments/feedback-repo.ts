/**
 * @module feedback-repo
 * D1 I/O for `feedback` (migrations/0003_experiments_by_tenant.sql). One POST's rows (up to 2,001:
 * 1,000 clicks, 1,000 grades and a conversion) travel as JSON parameters expanded by `json_each`
 * in `INSERT … SELECT` statements, each parameter at most MAX_ROWS_JSON_BYTES, all in one `batch`,
 * which D1 runs as a single transaction: all rows or none. A statement per row would leave it to
 * D1 whether each counts against the queries one invocation may make (50 on Free:
 * developers.cloudflare.com/d1/platform/limits/); a multi-row VALUES list could not hold them
 * (100 bound parameters per statement); and one JSON parameter for all of them could pass D1's
 * value limit (1,000 ids of 256 CJK characters are 1.5 MB of JSON, of control characters 3 MB).
 * Rows are inserted in the order given (`ORDER BY key`, statements in order): the latest grade of
 * a document is the one with the highest id.
 */
import { MAX_RANKED_IDS_BYTES } from './stored-ranking'
import type { StoredExposure } from './exposure-repo'
import type { FeedbackRow } from './feedback-schema'

/** UTF-8 bytes of one statement's rows JSON: under D1's 1,000,000-byte value limit, as stored rankings are. */
export const MAX_ROWS_JSON_BYTES = MAX_RANKED_IDS_BYTES

const encoder = new TextEncoder()

/** The rows as JSON arrays of `[kind, doc_id, rank, grade, value]`, cut into parameters of at most `maxBytes`. */
export function rowChunks(rows: readonly FeedbackRow[], maxBytes = MAX_ROWS_JSON_BYTES): string[] {
  const chunks: string[] = []
  let parts: string[] = []
  let bytes = 2 // the brackets
  for (const r of rows) {
    const part = JSON.stringify([r.kind, r.docId, r.rank, r.grade, r.value])
    const size = encoder.encode(part).byteLength
    if (parts.length > 0 && bytes + 1 + size > maxBytes) {
      chunks.push(`[${parts.join(',')}]`)
      parts = []
      bytes = 2
    }
    bytes += size + (parts.length > 0 ? 1 : 0)
    parts.push(part)
  }
  if (parts.length > 0) chunks.push(`[${parts.join(',')}]`)
  return chunks
}

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
     SELECT ?1, ?2, ?3, ?4, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?6
     FROM json_each(?5) ORDER BY key`
  )
  await db.batch(
    rowChunks(rows).map((json) => statement.bind(tenant, exposure.request_id, exposure.experiment_id, exposure.variant_index, json, nowIso))
  )
}
