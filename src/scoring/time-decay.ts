/**
 * @module scoring/time-decay
 * The time component of fusion: how fresh a document is, in [0, 1], from its `published_at` and the
 * request's `now` (an argument: the function reads no clock, so a fixed `now` replays exactly).
 * Never cache its output: it changes as time passes.
 *
 * Rules:
 *  - age = max(0, now − published_at) in days. A date in the future (clock skew, scheduled posts)
 *    counts as age 0, i.e. as fresh as possible, never above 1.
 *  - `exponential`: score = 0.5 ^ (age / half_life_days): 1 at age 0, 0.5 after one half-life, → 0.
 *  - `step`: score = the `factor` of the last step whose `after_days` ≤ age, 1 before the first step
 *    ("after 30 days × 0.8"). Factors are absolute, not multiplied together, and must not increase
 *    with `after_days`, so the score is monotone non-increasing in age.
 *  - No (or an unparsable) `published_at`: score = `missing`, default 0.5. Why 0.5: an undated
 *    document is neither known-fresh (1) nor known-stale (0); 0.5 is the neutral midpoint (for the
 *    exponential kind, exactly the score of a document one half-life old), so a missing date neither
 *    lets a document escape decay nor buries it. Operators who distrust undated content set 0.
 */
import { z } from 'zod'
import { parseIsoDate } from '../documents/iso-date'

export const MS_PER_DAY = 86_400_000

const missingSchema = z
  .number({ error: 'expected a number between 0 and 1' })
  .min(0, { error: 'expected a number between 0 and 1' })
  .max(1, { error: 'expected a number between 0 and 1' })
  .default(0.5)

/**
 * Longest accepted span, days (about 2,700 years): past any document's age, and small enough that
 * every age ÷ half-life stays a finite number.
 */
const MAX_DAYS = 1_000_000

const daysSchema = z
  .number({ error: `expected a number of days between 0 and ${MAX_DAYS}` })
  .finite({ error: `expected a number of days between 0 and ${MAX_DAYS}` })
  .min(0, { error: `expected a number of days between 0 and ${MAX_DAYS}` })
  .max(MAX_DAYS, { error: `expected a number of days between 0 and ${MAX_DAYS}` })

const factorSchema = z
  .number({ error: 'expected a factor between 0 and 1' })
  .min(0, { error: 'expected a factor between 0 and 1' })
  .max(1, { error: 'expected a factor between 0 and 1' })

const timeStepSchema = z.strictObject({ after_days: daysSchema, factor: factorSchema })

const exponentialSchema = z.strictObject({
  kind: z.literal('exponential'),
  half_life_days: z
    .number({ error: `expected a half-life in days > 0 and ≤ ${MAX_DAYS}` })
    .finite({ error: `expected a half-life in days > 0 and ≤ ${MAX_DAYS}` })
    .positive({ error: `expected a half-life in days > 0 and ≤ ${MAX_DAYS}` })
    .max(MAX_DAYS, { error: `expected a half-life in days > 0 and ≤ ${MAX_DAYS}` }),
  missing: missingSchema,
})

/** `step` accepts one step inline (`after_days`, `factor`) or a `steps` list; it is normalised to `steps`. */
const stepSchema = z
  .strictObject({
    kind: z.literal('step'),
    after_days: daysSchema.optional(),
    factor: factorSchema.optional(),
    steps: z.array(timeStepSchema).min(1).max(32).optional(),
    missing: missingSchema,
  })
  .superRefine((v, ctx) => {
    const inline = v.after_days !== undefined || v.factor !== undefined
    if (inline && v.steps !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give either "after_days" + "factor" or "steps", not both' })
      return
    }
    if (inline && (v.after_days === undefined || v.factor === undefined)) {
      const missing = v.after_days === undefined ? 'after_days' : 'factor'
      ctx.addIssue({ code: 'custom', path: [missing], message: `expected "${missing}" together with "${missing === 'factor' ? 'after_days' : 'factor'}"` })
      return
    }
    if (!inline && v.steps === undefined) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'expected "steps": [{ "after_days", "factor" }, …] or "after_days" + "factor"' })
      return
    }
    const steps = sortSteps(v.steps ?? [])
    for (let i = 1; i < steps.length; i++) {
      const prev = steps[i - 1]
      const cur = steps[i]
      if (prev !== undefined && cur !== undefined && cur.factor > prev.factor) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps'],
          message: `expected factors that do not increase with age: after ${cur.after_days} days the factor ${cur.factor} exceeds ${prev.factor} (after ${prev.after_days} days)`,
        })
        return
      }
    }
  })
  .transform((v) => ({
    kind: 'step' as const,
    steps:
      v.steps !== undefined
        ? sortSteps(v.steps)
        : [{ after_days: v.after_days ?? 0, factor: v.factor ?? 1 }],
    missing: v.missing,
  }))

/** The request's `time_decay` field. */
export const timeDecaySchema = z.discriminatedUnion('kind', [exponentialSchema, stepSchema], {
  error: 'expected { "kind": "exponential", "half_life_days" } or { "kind": "step", "after_days", "factor" } / { "kind": "step", "steps" }',
})

export type TimeDecayInput = z.input<typeof timeDecaySchema>
/** A validated, normalised time-decay config (step configs always carry a sorted `steps` list). */
export type TimeDecay = z.output<typeof timeDecaySchema>

export interface TimeScoreDetail {
  /** In [0, 1]. */
  score: number
  /** Age in days used (0 for future dates); `null` when the document has no usable date. */
  age_days: number | null
  /** Which rule produced the score. */
  rule: 'missing' | 'future' | 'aged'
}

/** Freshness in [0, 1] of a document published at `publishedAt`, seen at `nowMs` (module doc rules). */
export function timeScore(publishedAt: string | undefined, nowMs: number, config: TimeDecay): number {
  return timeScoreDetail(publishedAt, nowMs, config).score
}

/** `timeScore` plus the age and rule, for `explain`. */
export function timeScoreDetail(publishedAt: string | undefined, nowMs: number, config: TimeDecay): TimeScoreDetail {
  const published = publishedAt === undefined ? undefined : parseIsoDate(publishedAt)?.instantMs
  if (published === undefined || !Number.isFinite(nowMs)) {
    return { score: clamp01(config.missing), age_days: null, rule: 'missing' }
  }
  const rawAge = (nowMs - published) / MS_PER_DAY
  const age = rawAge > 0 ? rawAge : 0
  return { score: decayAt(age, config), age_days: age, rule: rawAge < 0 ? 'future' : 'aged' }
}

/** The decay curve itself, for an age in days ≥ 0 (negative ages count as 0). */
export function decayAt(ageDays: number, config: TimeDecay): number {
  const age = ageDays > 0 ? ageDays : 0
  if (config.kind === 'exponential') return clamp01(Math.pow(0.5, age / config.half_life_days))
  let score = 1
  for (const step of config.steps) {
    if (age >= step.after_days) score = Math.min(score, step.factor)
    else break
  }
  return clamp01(score)
}

function sortSteps<T extends { after_days: number; factor: number }>(steps: readonly T[]): T[] {
  // Stable sort: equal after_days keep their given order, then min() in decayAt picks the lower factor.
  return [...steps].sort((a, b) => a.after_days - b.after_days)
}

function clamp01(x: number): number {
  return x > 1 ? 1 : x >= 0 ? x : 0
}
