/**
 * @module schemas/rerank-body-fast-path
 * Validates the common rerank body (a query, plain-string documents, a few scalar options) by
 * hand, and hands everything else to the zod schema of schemas/rerank-request.ts, which stays the
 * contract and the only source of error messages.
 *
 * Why: zod's generic object/union/array walk was 4–7 % of a cached 100-document call's CPU in
 * workerd (a V8 profile of `POST /v1/rerank`, as bench/lib/workerd-profile.ts takes one); this
 * check is a loop over the documents. It only ever *accepts* what the schema accepts, with the same
 * output: fields in the schema's order, nulls dropped (`withoutNulls`), unknown fields left out
 * (zod's default "strip"), a fresh documents array. Whatever it is unsure of (object documents,
 * any non-null structured option, a value at or past a limit it does not check) goes to zod.
 * src/schemas/rerank-body-fast-path.test.ts compares both on fixed and random bodies.
 */
import type { Config } from '../config'
import { BODY_LIMITS, rerankBodySchema, type RerankBody } from './rerank-request'

type Limits = Pick<Config, 'MAX_DOCUMENTS' | 'MAX_DOCUMENT_CHARS' | 'MAX_QUERY_CHARS' | 'MAX_INSTRUCTION_CHARS'>
type Check = (value: unknown, limits: Limits) => boolean

const stringUpTo =
  (max: (l: Limits) => number): Check =>
  (v, l) =>
    typeof v === 'string' && v.length <= max(l)
// z.number().int() is zod 4's "safeint" format: an integer within ±(2^53 − 1).
const intAtLeast =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max
const isBoolean: Check = (v) => typeof v === 'boolean'
/** Structured options (fusion, decay, …): only `null` (absent) takes the fast path. */
const onlyNull: Check = () => false

/**
 * Every optional field of the schema, in the schema's order (zod writes its output in shape order),
 * with the check that accepts a subset of what the schema accepts for a non-null value.
 */
const OPTIONAL: ReadonlyArray<readonly [string, Check]> = [
  ['model', stringUpTo(() => BODY_LIMITS.modelChars)],
  ['top_n', intAtLeast(0)],
  ['top_k', intAtLeast(0)],
  ['return_documents', isBoolean],
  ['max_tokens_per_doc', intAtLeast(1, BODY_LIMITS.maxTokensPerDoc)],
  ['max_chunks_per_doc', intAtLeast(1)],
  ['rank_fields', onlyNull],
  ['instruction', stringUpTo((l) => l.MAX_INSTRUCTION_CHARS)],
  ['template', stringUpTo(() => BODY_LIMITS.idChars)],
  ['template_vars', onlyNull],
  ['experiment', stringUpTo(() => BODY_LIMITS.idChars)],
  ['user', (v, l) => stringUpTo(() => BODY_LIMITS.userChars)(v, l) && (v as string).isWellFormed()],
  ['time_decay', onlyNull],
  ['fusion', onlyNull],
  ['folding', onlyNull],
  ['explain', isBoolean],
  ['now', onlyNull],
]

/** The parsed body when the fast path can vouch for it; undefined: ask the schema. */
export function fastRerankBody(raw: Readonly<Record<string, unknown>>, limits: Limits): RerankBody | undefined {
  const { query, documents } = raw
  if (typeof query !== 'string' || query.length < 1 || query.length > limits.MAX_QUERY_CHARS) return undefined
  if (!Array.isArray(documents) || documents.length < 1 || documents.length > limits.MAX_DOCUMENTS) return undefined
  const docs = new Array<string>(documents.length)
  for (let i = 0; i < documents.length; i++) {
    const d: unknown = documents[i]
    if (typeof d !== 'string' || d.length > limits.MAX_DOCUMENT_CHARS) return undefined
    docs[i] = d
  }
  const out: Record<string, unknown> = { query, documents: docs }
  for (const [key, check] of OPTIONAL) {
    const v = raw[key]
    if (v === undefined || v === null) continue
    if (!check(v, limits)) return undefined
    out[key] = v
  }
  return out as RerankBody
}

export type RerankBodyResult = ReturnType<ReturnType<typeof rerankBodySchema>['safeParse']>

/** `rerankBodySchema(config).safeParse(raw)`, with the common shape checked without zod. */
export function parseRerankBody(config: Config, raw: Readonly<Record<string, unknown>>): RerankBodyResult {
  const fast = fastRerankBody(raw, config)
  if (fast !== undefined) return { success: true, data: fast, error: undefined }
  return rerankBodySchema(config).safeParse(raw)
}
