import { describe, expect, it } from 'vitest'
import { ApiError, MAX_MESSAGE_CHARS, toWireError } from './errors'

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
