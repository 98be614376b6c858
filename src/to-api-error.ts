/**
 * @module to-api-error
 * Every thrown thing as the ApiError the wire shows: the one mapping the error handler (app.ts)
 * answers with and the access log (middleware/access-log.ts) records, so the two cannot disagree.
 * Above errors.ts: it knows the backend's and config's error types, which errors.ts must not import.
 */
import { HTTPException } from 'hono/http-exception'
import { BackendError } from './backends/backend-error'
import { ConfigError } from './config'
import { ApiError, codeForStatus, missingTableError, transientStorageError } from './errors'

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  if (e instanceof BackendError) return e.toApiError()
  if (e instanceof ConfigError) return new ApiError('internal_error', e.message)
  const missingTable = missingTableError(e)
  if (missingTable) return missingTable
  const transient = transientStorageError(e)
  if (transient) return transient
  if (e instanceof HTTPException) return new ApiError(codeForStatus(e.status), e.message || 'request rejected')
  return new ApiError('internal_error', 'internal error')
}
