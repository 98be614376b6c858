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

/** A body that sends `head` and then fails, as workerd's stream does when the client goes away. */
function cutOffRequest(head: string, declared: number | undefined): Request {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(head))
    },
    pull(controller) {
      controller.error(new Error('Network connection lost.'))
    },
  })
  return new Request('http://x/v1/rerank', {
    method: 'POST',
    body: stream,
    headers: declared === undefined ? {} : { 'content-length': String(declared) },
    duplex: 'half',
  } as RequestInit)
}

describe('readJsonObject', () => {
  for (const [header, named] of [
    ['gzip', '"gzip"'],
    ['br', '"br"'],
    ['deflate, identity', '"deflate"'],
    ['x-gzip, zstd', '"x-gzip, zstd"'],
    ['g"z<ip>', 'a content coding'],
  ] as const) {
    it(`refuses Content-Encoding: ${header} with 415 and Accept-Encoding: identity, before reading the body`, async () => {
      const r = new Request('http://x/', { method: 'POST', body: '{"query":"q"}', headers: { 'content-encoding': header } })
      const err = await readJsonObject(r, 1024).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ApiError)
      expect((err as ApiError).status).toBe(415)
      expect((err as ApiError).code).toBe('unsupported_media_type')
      expect((err as ApiError).message).toBe(
        `Content-Encoding: ${named} is not supported: request bodies are read as sent; send the body uncompressed, without Content-Encoding`
      )
      expect((err as ApiError).headers).toEqual({ 'Accept-Encoding': 'identity' })
      expect(r.bodyUsed).toBe(false)
    })
  }

  it('reads a body whose Content-Encoding is identity (no coding)', async () => {
    const r = new Request('http://x/', { method: 'POST', body: '{"query":"q"}', headers: { 'content-encoding': 'Identity' } })
    expect(await readJsonObject(r, 1024)).toEqual({ query: 'q' })
  })

  for (const declared of [1000, undefined]) {
    it(`answers 400 naming the body when the connection ends mid-body (${declared === undefined ? 'chunked' : 'Content-Length'})`, async () => {
      const err = await readJsonObject(cutOffRequest('{"query":', declared), 8 * 1024 * 1024, { graceMs: 5_000 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ApiError)
      expect((err as ApiError).status).toBe(400)
      expect((err as ApiError).code).toBe('invalid_request')
      expect((err as ApiError).field).toBe('body')
      expect((err as ApiError).message).toBe(
        `body: incomplete: the connection ended before ${declared === undefined ? 'its last chunk' : 'the 1000 bytes its Content-Length declares'} arrived; send the whole body again`
      )
      expect((err as ApiError).headers).toEqual({ Connection: 'close' })
    })
  }

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

  it('refuses a body nested deeper than 32 levels with a 400 naming the field, not the 33 keys down to it', async () => {
    let meta: unknown = 'leaf'
    for (let d = 0; d < 30; d++) meta = { m: meta }
    // body (1) > documents (2) > the document (3) > meta and 29 more objects (4..33).
    const deep = JSON.stringify({ query: 'q', documents: [{ text: 'a', meta }] })
    const err = await readJsonObject(new Request('http://x/', { method: 'POST', body: deep }), 1 << 20).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(400)
    expect((err as ApiError).field).toBe('documents[0].meta')
    expect((err as ApiError).message).toMatch(/^documents\[0\]\.meta: nests objects and arrays deeper than 32 levels/u)
    // One level less is read.
    const ok = JSON.stringify({ query: 'q', documents: [{ text: 'a', meta: (meta as { m: unknown }).m }] })
    expect(await readJsonObject(new Request('http://x/', { method: 'POST', body: ok }), 1 << 20)).toHaveProperty('query', 'q')
  })

  it('gives a large body time at the minimum rate (mod_reqtimeout-style)', () => {
    expect(bodyDeadlineMs(0)).toBe(10_000)
    expect(bodyDeadlineMs(8 * 1024 * 1024)).toBe(10_000 + 128_000)
    expect(bodyDeadlineMs(1000, { graceMs: 5, minBytesPerSecond: 1000 })).toBe(1005)
  })
})
