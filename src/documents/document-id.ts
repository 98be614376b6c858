/**
 * @module documents/document-id
 * A document's `id`, as clients send it: a string (Cohere v1 object documents are string-valued,
 * cohere-typescript `RerankDocument = Record<string, string>`; LlamaIndex node ids, LangChain
 * document ids) or an integer (row ids from a database; Jina- and vLLM-style clients built from
 * pydantic models). Nothing else: a fraction, a boolean, an object or an array is a 400 naming
 * `documents[i].id`, because the id is a key (exposures, feedback, ties in the ranking) and
 * `String()` of those would silently collide (`1.0` and `1`, `[1]` and `"1"`).
 *
 * The id is returned unchanged, with the type it was sent with: the response's `document` is the
 * object as sent (rerank/build-response.ts). Only the pipeline's internal key is a string.
 */
import { z } from 'zod'
import { isStorableText } from '../lib/stored-text'

/** Longer than a UUID, a URL-safe hash or a database key; short enough to log and key by. */
export const MAX_DOCUMENT_ID_CHARS = 256

export type DocumentId = string | number

const ID_ERROR = `expected a string of at most ${MAX_DOCUMENT_ID_CHARS} characters of well-formed Unicode, or an integer`

/**
 * `z.number().int()` is zod 4's safe-integer check (±(2^53 − 1)): a larger integer is not the
 * same number once parsed as a double, so it could not be returned unchanged. A lone surrogate is
 * refused (lib/stored-text.ts): an experiment's exposure stores the id in D1, which would keep
 * U+FFFD, so feedback naming the id as served could never match it.
 */
export const documentIdSchema = z.union([z.string().max(MAX_DOCUMENT_ID_CHARS, { error: ID_ERROR }).refine(isStorableText, { error: ID_ERROR }), z.number().int()], { error: ID_ERROR })

/**
 * The same rule as a predicate, for ids that name a served document (feedback's `clicks`, ...):
 * there the id cannot be empty, since an empty `documents[i].id` is no id (`documentIdKey`).
 */
export function isDocumentId(v: unknown): v is DocumentId {
  if (typeof v === 'number') return Number.isSafeInteger(v)
  return typeof v === 'string' && v.length >= 1 && v.length <= MAX_DOCUMENT_ID_CHARS && isStorableText(v)
}

/**
 * The pipeline's key for an id: `7` and `"7"` name the same document, as they would in a URL or a
 * CSV of feedback. An empty string is no id (undefined), as an empty `user` is no unit id: the
 * document is then named by its index, which feedback can send (it refuses an empty id).
 */
export function documentIdKey(id: DocumentId): string | undefined {
  if (typeof id === 'number') return String(id)
  return id === '' ? undefined : id
}
