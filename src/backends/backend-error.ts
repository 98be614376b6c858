/**
 * @module backend-error
 * The error a scorer throws when the backend fails; `toApiError` maps each fault to the
 * wire: a missed deadline is 504 (a gateway timeout, not Portkey's 408), an unreachable
 * backend 503, a bad or failed reply 502, a call that spent its subrequests 503.
 */
import { ApiError } from '../errors'
import type { BackendFault } from './vllm/vllm-response'

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
