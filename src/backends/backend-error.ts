/**
 * @module backend-error
 * The error a scorer throws when the backend fails; `toApiError` maps each fault to the
 * wire: a missed deadline is 504 (a gateway timeout, not Portkey's 408), an unreachable
 * backend 503, a bad or failed reply 502, a call that spent its subrequests 503.
 */
import { ApiError } from '../errors'

/** What went wrong with a backend call, whatever the backend (the vLLM reply reader produces them too). */
export type BackendFault =
  | { kind: 'timeout'; message: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'bad_reply'; message: string }
  | { kind: 'status'; status: number; message: string }
  /** The call spent its upstream fetches (backends/subrequest-budget.ts): nothing said about the upstream. */
  | { kind: 'budget'; message: string }

export class BackendError extends Error {
  readonly fault: BackendFault
  constructor(fault: BackendFault) {
    super(fault.message)
    this.name = 'BackendError'
    this.fault = fault
  }

  toApiError(): ApiError {
    const f = this.fault
    switch (f.kind) {
      case 'timeout':
        return new ApiError('backend_timeout', f.message)
      case 'unreachable':
      case 'budget':
        return new ApiError('backend_unavailable', f.message)
      case 'bad_reply':
        return new ApiError('backend_error', f.message)
      case 'status':
        return f.status === 503
          ? new ApiError('backend_unavailable', f.message)
          : new ApiError('backend_error', f.message)
    }
  }
}
