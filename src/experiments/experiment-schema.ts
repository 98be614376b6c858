/**
 * @module experiment-schema
 * Request bodies of the admin API under `/v1/experiments` (create and update), and the variant
 * shape stored as JSON in D1 `experiments.variants` (migrations/0002_experiments.sql).
 *
 * Every issue carries the path of the field it is about (`variants[1].template`,
 * `variants[0].weight`), which `lib/zod-error.ts` turns into the wire `field`.
 * Weights must sum to 1 within GrowthBook's own tolerance [0.99, 1.01] (growthbook-hash.ts):
 * outside it GrowthBook silently falls back to equal weights, so the API refuses such weights
 * instead of serving a split nobody configured.
 */
import { z } from 'zod'
import { isStorableText, STORABLE_TEXT_ERROR } from '../lib/stored-text'
import { WEIGHT_SUM_MAX, WEIGHT_SUM_MIN } from './growthbook-hash'

/** Default instruction limit, the default of Config `MAX_INSTRUCTION_CHARS`. */
const DEFAULT_MAX_INSTRUCTION_CHARS = 2000
const MIN_VARIANTS = 2
const MAX_VARIANTS = 10

/**
 * Most UTF-8 bytes of the variants as stored (`experiments.variants`, their JSON), the limit named
 * in the message. D1 refuses a string, BLOB or row over its size limit ("Maximum string, BLOB or
 * table row size", developers.cloudflare.com/d1/platform/limits: 1,000,000 bytes in the version we
 * could read, 2 MB in later ones; the smaller kept, as `stored-ranking` does), and the local D1 takes
 * any size. Ten arms of 100,000-character instructions (MAX_INSTRUCTION_CHARS allows that) in CJK
 * are 3 MB: the insert failed, a 500. 100,000 bytes are left for the row's other columns (name and
 * description ≤ 6 KB) and the template versions pinned at the start (arm-templates.ts, ~30 bytes an arm).
 */
export const MAX_STORED_VARIANTS_BYTES = 900_000
const encoder = new TextEncoder()

export const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped'] as const
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number]

const ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/u
const VARIANT_KEY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$/u

/** Experiment id: a URL-safe slug; it is also the default hash seed, so it never changes. */
export const experimentIdSchema = z
  .string({ error: 'required: a string' })
  .regex(
    ID_PATTERN,
    'must be a slug of 1 to 64 lowercase letters, digits or hyphens, starting and ending with a letter or digit'
  )

export interface ExperimentSchemaLimits {
  maxInstructionChars?: number
}

function buildSchemas(limits: ExperimentSchemaLimits = {}) {
  const maxInstruction = limits.maxInstructionChars ?? DEFAULT_MAX_INSTRUCTION_CHARS

  const variant = z
    .strictObject({
      key: z
        .string({ error: 'required: a string' })
        .regex(
          VARIANT_KEY_PATTERN,
          'must be 1 to 64 letters, digits, hyphens or underscores, starting and ending with a letter or digit'
        ),
      weight: z
        .number({ error: 'required: a number between 0 and 1' })
        .min(0, 'must be ≥ 0')
        .max(1, 'must be ≤ 1'),
      instruction: z
        .string({ error: 'must be a string' })
        .trim()
        .min(1, 'must not be empty')
        .max(maxInstruction, `at most ${maxInstruction} characters`)
        .optional(),
      template: z
        .string({ error: 'must be a template id (string)' })
        .min(1, 'must not be empty')
        .max(128, 'at most 128 characters')
        .optional(),
      // Set by the service when the experiment starts (arm-templates.ts `pinTemplateVersions`):
      // the template version the arm is served with. Accepted back, so a client may send a read
      // experiment as it is; what a client sets is replaced at the start.
      template_version: z.number({ error: 'must be a template version (integer ≥ 1)' }).int().min(1).optional(),
      template_vars: z
        .record(
          z.string().max(64, 'variable names have at most 64 characters'),
          // A custom check, not z.union: lib/zod-error.ts words every union failure for documents.
          z.custom<string | number | boolean | string[]>(
            (v) =>
              (typeof v === 'string' && v.length <= 10_000) ||
              (typeof v === 'number' && Number.isFinite(v)) ||
              typeof v === 'boolean' ||
              // Templates declare `string[]` variables too (templates/variables.ts VARIABLE_TYPES).
              (Array.isArray(v) && v.length <= 100 && v.every((x) => typeof x === 'string' && x.length <= 10_000)),
            {
              error:
                'each template variable must be a string (at most 10000 characters), number or boolean, or an array of up to 100 strings',
            }
          ),
          { error: 'must be an object of template variables' }
        )
        // As on a rerank call (schemas/rerank-request.ts MAX_TEMPLATE_VARS): a template has a handful.
        .refine((v) => Object.keys(v).length <= 64, 'at most 64 variables')
        .optional(),
    })
    .superRefine((v, ctx) => {
      const hasInstruction = v.instruction !== undefined
      const hasTemplate = v.template !== undefined
      if (hasInstruction && hasTemplate) {
        ctx.addIssue({
          code: 'custom',
          path: ['template'],
          message: 'give either instruction or template, not both',
        })
      } else if (!hasInstruction && !hasTemplate) {
        ctx.addIssue({
          code: 'custom',
          path: ['instruction'],
          message: 'required: an instruction, or a template (with template_vars)',
        })
      }
      if (v.template_vars !== undefined && !hasTemplate) {
        ctx.addIssue({ code: 'custom', path: ['template_vars'], message: 'only allowed together with template' })
      }
    })

  const variants = z
    .array(variant, { error: 'required: an array of variants' })
    .min(MIN_VARIANTS, `at least ${MIN_VARIANTS} variants (the first one is the control)`)
    .max(MAX_VARIANTS, `at most ${MAX_VARIANTS} variants`)
    .superRefine((list, ctx) => {
      const seen = new Map<string, number>()
      list.forEach((v, i) => {
        const first = seen.get(v.key)
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'key'],
            message: `duplicate variant key "${v.key}" (also variants[${first}].key)`,
          })
        } else seen.set(v.key, i)
      })
      const total = list.reduce((s, v) => s + v.weight, 0)
      if (total < WEIGHT_SUM_MIN || total > WEIGHT_SUM_MAX) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message:
            `the weights must sum to 1 (between ${WEIGHT_SUM_MIN} and ${WEIGHT_SUM_MAX}); ` +
            `they sum to ${Number(total.toFixed(6))}`,
        })
      }
      const bytes = encoder.encode(JSON.stringify(list)).byteLength
      if (bytes > MAX_STORED_VARIANTS_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `too large to store: ${bytes} bytes of JSON (UTF-8); at most ${MAX_STORED_VARIANTS_BYTES} (shorten the instructions or template variables)`,
        })
      }
    })

  // Fields shared by create and update, without defaults: an update must not reset a field it
  // does not mention.
  const fields = {
    name: z
      .string({ error: 'required: a string' })
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'at most 200 characters')
      .refine(isStorableText, STORABLE_TEXT_ERROR),
    description: z.string({ error: 'must be a string' }).max(2000, 'at most 2000 characters').refine(isStorableText, STORABLE_TEXT_ERROR),
    variants,
    coverage: z
      .number({ error: 'must be a number in (0, 1]' })
      .gt(0, 'must be > 0 (to serve the control arm to everyone, stop the experiment)')
      .max(1, 'must be ≤ 1'),
    seed: z
      .string({ error: 'must be a string or null' })
      .min(1, 'must not be empty (use null for the experiment id)')
      .max(128, 'at most 128 characters')
      // Stored in a D1 TEXT column: a lone surrogate would come back as U+FFFD, and every unit be
      // hashed with another seed than the one sent (and than a GrowthBook SDK given it uses).
      .refine(isStorableText, STORABLE_TEXT_ERROR)
      .nullable(),
    hash_version: z.literal([1, 2], { error: 'must be 1 or 2 (GrowthBook hash version)' }),
    status: z.enum(EXPERIMENT_STATUSES, { error: 'must be one of draft, running, stopped' }),
  }

  const create = z.strictObject({
    id: experimentIdSchema,
    name: fields.name,
    description: fields.description.default(''),
    variants: fields.variants,
    coverage: fields.coverage.default(1),
    seed: fields.seed.default(null),
    hash_version: fields.hash_version.default(2),
    status: fields.status.default('draft'),
  })

  const update = z
    .strictObject({
      name: fields.name.optional(),
      description: fields.description.optional(),
      variants: fields.variants.optional(),
      coverage: fields.coverage.optional(),
      seed: fields.seed.optional(),
      hash_version: fields.hash_version.optional(),
      status: fields.status.optional(),
      /** The version the client last read; a different stored version means a concurrent edit (409). */
      version: z
        .number({ error: 'must be an integer ≥ 1' })
        .int('must be an integer ≥ 1')
        .min(1, 'must be an integer ≥ 1')
        .optional(),
    })
    .superRefine((body, ctx) => {
      const changed = Object.entries(body).filter(([k, v]) => k !== 'version' && v !== undefined)
      if (changed.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: 'nothing to update: give at least one field to change',
        })
      }
    })

  return { variant, variants, create, update }
}

type Schemas = ReturnType<typeof buildSchemas>

/** Schemas for a given instruction limit (pass Config.MAX_INSTRUCTION_CHARS). */
export function experimentSchemas(limits: ExperimentSchemaLimits = {}): Schemas {
  return buildSchemas(limits)
}

const defaults = buildSchemas()

/** 2–10 arms with unique keys and weights summing to 1; also parses the stored JSON column. */
export const experimentVariantsSchema: Schemas['variants'] = defaults.variants
/** `POST /v1/experiments` body. */
export const experimentCreateSchema: Schemas['create'] = defaults.create
/** Update body for `/v1/experiments/{id}` (every field optional, at least one). */
export const experimentUpdateSchema: Schemas['update'] = defaults.update

export type ExperimentVariant = z.output<Schemas['variant']>
export type ExperimentCreate = z.output<Schemas['create']>
export type ExperimentUpdate = z.output<Schemas['update']>

/** An experiment as stored and as the admin API returns it. */
export interface ExperimentRecord {
  id: string
  name: string
  description: string
  status: ExperimentStatus
  /** Arm 0 is the control. */
  variants: ExperimentVariant[]
  coverage: number
  seed: string | null
  hash_version: 1 | 2
  version: number
  created_at: string
  updated_at: string
  started_at: string | null
  stopped_at: string | null
}

/** The columns an update may set (already validated and allowed by experiment-rules.ts). */
export interface ExperimentChanges {
  name?: string
  description?: string
  status?: ExperimentStatus
  variants?: ExperimentVariant[]
  coverage?: number
  seed?: string | null
  hash_version?: 1 | 2
  started_at?: string
  stopped_at?: string
}
