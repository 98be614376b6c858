/**
 * @module rerank-request
 * The public request body of `POST /v1/rerank`, `/v2/rerank` and `/rerank`: a superset of
 * Cohere v1/v2, Jina and vLLM rerank requests (shared/notes/interface.md,
 * shared/notes/peers-and-api-conventions.md Appendix A). Limits come from `Config`, so the
 * schema is built per config (memoised).
 *
 * Unknown top-level fields are ignored, consistently, because peer SDKs send fields we do
 * not use (Cohere `priority`, vLLM `use_activation`, `truncate_prompt_tokens`); each ignored
 * field is reported in `meta.warnings` so that a typo does not pass silently.
 */
import { z } from 'zod'
import type { Config } from '../config'
import { parseIsoDate } from '../documents/iso-date'
import { foldingOverrideSchema } from '../rerank/fold-documents'
import { fusionSchema } from '../scoring/fusion'
import { timeDecaySchema } from '../scoring/time-decay'

const fieldValue = z.union([z.string().max(10_000), z.number().finite(), z.boolean()])

/** ISO-8601 date or date-time (e.g. 2024-03-01, 2024-03-01T10:00:00Z). */
export const isoDate = z
  .string()
  .max(64)
  // The strict parser time decay and folding use (documents/iso-date.ts), not Date.parse: what is
  // accepted here is exactly what can be decayed and folded, and no date depends on the host's zone.
  .refine((s) => parseIsoDate(s) !== undefined, {
    message: 'expected an ISO-8601 date such as 2024-03-01 or 2024-03-01T12:00:00Z',
  })
  // Documentation only (GET /openapi.json): the refine above cannot be expressed in JSON Schema,
  // so the document states the accepted forms of documents/iso-date.ts as a pattern.
  .meta({
    description: 'ISO-8601 date or date-time: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]; no offset means UTC; calendar-valid.',
    pattern: '^\\d{4}(?:-\\d{2}(?:-\\d{2}(?:[Tt ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:Z|z|[+-]\\d{2}(?::?\\d{2})?)?)?)?)?$',
    examples: ['2024-03-01', '2024-03-01T12:00:00Z'],
  })

export const KNOWN_FIELDS = [
  'query',
  'documents',
  'model',
  'top_n',
  'top_k',
  'return_documents',
  'max_tokens_per_doc',
  'max_chunks_per_doc',
  'rank_fields',
  'instruction',
  'template',
  'template_vars',
  'experiment',
  'user',
  'time_decay',
  'fusion',
  'explain',
  'now',
  'folding',
] as const

function buildSchema(config: Config) {
  const documentObject = z
    .object({
      text: z.string().max(config.MAX_DOCUMENT_CHARS, `at most ${config.MAX_DOCUMENT_CHARS} characters`).optional(),
      id: z.union([z.string().max(256), z.number().int()]).optional(),
      published_at: isoDate.optional(),
      source: z.string().max(256).optional(),
      fields: z.record(z.string().max(64), fieldValue).optional(),
    })
    .catchall(z.unknown())

  const document = z.union([
    z.string().max(config.MAX_DOCUMENT_CHARS, `at most ${config.MAX_DOCUMENT_CHARS} characters`),
    documentObject,
  ])

  return z.object({
    query: z
      .string({ error: 'required: a string' })
      .min(1, 'must not be empty')
      .max(config.MAX_QUERY_CHARS, `at most ${config.MAX_QUERY_CHARS} characters`),
    documents: z
      .array(document, { error: 'required: an array of strings or {text} objects' })
      .min(1, 'at least 1 document')
      .max(config.MAX_DOCUMENTS, `at most ${config.MAX_DOCUMENTS} documents`),
    model: z.string().max(256).optional(),
    top_n: z.number().int().min(0).optional(),
    top_k: z.number().int().min(0).optional(),
    return_documents: z.boolean().optional(),
    max_tokens_per_doc: z.number().int().min(1).max(1_000_000).optional(),
    max_chunks_per_doc: z.number().int().min(1).optional(),
    rank_fields: z.array(z.string().max(64)).max(64).optional(),
    instruction: z
      .string()
      .max(config.MAX_INSTRUCTION_CHARS, `at most ${config.MAX_INSTRUCTION_CHARS} characters`)
      .optional(),
    template: z.string().max(128).optional(),
    template_vars: z.record(z.string().max(64), z.unknown()).optional(),
    experiment: z.string().max(128).optional(),
    user: z.string().max(256).optional(),
    time_decay: timeDecaySchema.optional(),
    fusion: fusionSchema.optional(),
    /** Per-call metadata folding options over the FOLDING config (rerank/fold-documents.ts). */
    folding: foldingOverrideSchema.optional(),
    explain: z.boolean().optional(),
    now: isoDate.optional(),
  })
}

export type RerankBody = z.output<ReturnType<typeof buildSchema>>

const memo = new WeakMap<Config, ReturnType<typeof buildSchema>>()

export function rerankBodySchema(config: Config): ReturnType<typeof buildSchema> {
  let s = memo.get(config)
  if (!s) {
    s = buildSchema(config)
    memo.set(config, s)
  }
  return s
}
