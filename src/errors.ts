/**
 * @module errors
 * The one place where domain errors become HTTP. Routes and services throw `ApiError`;
 * `toWireError` builds the public envelope `{ error: { code, message, field? }, message, detail,
 * request_id }` (README "Try it"; the OpenAPI `Error` schema in openapi/doc-schemas.ts). Backend bodies are
 * never echoed verbatim: a backend reason is summarised and sanitised before it reaches the wire.
 *
 * The pure core never imports this module: it reports a bad field as a `FieldError` value
 * (lib/zod-error.ts) or throws its own domain error; the HTTP layer (routes/, the rerank pipeline,
 * the I/O modules) turns that into an `ApiError` here, and the one `onError` (app.ts) writes it.
 */
import type { z } from 'zod'
import { firstZodFieldError, type FieldError } from './lib/zod-error'

export type ErrorCode =
  | 'invalid_request' // 400: a field is wrong (named in `field`)
  | 'invalid_json' // 400: the body is not JSON
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'method_not_allowed' // 405
  | 'request_timeout' // 408: the request body did not arrive in time
  | 'conflict' // 409
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'rate_limited' // 429
  | 'internal_error' // 500: a bug, or a configuration the operator must fix (the message names it)
  | 'backend_error' // 502: the backend answered wrongly
  | 'backend_unavailable' // 503: no backend can be reached
  | 'backend_timeout' // 504: the backend missed the deadline
  | 'storage_unavailable' // 503: a store cannot be read (a KV read failed), failed for a moment (a transient D1 error) or is not ready (D1 migrations not applied)
  | 'overloaded' // 503: this worker instance is busy with other large calls; retry (Retry-After)

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  backend_error: 502,
  backend_unavailable: 503,
  backend_timeout: 504,
  storage_unavailable: 503,
  overloaded: 503,
}

/**
 * The code for an HTTP status something other than an ApiError answered with (a Hono
 * HTTPException, a status the access log sees): the first code declared for it (400
 * `invalid_request`, 503 `backend_unavailable`); an undeclared 5xx is `internal_error`, any other
 * 4xx `invalid_request`.
 */
export function codeForStatus(status: number): ErrorCode {
  for (const [code, s] of Object.entries(STATUS) as Array<[ErrorCode, number]>) if (s === status) return code
  return status >= 500 ? 'internal_error' : 'invalid_request'
}

export interface ApiErrorOptions {
  field?: string
  headers?: Record<string, string>
  cause?: unknown
}

export class ApiError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly field: string | undefined
  readonly headers: Record<string, string>

  constructor(code: ErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'ApiError'
    this.code = code
    this.status = STATUS[code]
    this.field = options.field
    this.headers = options.headers ?? {}
  }
}

/** Longest error message sent (longer ones are cut, marked with "…"). */
export const MAX_MESSAGE_CHARS = 2_000

export interface WireError {
  error: { code: ErrorCode; message: string; field?: string }
  /** The message again where Cohere's API puts it (`{"message": …}`), which Cohere clients read. */
  message: string
  /** The message again where Jina's API (FastAPI) puts it, which Jina clients read. */
  detail: string
  request_id: string
}

/**
 * The envelope of `err`, its message as given (the caller redacts it). The message is repeated
 * at the top level because the clients we serve read it there: LangChain's and LlamaIndex's Jina
 * rerankers do `if "results" not in resp: raise RuntimeError(resp["detail"])`
 * (langchain_community/document_compressors/jina_rerank.py, llama-index-postprocessor-jinaai-rerank),
 * which raised a KeyError that hid the reason; Cohere's errors are `{"message": …}`, the shape the
 * Vercel AI SDK's Cohere provider parses.
 */
export function toWireError(err: ApiError, requestId: string, fullMessage = err.message): WireError {
  // Bounded, as it goes out three times: no input can make an error answer large.
  const message = fullMessage.length > MAX_MESSAGE_CHARS ? `${fullMessage.slice(0, MAX_MESSAGE_CHARS)}…` : fullMessage
  const error: WireError['error'] = { code: err.code, message }
  if (err.field !== undefined) error.field = err.field
  return { error, message, detail: message, request_id: requestId }
}

/** Shorthand for the most common case: a named field is wrong. */
export function badField(field: string, message: string): ApiError {
  return new ApiError('invalid_request', `${field}: ${message}`, { field })
}

/** A core module's `FieldError` as the 400 that names its field. */
export function fieldErrorToApiError(error: FieldError): ApiError {
  return badField(error.field, error.message)
}

/** A zod failure of a body or query as a 400 naming the one field lib/zod-error.ts picks. */
export function zodToApiError(error: z.ZodError, prefix = ''): ApiError {
  return fieldErrorToApiError(firstZodFieldError(error, prefix))
}

/**
 * The D1 failures Cloudflare lists as transient, "Retry the operation"
 * (developers.cloudflare.com/d1/observability/debug-d1/, "List of D1_ERRORs"; the retry guide's
 * `shouldRetry` checks the first three): the database's Durable Object was reset or restarted, the
 * network dropped, or it is overloaded. Nothing is wrong with the request or the code, so they are
 * a 503 that says retry, not a 500 that reads as a bug.
 */
const TRANSIENT_D1 = [
  'Network connection lost',
  'caused object to be reset',
  'reset because its code was updated',
  'transient issue on remote node',
  'D1 DB is overloaded',
] as const

export function transientStorageError(e: unknown): ApiError | undefined {
  const message = e instanceof Error ? `${e.message} ${e.cause instanceof Error ? e.cause.message : ''}` : ''
  // Only D1's own errors: workerd says "Network connection lost" of other streams too.
  if (!/\bD1_[A-Z_]*ERROR\b|\bD1 DB\b/u.test(message)) return undefined
  const which = TRANSIENT_D1.find((fragment) => message.includes(fragment))
  if (which === undefined) return undefined
  return new ApiError('storage_unavailable', `the database (D1) failed for a moment ("${which}"): retry shortly`, { headers: { 'Retry-After': '2' } })
}

/**
 * D1 reports a table that does not exist as `D1_ERROR: no such table: <name>: SQLITE_ERROR`
 * (SQLite's own "no such table" message, sqlite3.c `sqlite3LocateTable`): the database exists
 * but its migrations were never applied. That is an operator's step, not a bug: a 503 that says
 * which step, instead of an opaque 500.
 */
export function missingTableError(e: unknown): ApiError | undefined {
  const message = e instanceof Error ? `${e.message} ${e.cause instanceof Error ? e.cause.message : ''}` : ''
  const m = /no such table: ([A-Za-z0-9_]+)/u.exec(message)
  if (!m) return undefined
  return new ApiError(
    'storage_unavailable',
    `database table "${m[1]}" does not exist: apply the D1 migrations (\`wrangler d1 migrations apply DB --remote\`, or \`npm run deploy\`; \`npm start\` applies them locally)`,
    { headers: { 'Retry-After': '60' } }
  )
}
