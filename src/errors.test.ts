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
