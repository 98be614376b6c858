/**
 * @module rerank-request
 * The public request body of `POST /v1/rerank`, `/v2/rerank` and `/rerank`: a superset of
 * Cohere v1/v2, Jina and vLLM rerank requests (docs.cohere.com/reference/rerank and the
 * cohere-typescript SDK's `src/serialization/resources/v2/` schemas; Jina's api.jina.ai/v1/rerank;
 * vLLM's `RerankRequest`, `vllm/entrypoints/pooling/score/protocol.py`). Limits come from `Config`,
 * so the schema is built per config (memoised).
 *
 * Unknown top-level fields are ignored, consistently, because peer SDKs send fields we do
 * not use (Cohere `priority`, vLLM `use_activation`, `truncate_prompt_tokens`); each ignored
 * field is reported in `meta.warnings` so that a typo does not pass silently.
 *
 * Optional fields accept `null` and treat it as absent, because real clients put nulls on the
 * wire: cohere-ai 8 serialises every unset optional of `RerankRequest` (e.g.
 * `"max_chunks_per_doc": null` for LangChain's `CohereRerank`), and Jina/vLLM clients built from
 * pydantic models send `"top_n": null`. Cohere's own API accepts these. The nulls are dropped
 * after validation (`withoutNulls`), so the pipeline never sees them.
 */
import { z } from 'zod'
import type { Config } from '../config'
import { documentIdSchema } from '../documents/document-id'
import { parseIsoDate } from '../documents/iso-date'
import { isSingleLine, SINGLE_LINE_ERROR } from '../lib/single-line'
import { isStorableText, STORABLE_TEXT_ERROR } from '../lib/stored-text'
import { foldingOverrideSchema } from '../documents/folding-options'
import { fusionSchema } from '../scoring/fusion'
import { timeDecaySchema } from '../scoring/time-decay'

/**
 * A `fields` value: folded into the text when it is a string, a number or a boolean
 * (documents/fold.ts). Any other JSON value (an object, an array, null) is still accepted, as Cohere
 * v1 keeps every key of an object document ("all other fields will be preserved in the response",
 * cohere-typescript `RerankRequest.documents`): the document is returned as sent, the value is not
 * folded, and meta.warnings says so (rerank/prepare-documents.ts); null says nothing (null means absent).
 */
const fieldValue = z
  .unknown()
  .refine((v) => typeof v !== 'string' || v.length <= 10_000, 'at most 10000 characters')
  .meta({ description: 'Folded when a string (at most 10,000 characters), a number or a boolean; any other JSON value is kept in the returned document, not folded, and named in meta.warnings.' })

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

/** `T` with `null` removed from every property type (optional properties stay optional). */
export type WithoutNulls<T> = { [K in keyof T]: Exclude<T[K], null> }

/** Drops the properties whose value is `null`: the "null means absent" rule above. */
export function withoutNulls<T extends Record<string, unknown>>(value: T): WithoutNulls<T> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = v
  return out as WithoutNulls<T>
}

/** The document keys this service reads (the rest are the caller's, kept as sent). */
const DOCUMENT_KEYS = ['text', 'id', 'published_at', 'source', 'fields'] as const

/** `value` without the listed keys whose value is `null`; every other key kept, null or not. */
function withoutNullsOf<T extends Record<string, unknown>, K extends keyof T>(value: T, keys: readonly K[]): Omit<T, K> & WithoutNulls<Pick<T, K>> {
  const out: Record<string, unknown> = { ...value }
  for (const k of keys) if (out[k as string] === null) delete out[k as string]
  return out as Omit<T, K> & WithoutNulls<Pick<T, K>>
}

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

/**
 * Fields peers define that this service does not apply, with what it does instead: said in
 * `meta.warnings` instead of "unknown field" (Cohere v2 `priority`, cohere-typescript
 * `V2RerankRequest`; vLLM's `RerankRequest` fields, vllm/entrypoints/pooling/score/protocol.py,
 * and those it inherits from `PoolingBasicRequestMixin`, vllm/entrypoints/pooling/base/protocol.py:
 * `padding`, `truncation_side`, `cache_salt`).
 */
export const PEER_FIELDS_IGNORED: Readonly<Record<string, string>> = {
  priority: 'priority ignored: calls are served in arrival order',
  truncate_prompt_tokens: 'truncate_prompt_tokens ignored: each document is cut to fit the model context here (meta.truncated_documents counts them)',
  use_activation: 'use_activation ignored: relevance_score is always the model probability in [0, 1]',
  softmax: 'softmax ignored: relevance_score is always the model probability in [0, 1]',
  activation: 'activation ignored: relevance_score is always the model probability in [0, 1]',
  mm_processor_kwargs: 'mm_processor_kwargs ignored: the model reads text only',
  request_id: 'request_id ignored: send your id in the X-Request-Id header (it comes back as X-Client-Request-Id; README "Request ids")',
  padding: 'padding ignored: each pair is sent as the model reads it, unpadded',
  truncation_side: 'truncation_side ignored: a document too long for the model context keeps its first tokens and its folded metadata (meta.truncated_documents counts them)',
  // vLLM salts its prefix cache with it to keep users apart; the score cache here is partitioned otherwise.
  cache_salt: 'cache_salt ignored: the score cache is partitioned by tenant, and by the X-Cache-Namespace header when sent (README "The score cache")',
}

/** Variables one call may pass to a template (a template declares a handful). */
export const MAX_TEMPLATE_VARS = 64

/**
 * Fixed limits of the body's scalar fields (the configurable ones come from Config). Shared with
 * schemas/rerank-body-fast-path.ts, which must accept no more than this schema does.
 */
export const BODY_LIMITS = {
  /** `model`: longer than any model name a peer sends. */
  modelChars: 256,
  /** `template` and `experiment` ids. */
  idChars: 128,
  /** `user`: an experiment unit id (X-Rerank-User's limit too). */
  userChars: 256,
  /** `max_tokens_per_doc`: far above any model's context (Qwen3-Reranker: 32k). */
  maxTokensPerDoc: 1_000_000,
} as const

function buildSchema(config: Config, nullAsAbsent: boolean) {
  // The validator takes null for every optional field; the documented variant (GET /openapi.json)
  // states the fields' real types and says in its description that null means absent, because
  // `anyOf [T, null]` for every field would bury the limits in the reference.
  const opt = <T extends z.ZodType>(schema: T) => (nullAsAbsent ? schema.nullish() : schema.optional()) as z.ZodOptional<z.ZodNullable<T>>
  const documentObject = z
    .object({
      text: opt(z.string().max(config.MAX_DOCUMENT_CHARS, `at most ${config.MAX_DOCUMENT_CHARS} characters`)),
      id: opt(documentIdSchema),
      published_at: opt(isoDate),
      source: opt(z.string().max(256)),
      // A field's name is written into the document line the model reads (documents/fold.ts).
      fields: opt(z.record(z.string().min(1).max(64).refine(isSingleLine, SINGLE_LINE_ERROR), fieldValue)),
    })
    .catchall(z.unknown())

  const document = z.union([
    z.string().max(config.MAX_DOCUMENT_CHARS, `at most ${config.MAX_DOCUMENT_CHARS} characters`),
    // Null means absent for this service's own keys only; any other key is the caller's and is
    // returned as sent, null included (Cohere v1: "all other fields will be preserved").
    documentObject.transform((d) => withoutNullsOf(d, DOCUMENT_KEYS)),
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
    model: opt(z.string().max(BODY_LIMITS.modelChars)),
    // A negative top_n is a 400, as on Cohere, whose reference gives top_n a minimum of 1
    // (docs.cohere.com/reference/rerank; "If not passed, all the rerank results will be returned").
    // vLLM instead returns every result for top_n <= 0 (vllm/entrypoints/openai/serving_score.py,
    // `top_n = request.top_n if request.top_n > 0 else len(documents)`), and its RerankRequest
    // defaults top_n to 0, so clients built from it send 0: 0 is accepted and means "all".
    top_n: opt(z.number().int().min(0, 'must be 0 (all) or more')),
    top_k: opt(z.number().int().min(0, 'must be 0 (all) or more')),
    return_documents: opt(z.boolean()),
    max_tokens_per_doc: opt(z.number().int().min(1).max(BODY_LIMITS.maxTokensPerDoc)),
    max_chunks_per_doc: opt(z.number().int().min(1)),
    rank_fields: opt(z.array(z.string().max(64)).max(64)),
    instruction: opt(
      z.string().max(config.MAX_INSTRUCTION_CHARS, `at most ${config.MAX_INSTRUCTION_CHARS} characters`)
    ),
    template: opt(z.string().max(BODY_LIMITS.idChars)),
    // Bounded: each unknown variable is one error in the 400 (a template has a handful of variables).
    template_vars: opt(
      z.record(z.string().max(64), z.unknown()).refine((v) => Object.keys(v).length <= MAX_TEMPLATE_VARS, `at most ${MAX_TEMPLATE_VARS} variables`)
    ),
    experiment: opt(z.string().max(BODY_LIMITS.idChars)),
    // Stored as an exposure's unit id (D1 TEXT, UTF-8): a lone surrogate would be kept as U+FFFD,
    // merging distinct users in the report (lib/stored-text.ts), so it is refused here, before any write.
    user: opt(z.string().max(BODY_LIMITS.userChars).refine(isStorableText, STORABLE_TEXT_ERROR)),
    time_decay: opt(timeDecaySchema),
    fusion: opt(fusionSchema),
    /** Per-call metadata folding options over the FOLDING config (documents/folding-options.ts). */
    folding: opt(foldingOverrideSchema),
    explain: opt(z.boolean()),
    now: opt(isoDate),
  })
    .transform(withoutNulls)
}

export type RerankBody = z.output<ReturnType<typeof buildSchema>>

const memo = new WeakMap<Config, ReturnType<typeof buildSchema>>()
const docMemo = new WeakMap<Config, z.ZodType>()

/** The validator the rerank routes parse with (nulls accepted as absent). */
export function rerankBodySchema(config: Config): ReturnType<typeof buildSchema> {
  let s = memo.get(config)
  if (!s) {
    s = buildSchema(config, true)
    memo.set(config, s)
  }
  return s
}

/** The same schema for the reference document: the fields' own types, without the nulls. */
export function rerankBodyDocSchema(config: Config): z.ZodType {
  let s = docMemo.get(config)
  if (!s) {
    s = buildSchema(config, false)
    docMemo.set(config, s)
  }
  return s
}
