/**
 * @module routes/feedback
 * `POST /v1/feedback` (scope `feedback`; a sub-app mounted at `/v1/feedback` in app.ts): clicks, graded relevance and conversions on the results
 * of one experimental rerank call, named by its request id (body: experiments/feedback-schema.ts).
 *  - 201 `{ request_id, experiment, variant, recorded: { clicks, grades, conversions } }`;
 *  - 400 naming the field for a bad body, or a document id that was not among the results served;
 *  - 404 on `request_id` when no exposure is stored for it (in this tenant). Exposures are written
 *    just after the response, so feedback sent within milliseconds of it may arrive first: the
 *    message says so, and a retry a moment later succeeds.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { ApiError, fieldErrorToApiError, zodToApiError } from '../errors'
import { getExperiment } from '../experiments/experiment-repo'
import { feedbackWindowViolation } from '../experiments/experiment-rules'
import { getExposure } from '../experiments/exposure-repo'
import { insertFeedback } from '../experiments/feedback-repo'
import { droppedGradeKey, feedbackBodySchema, planFeedback } from '../experiments/feedback-schema'
import { allowOnly } from '../lib/allow-only'
import { readJsonObject } from '../lib/read-json-body'
import { requireScope } from '../middleware/auth'

export const feedbackRoutes = new Hono<AppEnv>()
feedbackRoutes.use('*', requireScope('feedback'))

feedbackRoutes.post('/', async (c) => {
  const config = c.get('config')
  const raw = await readJsonObject(c.req.raw, config.MAX_BODY_BYTES)
  const dropped = droppedGradeKey(raw)
  if (dropped) throw fieldErrorToApiError(dropped)
  const parsed = feedbackBodySchema.safeParse(raw)
  if (!parsed.success) throw zodToApiError(parsed.error)
  const body = parsed.data
  const db = c.env.DB
  if (!db) throw new ApiError('internal_error', 'feedback needs the D1 binding "DB", which this deployment lacks')

  const tenant = c.get('tenant')
  const exposure = await getExposure(db, tenant, body.request_id)
  if (!exposure) {
    throw new ApiError(
      'not_found',
      `request_id: no exposure is recorded for request ${JSON.stringify(body.request_id)}. Feedback applies to rerank calls ` +
        'made inside a running experiment with a unit id ("experiment" and "user"); their exposure is stored just after ' +
        'the response, so if the call was made a moment ago, retry shortly',
      { field: 'request_id' }
    )
  }
  const experiment = await getExperiment(db, tenant, exposure.experiment_id)
  const closed = experiment ? feedbackWindowViolation(experiment, c.get('startedAt')) : undefined
  if (closed) throw new ApiError('conflict', closed.message, { field: closed.field })
  const plan = planFeedback(body, exposure.ranked_ids, exposure.ranked_total)
  if (!plan.ok) throw new ApiError('invalid_request', plan.message, { field: plan.field })
  await insertFeedback(db, tenant, exposure, plan.rows, new Date(c.get('startedAt')).toISOString())

  const count = (kind: string) => plan.rows.filter((r) => r.kind === kind).length
  return c.json(
    {
      request_id: exposure.request_id,
      experiment: exposure.experiment_id,
      variant: exposure.variant_key,
      recorded: { clicks: count('click'), grades: count('grade'), conversions: count('conversion') },
    },
    201
  )
})
feedbackRoutes.all('/', allowOnly('POST'))
