/**
 * @module experiment-rules
 * What an update may change, by the experiment's stored status. Pure: takes the stored experiment,
 * the validated update body and the clock; returns the columns to write or why not.
 *
 * Status moves only forward: draft → running → stopped (draft → stopped abandons a draft). A
 * stopped experiment stays stopped: its report is final; testing again is a new experiment.
 *
 * Once an experiment has left draft, its assignment inputs are frozen, because changing any of them
 * moves units that were already exposed to another arm (GrowthBook's bucket ranges,
 * packages/sdk-js/src/util.ts `getBucketRanges`, start at the cumulative weights and the bucket is
 * hash(seed + unit)), so one unit's exposures and feedback would be split over two arms:
 *  - `variants` (their number, order, keys or weights; and an arm's instruction or template,
 *    which would mix two treatments under one arm);
 *  - `seed` and `hash_version` (every unit is rehashed).
 * `coverage` may change while running: ranges keep their starts and shrink or grow in proportion
 * to the weights, so a unit never moves between arms; it only enters or leaves the experiment,
 * equally likely from every arm.
 */
import { canonicalJson } from '../templates/fingerprint'
import { withoutPins } from './arm-templates'
import type { ExperimentChanges, ExperimentRecord } from './experiment-schema'
import type { ExperimentStatus, ExperimentUpdate } from './experiment-schema'

export interface RuleViolation {
  field: string
  message: string
}

const ALLOWED_MOVES: Record<ExperimentStatus, readonly ExperimentStatus[]> = {
  draft: ['running', 'stopped'],
  running: ['stopped'],
  stopped: [],
}

function moveRefusal(from: ExperimentStatus, to: ExperimentStatus): string {
  if (from === 'stopped') {
    return `cannot move a stopped experiment to ${to}: its results are final; create a new experiment (new id) to test again`
  }
  return `cannot move a running experiment back to draft: units were already exposed; stop it instead`
}

const FROZEN_REASON: Record<'variants' | 'seed' | 'hash_version', string> = {
  variants:
    'changing the arms or their weights moves units that were already exposed to another arm (it reshuffles users), ' +
    "and changing an arm's instruction or template mixes two treatments under one arm",
  seed: 'changing the seed rehashes every unit and reshuffles users across arms',
  hash_version: 'changing the hash version rehashes every unit and reshuffles users across arms',
}

/**
 * The columns to write for `update` on `current`, or the first rule it breaks (answered 409).
 * Fields sent with their current value are not changes (a client may send the whole object back).
 */
export function planUpdate(
  current: ExperimentRecord,
  update: ExperimentUpdate,
  nowIso: string
): { ok: true; changes: ExperimentChanges } | { ok: false; violation: RuleViolation } {
  const changes: ExperimentChanges = {}

  if (update.status !== undefined && update.status !== current.status) {
    if (!ALLOWED_MOVES[current.status].includes(update.status)) {
      return { ok: false, violation: { field: 'status', message: `status: ${moveRefusal(current.status, update.status)}` } }
    }
    changes.status = update.status
    if (update.status === 'running' && current.started_at === null) changes.started_at = nowIso
    if (update.status === 'stopped') changes.stopped_at = nowIso
  }

  const frozen = current.status !== 'draft'
  // The versions the service pinned at the start are not the client's to change (or to send back).
  if (update.variants !== undefined && canonicalJson(withoutPins(update.variants)) !== canonicalJson(withoutPins(current.variants))) {
    if (frozen) return { ok: false, violation: frozenViolation('variants', current.status) }
    changes.variants = update.variants
  }
  if (update.seed !== undefined && update.seed !== current.seed) {
    if (frozen) return { ok: false, violation: frozenViolation('seed', current.status) }
    changes.seed = update.seed
  }
  if (update.hash_version !== undefined && update.hash_version !== current.hash_version) {
    if (frozen) return { ok: false, violation: frozenViolation('hash_version', current.status) }
    changes.hash_version = update.hash_version
  }

  if (update.name !== undefined && update.name !== current.name) changes.name = update.name
  if (update.description !== undefined && update.description !== current.description) changes.description = update.description
  if (update.coverage !== undefined && update.coverage !== current.coverage) changes.coverage = update.coverage
  return { ok: true, changes }
}

function frozenViolation(field: 'variants' | 'seed' | 'hash_version', status: ExperimentStatus): RuleViolation {
  return {
    field,
    message: `${field}: cannot change once the experiment is ${status}: ${FROZEN_REASON[field]}; create a new experiment instead`,
  }
}

/**
 * How long after an experiment stops its exposures still take feedback: conversions and grades
 * arrive late (a purchase a day after the search), but a report must settle, or "final" means
 * nothing. A week covers the usual attribution windows (Google Ads' view-through default is one
 * day, click-through 30; a search's click or grade comes within minutes).
 */
export const FEEDBACK_AFTER_STOP_DAYS = 7

/** Why feedback for `experiment` is refused at `nowMs`, or undefined when it is accepted. */
export function feedbackWindowViolation(experiment: Pick<ExperimentRecord, 'id' | 'status' | 'stopped_at'>, nowMs: number): RuleViolation | undefined {
  if (experiment.status !== 'stopped' || experiment.stopped_at === null) return undefined
  const closes = Date.parse(experiment.stopped_at) + FEEDBACK_AFTER_STOP_DAYS * 86_400_000
  if (!(nowMs > closes)) return undefined
  return {
    field: 'request_id',
    message: `experiment ${JSON.stringify(experiment.id)} stopped at ${experiment.stopped_at}; feedback is accepted until ${new Date(closes).toISOString()} (${FEEDBACK_AFTER_STOP_DAYS} days after the stop), so that its report is final`,
  }
}
