/**
 * @module upstream-errors
 * Errors of the upstream layer, all `BackendError`s so the wire mapping stays in one place:
 *  - `UpstreamStatusError`: a non-2xx reply, carrying the reply's `Retry-After` (ms) when it had one.
 *  - `NoHealthyUpstreamError`: no upstream could take the call (every breaker open or every
 *    upstream throttled, or every attempt failed for lack of capacity). 503 with `Retry-After`
 *    when the pool knows when one will be back; the rerank pipeline catches it to switch to the
 *    lexical scorer when `FALLBACK=lexical`.
 */
import { ApiError } from '../../errors'
import { BackendError } from '../backend-error'

export class UpstreamStatusError extends BackendError {
  /** Delay the upstream asked for (RFC 9110 §10.2.3 `Retry-After`), ms. */
  readonly retryAfterMs: number | undefined

  constructor(status: number, message: string, retryAfterMs?: number) {
    super({ kind: 'status', status, message })
    this.name = 'UpstreamStatusError'
    this.retryAfterMs = retryAfterMs
  }
}

export class NoHealthyUpstreamError extends BackendError {
  /** When an upstream is expected back (ms from now), if known. */
  readonly retryAfterMs: number | undefined

  constructor(message: string, retryAfterMs?: number) {
    super({ kind: 'unreachable', message })
    this.name = 'NoHealthyUpstreamError'
    this.retryAfterMs = retryAfterMs
  }

  override toApiError(): ApiError {
    const headers: Record<string, string> =
      this.retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.max(1, Math.ceil(this.retryAfterMs / 1000))) }
    return new ApiError('backend_unavailable', this.message, { headers })
  }
}
