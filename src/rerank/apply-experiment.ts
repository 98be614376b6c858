/**
 * @module apply-experiment
 * The experiment step of the rerank pipeline: a call with `experiment` (and a unit id: `user` in
 * the body, else the `X-Rerank-User` header) is assigned an arm (experiments/assign-variant.ts,
 * GrowthBook-compatible), scored under that arm's instruction or template, and, when the unit is
 * in the experiment, recorded as an exposure after the response (`waitUntil`: no added latency).
 *
 * Decisions (also in README "Experiments"):
 *  - Unknown experiment id → 400 on `experiment` (the route exists; a body field names something
 *    unknown, as an unknown `template` does). A malformed id is a 400 on the same field.
 *  - `instruction` or `template` together with `experiment` → 400: the arm decides the instruction.
 *    `template_vars` may come with it: they fill the variables of a template arm that the arm does
 *    not set itself (the arm's own values win); an instruction arm ignores them (with a warning).
 *  - Draft or stopped experiment, no unit id, or a unit outside coverage → the control arm (arm 0),
 *    `in_experiment: false`, and no exposure (GrowthBook's rules; `reason` says which).
 *  - The definition is cached per isolate for 5 s (experiment-cache.ts), so D1 is not read on
 *    every call; a start or stop reaches other isolates within that time. If D1 fails, the last
 *    definition is used for up to 5 minutes, else 503.
 */
import { ApiError, badField } from '../errors'
import { headerTextProblem } from '../lib/header-text'
import { assignVariant, type AssignmentReason } from '../experiments/assign-variant'
import { experimentCacheKey, type ExperimentCache } from '../experiments/experiment-cache'
import { getExperiment, type ExperimentRecord } from '../experiments/experiment-repo'
import { experimentIdSchema, type ExperimentVariant } from '../experiments/experiment-schema'
import { recordExposure, type Exposure } from '../experiments/exposure-repo'
import type { RerankBody } from '../schemas/rerank-request'
import type { RerankResponse } from './build-response'
import type { NormalizedDocument } from '../documents/document'
import type { InstructionInput, ResolvedInstruction } from './resolve-instruction'

export const UNIT_HEADER = 'X-Rerank-User'
const MAX_UNIT_CHARS = 256

export interface ExperimentDeps {
  db: D1Database | undefined
  tenant: string
  /** The isolate's definition cache (5 s, src/services.ts), which the admin routes invalidate. */
  cache: ExperimentCache<ExperimentRecord>
}

/** `meta.experiment`. */
export interface ExperimentMeta {
  id: string
  /** The key of the arm served. */
  variant: string
  variant_index: number
  /** True when the call counts in the experiment (an exposure is recorded). */
  in_experiment: boolean
  /**
   * Why (assign-variant.ts), or why the control arm was served instead of the assigned one:
   * `arm_unavailable` (its template no longer resolves), `arm_template_changed` (its template is
   * no longer the version the experiment started with).
   */
  reason: AssignmentReason | 'arm_unavailable' | 'arm_template_changed'
}

export interface AppliedExperiment {
  meta: ExperimentMeta
  /** The arm's instruction, or template + variables, resolved like a body's. */
  input: InstructionInput
  unitId: string
  warnings: string[]
  /**
   * The control arm, outside the experiment: served instead when the assigned arm's own template
   * or variables no longer resolve (the registry changed under a running experiment), so callers
   * are not answered 400 for a field they never sent, and no exposure mixes in a broken arm.
   */
  control: { meta: ExperimentMeta; input: InstructionInput }
  /** The template version the assigned arm was pinned to when the experiment started (arm-templates.ts). */
  pinnedTemplateVersion?: number | undefined
  /** The arms of the definition served (JSON): the exposure is stored only while they are still the experiment's (exposure-repo.ts). */
  armsJson: string
}

/** The experiment step, or null when the call names no experiment. */
export async function applyExperiment(
  deps: ExperimentDeps | undefined,
  body: RerankBody,
  unitHeader: string | undefined,
  now: number
): Promise<AppliedExperiment | null> {
  if (body.experiment === undefined) return null
  const id = experimentIdSchema.safeParse(body.experiment)
  if (!id.success) throw badField('experiment', id.error.issues[0]?.message ?? 'not an experiment id')
  if (body.instruction !== undefined && body.instruction.trim() !== '') {
    throw badField('instruction', 'not allowed together with "experiment": the experiment arm decides the instruction')
  }
  if (body.template !== undefined) {
    throw badField('template', 'not allowed together with "experiment": the experiment arm decides the template')
  }
  if (unitHeader !== undefined) {
    if (unitHeader.length > MAX_UNIT_CHARS) throw badField(UNIT_HEADER, `at most ${MAX_UNIT_CHARS} characters`)
    // Bytes the runtime could not decode would make distinct units one (lib/header-text.ts).
    const problem = headerTextProblem(unitHeader)
    if (problem !== undefined) throw badField(UNIT_HEADER, `${problem}, or send the unit as the body's "user"`)
  }
  // An empty id is no id (GrowthBook skips an empty hash value): `user: ""` must not hide the
  // header's unit, and no caller's "" may become one shared unit (assign-variant.ts records none).
  const unitId = nonEmpty(body.user) ?? nonEmpty(unitHeader) ?? ''

  const db = deps?.db
  if (!db) throw new ApiError('internal_error', 'experiments need the D1 binding "DB", which this deployment lacks')
  const tenant = deps.tenant
  let experiment: ExperimentRecord | null
  try {
    experiment = await deps.cache.get(experimentCacheKey(tenant, id.data), now, () => getExperiment(db, tenant, id.data))
  } catch (err) {
    throw new ApiError('backend_unavailable', 'the experiment store (D1) is unavailable; try again', { cause: err })
  }
  if (experiment === null) throw badField('experiment', `unknown experiment ${JSON.stringify(id.data)}`)

  const assignment = assignVariant(experiment, unitId)
  const variant = experiment.variants[assignment.variantIndex]
  if (!variant) throw new ApiError('internal_error', `experiment ${experiment.id} has no arm ${assignment.variantIndex}`)

  const warnings: string[] = []
  if (assignment.reason === 'empty_unit') {
    warnings.push(`experiment "${experiment.id}": no unit id ("user" or ${UNIT_HEADER}); served the control arm, recorded no exposure`)
  }
  const input = armInput(variant, body)
  if (variant.template === undefined && body.template_vars !== undefined) {
    warnings.push(`template_vars ignored: arm "${variant.key}" of experiment "${experiment.id}" uses a fixed instruction`)
  }
  const control = experiment.variants[0] ?? variant

  return {
    meta: {
      id: experiment.id,
      variant: variant.key,
      variant_index: assignment.variantIndex,
      in_experiment: assignment.inExperiment,
      reason: assignment.reason,
    },
    input,
    unitId,
    warnings,
    pinnedTemplateVersion: variant.template_version,
    armsJson: JSON.stringify(experiment.variants),
    control: {
      meta: { id: experiment.id, variant: control.key, variant_index: 0, in_experiment: false, reason: 'arm_unavailable' },
      input: armInput(control, body),
    },
  }
}

/** An arm's instruction, or its template with its own variables over the call's. */
function armInput(variant: ExperimentVariant, body: RerankBody): InstructionInput {
  if (variant.template === undefined) return { instruction: variant.instruction }
  const vars = body.template_vars === undefined ? variant.template_vars : { ...body.template_vars, ...(variant.template_vars ?? {}) }
  return vars === undefined ? { template: variant.template } : { template: variant.template, template_vars: vars }
}

/**
 * The instruction an experiment call is scored under: its arm's, unless that arm can no longer be
 * served as the experiment defined it (its template does not resolve any more, or is another
 * version than the one pinned at the start): then the control arm's, outside the experiment (no
 * exposure), with a warning, so callers are not answered 400 for a field they never sent and the
 * report never mixes two treatments under one arm.
 */
export async function resolveArm(
  applied: AppliedExperiment,
  body: RerankBody,
  resolve: (input: InstructionInput) => Promise<ResolvedInstruction>
): Promise<{ applied: AppliedExperiment; resolved: ResolvedInstruction; warning?: string }> {
  let resolved: ResolvedInstruction
  try {
    resolved = await resolve(applied.input)
  } catch (e) {
    if (!armAtFault(e, body)) throw e
    if (applied.meta.variant_index === 0) throw controlUnavailable(applied, e)
    return servedControl(applied, body, resolve, 'arm_unavailable', `arm "${applied.meta.variant}" cannot be served (${(e as Error).message.slice(0, 200)})`)
  }
  const pinned = applied.pinnedTemplateVersion
  if (pinned !== undefined && resolved.template !== undefined && resolved.template.version !== pinned) {
    const why = `arm "${applied.meta.variant}" started with template "${resolved.template.id}" version ${pinned}, which is now version ${resolved.template.version}; start a new experiment to test the new version`
    return servedControl(applied, body, resolve, 'arm_template_changed', why)
  }
  return { applied, resolved }
}

async function servedControl(
  applied: AppliedExperiment,
  body: RerankBody,
  resolve: (input: InstructionInput) => Promise<ResolvedInstruction>,
  reason: 'arm_unavailable' | 'arm_template_changed',
  why: string
): Promise<{ applied: AppliedExperiment; resolved: ResolvedInstruction; warning: string }> {
  const control: AppliedExperiment = { ...applied, meta: { ...applied.control.meta, reason }, input: applied.control.input, pinnedTemplateVersion: undefined }
  try {
    return { applied: control, resolved: await resolve(control.input), warning: `experiment "${applied.meta.id}": ${why}; served the control arm, recorded no exposure` }
  } catch (e) {
    if (armAtFault(e, body)) throw controlUnavailable(applied, e)
    throw e
  }
}

/** The control arm itself cannot be served: the operator's configuration, a 500 that says what to fix. */
function controlUnavailable(applied: AppliedExperiment, e: unknown): ApiError {
  return new ApiError('internal_error', `experiment "${applied.meta.id}": its control arm cannot be served (${(e as Error).message.slice(0, 200)}); fix the template or stop the experiment`)
}

/**
 * Whether `error`, met resolving an experiment arm's instruction, is the arm's fault rather than the
 * caller's: its template is unknown, or a variable the caller did not send is refused (the arm's
 * own value, or a required one the template gained).
 */
export function armAtFault(error: unknown, body: RerankBody): boolean {
  if (!(error instanceof ApiError) || error.status !== 400 || error.field === undefined) return false
  if (error.field === 'template') return true
  const m = /^template_vars\.(.+)$/u.exec(error.field)
  if (m === null) return error.field === 'template_vars' && body.template_vars === undefined
  const name = m[1] as string
  return body.template_vars === undefined || !Object.hasOwn(body.template_vars, name)
}

/**
 * A warning when two documents of an experiment call go by one name in its exposure (the same
 * `id`, or an `id` equal to the index of a document sent without one): feedback names documents,
 * so a click on that name counts once, at the first rank it was served (feedback-schema.ts).
 */
export function sharedNameWarning(documents: readonly NormalizedDocument[]): string | undefined {
  const first = new Map<string, number>()
  for (let i = 0; i < documents.length; i++) {
    const name = documents[i]?.id ?? String(i)
    const seen = first.get(name)
    if (seen !== undefined) {
      return `experiment feedback: documents[${seen}] and documents[${i}] are both named ${JSON.stringify(name.slice(0, 64))} (an id, or the index of a document sent without one), so feedback on that name counts once, at its first rank; give every document a distinct id`
    }
    first.set(name, i)
  }
  return undefined
}

/** The served document ids, rank 1 first: each document's `id`, else its request index. */
export function rankedIds(response: RerankResponse, documents: readonly NormalizedDocument[]): string[] {
  return response.results.map((r) => documents[r.index]?.id ?? String(r.index))
}

/**
 * Schedules the exposure write after the response, for calls in the experiment. The write never
 * fails the call (exposure-repo.ts `recordExposure` retries, then logs the exposure).
 */
export function scheduleExposure(
  deps: ExperimentDeps | undefined,
  applied: AppliedExperiment | null,
  call: {
    requestId: string
    /** The caller's X-Request-Id: stored beside our id for correlation, never as the key. */
    clientRequestId?: string | null | undefined
    response: RerankResponse
    documents: readonly NormalizedDocument[]
    now: number
  },
  waitUntil: (p: Promise<unknown>) => void
): void {
  if (!applied?.meta.in_experiment || !deps) return
  const exposure: Exposure = {
    tenant: deps.tenant,
    requestId: call.requestId,
    clientRequestId: call.clientRequestId ?? null,
    experimentId: applied.meta.id,
    variantKey: applied.meta.variant,
    variantIndex: applied.meta.variant_index,
    unitId: applied.unitId,
    rankedIds: rankedIds(call.response, call.documents),
    createdAt: new Date(call.now).toISOString(),
    armsJson: applied.armsJson,
  }
  waitUntil(recordExposure(deps.db, exposure))
}

function nonEmpty(id: string | null | undefined): string | undefined {
  return id === undefined || id === null || id === '' ? undefined : id
}
