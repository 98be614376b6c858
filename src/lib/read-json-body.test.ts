import { describe, expect, it } from 'vitest'
import { ApiError } from '../errors'
import { bodyDeadlineMs, readJsonObject } from './read-json-body'

/** A body that sends `head` and then nothing, ever: a client that lied about Content-Length. */
function stalledRequest(head: string, declared: number): Request {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(head))
    },
  })
  return new Request('http://x/v1/rerank', {
    method: 'POST',
    body: stream,
    headers: { 'content-length': String(declared) },
    duplex: 'half',
  } as RequestInit)
}

describe('readJsonObject', () => {
  it('answers 408 naming the body when the declared bytes never arrive', async () => {
    const err = await readJsonObject(stalledRequest('{"query":', 1000), 8 * 1024 * 1024, { graceMs: 30, minBytesPerSecond: 1e9 }).catch(
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(408)
    expect((err as ApiError).code).toBe('request_timeout')
    expect((err as ApiError).field).toBe('body')
    expect((err as ApiError).message).toMatch(/not received within 31 ms/u)
  })

  it('reads a complete body as before', async () => {
    const body = JSON.stringify({ query: 'q', documents: ['a'] })
    const r = new Request('http://x/', { method: 'POST', body, headers: { 'content-length': String(body.length) } })
    expect(await readJsonObject(r, 1024, { graceMs: 30 })).toEqual({ query: 'q', documents: ['a'] })
  })

  it('gives a large body time at the minimum rate (mod_reqtimeout-style)', () => {
    expect(bodyDeadlineMs(0)).toBe(10_000)
    expect(bodyDeadlineMs(8 * 1024 * 1024)).toBe(10_000 + 128_000)
    expect(bodyDeadlineMs(1000, { graceMs: 5, minBytesPerSecond: 1000 })).toBe(1005)
  })
})
