/**
 * @module upstream-errors
 * Errors of the upstream layer, all `BackendError`s so the wire mapping stays in one place:
 *  - `UpstreamStatusError`: a non-2xx reply, carrying the reply's `Retry-After` (ms) when it had one.
 *  - `NoHealthyUpstreamError`: no upstream could take the call (every breaker open or every
 *    upstream throttled, or every attempt failed). 503 with `Retry-After` when the pool knows when
 *    one will be back (504 / 502 when the last attempt timed out / answered wrongly, or when every
 *    upstream is out after replies saying it is set up wrong: a 401, a 404); the rerank pipeline
 *    catches it to switch to the lexical scorer when `FALLBACK=lexical`.
 */
import { ApiError } from '../../errors'
import { BackendError } from '../backend-error'
import type { BackendFault } from '../backend-error'

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
  /** The last attempt's fault, when attempts were made: it sets the status class on the wire. */
  readonly lastFault: BackendFault | undefined

  constructor(message: string, retryAfterMs?: number, lastFault?: BackendFault) {
    super({ kind: 'unreachable', message })
    this.name = 'NoHealthyUpstreamError'
    this.retryAfterMs = retryAfterMs
    this.lastFault = lastFault
  }

  override toApiError(): ApiError {
    // Every attempt timed out: still a gateway timeout; every reply was broken, or refused the
    // call as misconfigured (401, 404…, also with every breaker open after them): still a bad
    // gateway. Capacity (503, 429, unreachable, every breaker open): 503 with Retry-After.
    const f = this.lastFault
    if (f?.kind === 'timeout') return new ApiError('backend_timeout', this.message)
    if (f?.kind === 'bad_reply' || (f?.kind === 'status' && f.status !== 503 && f.status !== 429)) {
      return new ApiError('backend_error', this.message)
    }
    const headers: Record<string, string> =
      this.retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.max(1, Math.ceil(this.retryAfterMs / 1000))) }
    return new ApiError('backend_unavailable', this.message, { headers })
  }
}
