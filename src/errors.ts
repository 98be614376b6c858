/**
 * @module errors
 * The one place where domain errors become HTTP. Routes and services throw `ApiError`;
 * `toWireError` builds the public envelope `{ error: { code, message, field? }, request_id }`
 * (shared/notes/interface.md "Errors"). Backend bodies are never echoed verbatim: a
 * backend reason is summarised and sanitised before it reaches the wire.
 */

export type ErrorCode =
  | 'invalid_request' // 400: a field is wrong (named in `field`)
  | 'invalid_json' // 400: the body is not JSON
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'method_not_allowed' // 405
  | 'conflict' // 409
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'rate_limited' // 429
  | 'internal_error' // 500: a bug; never expected
  | 'backend_error' // 502: the backend answered wrongly
  | 'backend_unavailable' // 503: no backend can be reached
  | 'backend_timeout' // 504: the backend missed the deadline

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  backend_error: 502,
  backend_unavailable: 503,
  backend_timeout: 504,
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

export interface WireError {
  error: { code: ErrorCode; message: string; field?: string }
  request_id: string
}

export function toWireError(err: ApiError, requestId: string): WireError {
  const error: WireError['error'] = { code: err.code, message: err.message }
  if (err.field !== undefined) error.field = err.field
  return { error, request_id: requestId }
}

/** Shorthand for the most common case: a named field is wrong. */
export function badField(field: string, message: string): ApiError {
  return new ApiError('invalid_request', `${field}: ${message}`, { field })
}
