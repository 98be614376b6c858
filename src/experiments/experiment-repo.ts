/**
 * @module experiment-repo
 * D1 I/O for the `experiments` table (migrations/0003_experiments_by_tenant.sql). Every query is
 * scoped by tenant: one tenant never reads, changes or collides with another tenant's experiment.
 * Validation and the rules about what may change happen before (routes/experiments.ts,
 * experiments/experiment-rules.ts); this module only reads and writes rows.
 */
import type { ExperimentChanges, ExperimentCreate, ExperimentRecord, ExperimentStatus, ExperimentVariant } from './experiment-schema'

// The shapes live with the schemas (pure); re-exported for the callers of this module's functions.
export type { ExperimentChanges, ExperimentRecord } from './experiment-schema'

interface ExperimentRow {
  id: string
  name: string
  description: string
  status: string
  variants: string
  coverage: number
  seed: string | null
  hash_version: number
  version: number
  created_at: string
  updated_at: string
  started_at: string | null
  stopped_at: string | null
}

const COLUMNS =
  'id, name, description, status, variants, coverage, seed, hash_version, version, created_at, updated_at, started_at, stopped_at'

function fromRow(row: ExperimentRow): ExperimentRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status as ExperimentStatus,
    // Written only by this module from schema-validated input (json_valid checked by D1 too).
    variants: JSON.parse(row.variants) as ExperimentVariant[],
    coverage: row.coverage,
    seed: row.seed,
    hash_version: row.hash_version === 1 ? 1 : 2,
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
    started_at: row.started_at,
    stopped_at: row.stopped_at,
  }
}

export async function getExperiment(db: D1Database, tenant: string, id: string): Promise<ExperimentRecord | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM experiments WHERE tenant = ?1 AND id = ?2`)
    .bind(tenant, id)
    .first<ExperimentRow>()
  return row ? fromRow(row) : null
}

export interface ListOptions {
  status?: ExperimentStatus
  /** Keyset pagination: ids strictly after this one (ids are listed in ascending order). */
  after?: string
  limit: number
}

/** Up to `limit` experiments by ascending id, and whether more follow. */
export async function listExperiments(
  db: D1Database,
  tenant: string,
  options: ListOptions
): Promise<{ experiments: ExperimentRecord[]; hasMore: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM experiments
       WHERE tenant = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id > ?3)
       ORDER BY id LIMIT ?4`
    )
    .bind(tenant, options.status ?? null, options.after ?? null, options.limit + 1)
    .all<ExperimentRow>()
  return { experiments: results.slice(0, options.limit).map(fromRow), hasMore: results.length > options.limit }
}

/** Inserts a new experiment; null when the tenant already has one with this id. */
export async function insertExperiment(
  db: D1Database,
  tenant: string,
  body: ExperimentCreate,
  nowIso: string
): Promise<ExperimentRecord | null> {
  const row = await db
    .prepare(
      `INSERT INTO experiments
         (tenant, id, name, description, status, variants, coverage, seed, hash_version, version,
          created_at, updated_at, started_at, stopped_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10, ?11, ?12)
       ON CONFLICT (tenant, id) DO NOTHING
       RETURNING ${COLUMNS}`
    )
    .bind(
      tenant,
      body.id,
      body.name,
      body.description,
      body.status,
      JSON.stringify(body.variants),
      body.coverage,
      body.seed,
      body.hash_version,
      nowIso,
      body.status === 'draft' ? null : nowIso,
      body.status === 'stopped' ? nowIso : null
    )
    .first<ExperimentRow>()
  return row ? fromRow(row) : null
}

/**
 * Applies `changes` if the stored version is still `expectedVersion` (optimistic concurrency:
 * a concurrent edit in between makes this return null), bumping the version.
 */
export async function updateExperiment(
  db: D1Database,
  tenant: string,
  id: string,
  expectedVersion: number,
  changes: ExperimentChanges,
  nowIso: string
): Promise<ExperimentRecord | null> {
  const sets: string[] = []
  const values: unknown[] = []
  for (const [column, value] of Object.entries(changes)) {
    if (value === undefined) continue
    values.push(column === 'variants' ? JSON.stringify(value) : value)
    // Column names come from the ExperimentChanges keys above, never from the caller.
    sets.push(`${column} = ?${values.length + 4}`)
  }
  const row = await db
    .prepare(
      `UPDATE experiments SET ${[...sets, 'updated_at = ?4', 'version = version + 1'].join(', ')}
       WHERE tenant = ?1 AND id = ?2 AND version = ?3
       RETURNING ${COLUMNS}`
    )
    .bind(tenant, id, expectedVersion, nowIso, ...values)
    .first<ExperimentRow>()
  return row ? fromRow(row) : null
}

/** Deletes the experiment unless it has exposures; 'deleted', 'has_exposures' or 'not_found'. */
export async function deleteExperimentIfUnexposed(
  db: D1Database,
  tenant: string,
  id: string
): Promise<'deleted' | 'has_exposures' | 'not_found'> {
  const result = await db
    .prepare(
      `DELETE FROM experiments WHERE tenant = ?1 AND id = ?2
         AND NOT EXISTS (SELECT 1 FROM exposures WHERE tenant = ?1 AND experiment_id = ?2)`
    )
    .bind(tenant, id)
    .run()
  if (result.meta.changes > 0) return 'deleted'
  return (await getExperiment(db, tenant, id)) === null ? 'not_found' : 'has_exposures'
}

export async function countExposures(db: D1Database, tenant: string, id: string): Promise<number> {
  const row = await db
    .prepare('SELECT COUNT(*) AS n FROM exposures WHERE tenant = ?1 AND experiment_id = ?2')
    .bind(tenant, id)
    .first<{ n: number }>()
  return row?.n ?? 0
}
