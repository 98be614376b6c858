/**
 * Helpers shared by the experiment, feedback and report integration tests: JSON calls to the
 * admin API and direct reads of the test D1 database.
 */
import type { ExperimentRecord } from '../../src/experiments/experiment-schema'
import { callWorker, testEnv, type CallOptions } from './helpers'

export interface ErrorBody {
  error?: { code: string; message: string; field?: string }
  request_id?: string
}

export interface JsonReply<T> {
  status: number
  headers: Headers
  /** The success shape T, or the error envelope (checked by the test through `status`). */
  json: T & ErrorBody
  text: string
}

export type ExperimentJson = ExperimentRecord & { exposures?: number }

export async function api<T = ExperimentJson>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<JsonReply<T>> {
  const res = await callWorker(path, body, { ...options, method })
  const text = await res.text()
  let json = {} as T & ErrorBody
  try {
    json = JSON.parse(text) as T & ErrorBody
  } catch {
    // Not JSON (the HTML page): `text` has it.
  }
  return { status: res.status, headers: res.headers, json, text }
}

export const db = (): D1Database => {
  const d = testEnv.DB
  if (!d) throw new Error('test env has no DB binding')
  return d
}

export async function exposureRows(experimentId: string, tenant = 'public') {
  const { results } = await db()
    .prepare('SELECT * FROM exposures WHERE tenant = ?1 AND experiment_id = ?2 ORDER BY created_at, request_id')
    .bind(tenant, experimentId)
    .all<{ request_id: string; variant_key: string; variant_index: number; unit_id: string; ranked_ids: string }>()
  return results
}

/** Creates an experiment through the API and optionally starts it; throws on a non-2xx. */
export async function createExperiment(body: Record<string, unknown>, start = true, options: CallOptions = {}) {
  const created = await api('POST', '/v1/experiments', body, options)
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`)
  if (!start) return created.json
  const started = await api('PATCH', `/v1/experiments/${String(body.id)}`, { status: 'running' }, options)
  if (started.status !== 200) throw new Error(`start failed: ${started.status} ${started.text}`)
  return started.json
}

export const twoArms = (a = 'Prefer official documentation pages', b = 'Prefer community forum answers') => [
  { key: 'control', weight: 0.5, instruction: a },
  { key: 'treatment', weight: 0.5, instruction: b },
]

/** One exposure of the `public` tenant written straight to D1 (arm 0, `control`), for rankings no rerank call is needed to serve. */
export async function seedExposure(requestId: string, experimentId: string, rankedIds: readonly string[], unitId = 'u'): Promise<void> {
  await db()
    .prepare(
      `INSERT INTO exposures (tenant, request_id, experiment_id, variant_key, variant_index, unit_id, ranked_ids, created_at)
       VALUES ('public', ?1, ?2, 'control', 0, ?3, ?4, '2026-11-01T00:00:00.000Z')`
    )
    .bind(requestId, experimentId, unitId, JSON.stringify(rankedIds))
    .run()
}
