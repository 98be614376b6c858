import { describe, expect, it } from 'vitest'
import { HTTPException } from 'hono/http-exception'
import { ApiError, MAX_MESSAGE_CHARS, toWireError } from './errors'
import { toApiError } from './to-api-error'

describe('toWireError', () => {
  it('repeats the message where Cohere and Jina clients read it', () => {
    const wire = toWireError(new ApiError('invalid_request', 'query: must not be empty', { field: 'query' }), 'r1')
    expect(wire).toEqual({ error: { code: 'invalid_request', message: 'query: must not be empty', field: 'query' }, message: 'query: must not be empty', detail: 'query: must not be empty', request_id: 'r1' })
  })

  it('cuts a message past MAX_MESSAGE_CHARS, marked, in all three places', () => {
    const wire = toWireError(new ApiError('invalid_request', 'x'.repeat(MAX_MESSAGE_CHARS * 3)), 'r2')
    expect(wire.error.message).toBe(`${'x'.repeat(MAX_MESSAGE_CHARS)}…`)
    expect(wire.message).toBe(wire.error.message)
    expect(wire.detail).toBe(wire.error.message)
  })
})

describe('one mapping from thrown errors to the wire (to-api-error.ts), for the error handler and the access log', () => {
  it('maps an HTTPException by its status to the code declared for it (it was 400 invalid_request for a 405, 408, 415 or 429, while the log said otherwise)', () => {
    for (const [status, code] of [[405, 'method_not_allowed'], [408, 'request_timeout'], [413, 'payload_too_large'], [415, 'unsupported_media_type'], [429, 'rate_limited'], [401, 'unauthorized'], [418, 'invalid_request'], [500, 'internal_error'], [503, 'backend_unavailable']] as const) {
      const e = toApiError(new HTTPException(status, { message: 'x' }))
      expect([e.code, e.status], String(status)).toEqual([code, code === 'invalid_request' ? 400 : code === 'internal_error' ? 500 : status])
    }
  })
})

describe('D1 failures Cloudflare lists as transient', () => {
  it('are a 503 storage_unavailable that says retry, with Retry-After', () => {
    for (const message of [
      'D1_ERROR: Network connection lost.',
      'D1_ERROR: D1 DB reset because its code was updated.',
      'D1_ERROR: Internal error in D1 DB storage caused object to be reset.',
      'D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.',
      'D1_ERROR: D1 DB is overloaded. Too many requests queued.',
    ]) {
      const e = toApiError(new Error(message))
      expect({ message, status: e.status, code: e.code }).toEqual({ message, status: 503, code: 'storage_unavailable' })
      expect(e.message).toMatch(/retry shortly/u)
      expect(e.headers?.['Retry-After']).toBe('2')
    }
  })

  it('a D1 error that is not transient, or a transient-sounding error that is not D1, stays a 500', () => {
    for (const message of ['D1_ERROR: UNIQUE constraint failed: experiments.id: SQLITE_CONSTRAINT', 'D1_EXEC_ERROR: near "INSERTZ": syntax error', 'Network connection lost.']) {
      expect({ message, status: toApiError(new Error(message)).status }).toEqual({ message, status: 500 })
    }
  })
})
