/**
 * @module routes/experiments
 * The experiments admin API (scope `experiments`), all scoped to the caller's tenant; a sub-app
 * mounted at `/v1/experiments` (app.ts), so its paths here are relative to that:
 *  - `POST   /v1/experiments`             create (201, `Location`); 409 when the id exists
 *  - `GET    /v1/experiments`             list (`?status=`, `?limit=` ≤ 100, `?after=<id>`)
 *  - `GET    /v1/experiments/{id}`        one, with its exposure count
 *  - `PATCH  /v1/experiments/{id}`        update; 409 for a refused move or a frozen field
 *                                          (experiments/experiment-rules.ts), or a stale `version`
 *  - `DELETE /v1/experiments/{id}`        204; 409 while running or once it has exposures
 *  - `GET    /v1/experiments/{id}/report` the report (JSON; `?format=html` for the page), with
 *                                          `?method=welch|sequential`, `?alpha=`, `?tuning=`
 *  - `GET    /v1/experiments/{id}/report.html` the report page
 * Unknown (or malformed) ids are 404. Every write forgets this isolate's cached definition, so the
 * rerank path here serves the change at once (other isolates within 5 s: apply-experiment.ts).
 */
import { Hono, type Context } from 'hono'
import { routePath } from 'hono/route'
import type { AppEnv } from '../app-env'
import type { Config } from '../config'
import { ApiError, badField, fieldErrorToApiError, zodToApiError } from '../errors'
import { armTemplateProblem, armsUseTemplates, pinTemplateVersions } from '../experiments/arm-templates'
import {
  countExposures,
  deleteExperimentIfUnexposed,
  getExperiment,
  insertExperiment,
  listExperiments,
  updateExperiment,
  type ExperimentRecord,
} from '../experiments/experiment-repo'
import { planUpdate } from '../experiments/experiment-rules'
import { experimentCacheKey } from '../experiments/experiment-cache'
import { EXPERIMENT_STATUSES, experimentIdSchema, experimentSchemas, type ExperimentStatus, type ExperimentVariant } from '../experiments/experiment-schema'
import { buildExperimentReport, type ReportMethod } from '../experiments/report'
import { readArmAggregates } from '../experiments/report-repo'
import { allowOnly } from '../lib/allow-only'
import { readJsonObject } from '../lib/read-json-body'
import { requireScope } from '../middleware/auth'
import { templateRegistryLoader } from '../templates/template-source-store'
import { experimentReportPage } from '../ui/experiment-report-page'
import { pageHeaders } from '../ui/html'

type Ctx = Context<AppEnv>

const ONE = '/:id'

export const experimentRoutes = new Hono<AppEnv>()
experimentRoutes.use('*', requireScope('experiments'))

const schemaMemo = new WeakMap<Config, ReturnType<typeof experimentSchemas>>()
function schemas(config: Config): ReturnType<typeof experimentSchemas> {
  let s = schemaMemo.get(config)
  if (!s) {
    s = experimentSchemas({ maxInstructionChars: config.MAX_INSTRUCTION_CHARS })
    schemaMemo.set(config, s)
  }
  return s
}

function database(c: Ctx): D1Database {
  const db = c.env.DB
  if (!db) throw new ApiError('internal_error', 'experiments need the D1 binding "DB", which this deployment lacks')
  return db
}

const nowIso = (c: Ctx) => new Date(c.get('startedAt')).toISOString()

function notFound(id: string): ApiError {
  return new ApiError('not_found', `no experiment ${JSON.stringify(id.slice(0, 128))}`, { field: 'id' })
}

/** The experiment named by the path, or 404 (a malformed id cannot name one). */
async function load(c: Ctx): Promise<{ db: D1Database; experiment: ExperimentRecord }> {
  const id = c.req.param('id') ?? ''
  const db = database(c)
  if (!experimentIdSchema.safeParse(id).success) throw notFound(id)
  const experiment = await getExperiment(db, c.get('tenant'), id)
  if (!experiment) throw notFound(id)
  return { db, experiment }
}

/** A 400 on `variants[i].template…` when an arm names an unknown template or sets a bad variable. */
async function checkArms(c: Ctx, variants: readonly ExperimentVariant[]): Promise<void> {
  if (!armsUseTemplates(variants)) return
  const registry = await templateRegistryLoader(c.get('config'), c.env, c.get('startedAt'), c.var.services.templates)()
  const problem = armTemplateProblem(registry, variants, c.get('config').MAX_INSTRUCTION_CHARS)
  if (problem) throw fieldErrorToApiError(problem)
}

/** The arms of an experiment that starts now, each template arm pinned to its current version. */
async function pinnedArms(c: Ctx, variants: readonly ExperimentVariant[]): Promise<ExperimentVariant[]> {
  if (!armsUseTemplates(variants)) return [...variants]
  const registry = await templateRegistryLoader(c.get('config'), c.env, c.get('startedAt'), c.var.services.templates)()
  return pinTemplateVersions(registry, variants)
}

experimentRoutes.post('/', async (c) => {
  const config = c.get('config')
  const raw = await readJsonObject(c.req.raw, config.MAX_BODY_BYTES)
  const parsed = schemas(config).create.safeParse(raw)
  if (!parsed.success) throw zodToApiError(parsed.error)
  await checkArms(c, parsed.data.variants)
  const body = parsed.data.status === 'draft' ? parsed.data : { ...parsed.data, variants: await pinnedArms(c, parsed.data.variants) }
  const tenant = c.get('tenant')
  const created = await insertExperiment(database(c), tenant, body, nowIso(c))
  if (!created) {
    throw new ApiError('conflict', `id: experiment ${JSON.stringify(parsed.data.id)} already exists; choose another id or PATCH it`, {
      field: 'id',
    })
  }
  // A cached "not found" for this id must not outlive its creation.
  c.var.services.experiments.invalidate(experimentCacheKey(tenant, created.id))
  c.header('Location', `${routePath(c)}/${created.id}`)
  return c.json(created, 201)
})

experimentRoutes.get('/', async (c) => {
  const status = c.req.query('status')
  if (status !== undefined && !(EXPERIMENT_STATUSES as readonly string[]).includes(status)) {
    throw badField('status', `must be one of ${EXPERIMENT_STATUSES.join(', ')}`)
  }
  const limitRaw = c.req.query('limit')
  // Decimal digits only: Number() would also read "0x10", "1e1" and " 5 ".
  const limit = limitRaw === undefined ? 50 : /^\d{1,3}$/u.test(limitRaw) ? Number(limitRaw) : Number.NaN
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badField('limit', 'must be an integer from 1 to 100')
  const after = c.req.query('after')
  const page = await listExperiments(database(c), c.get('tenant'), {
    limit,
    ...(status === undefined ? {} : { status: status as ExperimentStatus }),
    ...(after === undefined ? {} : { after }),
  })
  const last = page.experiments[page.experiments.length - 1]
  return c.json({ data: page.experiments, has_more: page.hasMore, next_after: page.hasMore && last ? last.id : null })
})
experimentRoutes.all('/', allowOnly('GET', 'POST'))

experimentRoutes.get(ONE, async (c) => {
  const { db, experiment } = await load(c)
  return c.json({ ...experiment, exposures: await countExposures(db, c.get('tenant'), experiment.id) })
})

experimentRoutes.patch(ONE, async (c) => {
  const config = c.get('config')
  const raw = await readJsonObject(c.req.raw, config.MAX_BODY_BYTES)
  const parsed = schemas(config).update.safeParse(raw)
  if (!parsed.success) throw zodToApiError(parsed.error)
  const { db, experiment } = await load(c)
  const update = parsed.data
  if (update.version !== undefined && update.version !== experiment.version) {
    throw new ApiError(
      'conflict',
      `version: the experiment changed since version ${update.version} (it is now at version ${experiment.version}); read it again and retry`,
      { field: 'version' }
    )
  }
  const plan = planUpdate(experiment, update, nowIso(c))
  if (!plan.ok) throw new ApiError('conflict', plan.violation.message, { field: plan.violation.field })
  if (Object.keys(plan.changes).length === 0) return c.json(experiment)
  if (plan.changes.variants) await checkArms(c, plan.changes.variants)
  // Starting: each template arm is pinned to the version it starts with.
  if (plan.changes.status === 'running' && experiment.status === 'draft') plan.changes.variants = await pinnedArms(c, plan.changes.variants ?? experiment.variants)
  const tenant = c.get('tenant')
  const updated = await updateExperiment(db, tenant, experiment.id, experiment.version, plan.changes, nowIso(c))
  c.var.services.experiments.invalidate(experimentCacheKey(tenant, experiment.id))
  if (!updated) {
    throw new ApiError('conflict', 'the experiment was changed by another request meanwhile; read it again and retry', {
      field: 'version',
    })
  }
  return c.json(updated)
})

experimentRoutes.delete(ONE, async (c) => {
  const { db, experiment } = await load(c)
  if (experiment.status === 'running') {
    throw new ApiError('conflict', `experiment ${JSON.stringify(experiment.id)} is running: stop it first (PATCH {"status":"stopped"})`, {
      field: 'status',
    })
  }
  const tenant = c.get('tenant')
  const outcome = await deleteExperimentIfUnexposed(db, tenant, experiment.id)
  c.var.services.experiments.invalidate(experimentCacheKey(tenant, experiment.id))
  if (outcome === 'not_found') throw notFound(experiment.id)
  if (outcome === 'has_exposures') {
    const n = await countExposures(db, tenant, experiment.id)
    throw new ApiError(
      'conflict',
      `experiment ${JSON.stringify(experiment.id)} has ${n} exposures: deleting it would lose them, their feedback and its report; it stays stopped instead`,
      { field: 'id' }
    )
  }
  return c.body(null, 204)
})
experimentRoutes.all(ONE, allowOnly('GET', 'PATCH', 'DELETE'))

/** The smallest `alpha` a report takes (a 99.9999 % interval). */
const MIN_ALPHA = 1e-6
/** The largest `tuning` (anticipated sample size) a report takes: a trillion units is already far past any experiment. */
const MAX_TUNING = 1e12

function reportOptions(c: Ctx): { method: ReportMethod; alpha: number; tuning?: number } {
  const methodRaw = c.req.query('method') ?? 'welch'
  if (methodRaw !== 'welch' && methodRaw !== 'sequential') throw badField('method', 'must be "welch" or "sequential"')
  const alphaRaw = c.req.query('alpha')
  const alpha = alphaRaw === undefined ? 0.05 : Number(alphaRaw)
  // Below ~1e-16, 1 − alpha/2 rounds to 1 and every quantile is infinite (null intervals, NaN in the
  // page); no one reports a 1 − 1e-6 interval either.
  if (!(alpha >= MIN_ALPHA && alpha < 0.5)) throw badField('alpha', `must be a number in [${MIN_ALPHA}, 0.5), e.g. 0.05 for 95% intervals`)
  const tuningRaw = c.req.query('tuning')
  if (tuningRaw === undefined) return { method: methodRaw, alpha }
  const tuning = Number(tuningRaw)
  if (!Number.isInteger(tuning) || tuning < 1 || tuning > MAX_TUNING) {
    throw badField('tuning', `must be an integer from 1 to ${MAX_TUNING} (the anticipated total sample size)`)
  }
  return { method: methodRaw, alpha, tuning }
}

async function report(c: Ctx, format: 'json' | 'html') {
  const options = reportOptions(c)
  const { db, experiment } = await load(c)
  const aggregates = await readArmAggregates(db, c.get('tenant'), experiment.id, experiment.variants.length, c.get('config').MAX_SUBREQUESTS)
  const built = buildExperimentReport(experiment, aggregates, { ...options, generatedAt: nowIso(c) })
  c.header('Cache-Control', 'no-store')
  if (format === 'json') return c.json(built)
  const page = await experimentReportPage(built)
  return c.body(page.html, 200, { ...pageHeaders(page), 'Cache-Control': 'no-store' })
}

experimentRoutes.get(`${ONE}/report`, async (c) => {
  const format = c.req.query('format') ?? 'json'
  if (format !== 'json' && format !== 'html') throw badField('format', 'must be "json" or "html"')
  return report(c, format)
})
experimentRoutes.all(`${ONE}/report`, allowOnly('GET', 'HEAD'))
experimentRoutes.get(`${ONE}/report.html`, (c) => report(c, 'html'))
experimentRoutes.all(`${ONE}/report.html`, allowOnly('GET', 'HEAD'))
