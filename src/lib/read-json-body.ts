/**
 * @module read-json-body
 * Reads a request body as a JSON object with a hard byte limit, whatever the Content-Type
 * (curl's `-d` sends `application/x-www-form-urlencoded`). Too large → 413 naming the limit;
 * sent with a Content-Encoding → 415; not UTF-8 or not JSON → 400; not an object → 400; nested
 * deeper than 32 levels → 400 naming the field (lib/json-depth.ts); not all there in time → 408;
 * cut off (the client closed or reset the connection before the declared bytes, or the last
 * chunk, arrived) → 400 naming the body.
 *
 * Why a cut-off body is a 400 and not the runtime's error: workerd rejects the read with a plain
 * `Error: Network connection lost.` (test/e2e/body-cut-off.test.ts sends one over a socket), which
 * the error handler would answer as a 500 `internal_error` and log as a bug. The client is the
 * one that stopped sending; nothing has been parsed or stored yet, so the call simply ends here.
 *
 * Why a deadline: a client that declares `Content-Length: 1000` and sends 10 bytes would hold the
 * call (and its connection) for as long as we wait: the runtime itself never times out a body a
 * Worker is reading (bench/lying-content-length.bench.ts: a bare workerd held it past 25 s). The
 * deadline follows Apache's mod_reqtimeout `body=10,MinRate=…`: a fixed grace plus time for the
 * declared size at a minimum rate, so a slow but steady upload of a large body still gets through.
 */
import { ApiError } from '../errors'
import { firstTooDeep, MAX_JSON_DEPTH } from './json-depth'
import { formatPath } from './zod-error'

export interface ReadBodyOptions {
  /** Grace before the first byte counts against the rate, ms. */
  graceMs?: number
  /** Slowest accepted upload rate, bytes per second. */
  minBytesPerSecond?: number
  /** Told the body's size once it is read, before it is decoded (may throw to refuse it). */
  onRead?: (bytes: number) => void
}

/** 10 s grace (mod_reqtimeout's default `body=20` halved for an API of small JSON bodies). */
const BODY_GRACE_MS = 10_000
/** 64 KiB/s: an 8 MiB body (the default MAX_BODY_BYTES) may take 10 s + 128 s. */
const BODY_MIN_BYTES_PER_SECOND = 64 * 1024

/** How long reading a body of `bytes` may take, ms. */
export function bodyDeadlineMs(bytes: number, options: ReadBodyOptions = {}): number {
  const grace = options.graceMs ?? BODY_GRACE_MS
  const rate = options.minBytesPerSecond ?? BODY_MIN_BYTES_PER_SECOND
  return grace + Math.ceil((Math.max(0, bytes) / rate) * 1000)
}

export async function readJsonObject(request: Request, maxBytes: number, options: ReadBodyOptions = {}): Promise<Record<string, unknown>> {
  refuseContentCoding(request.headers.get('content-encoding'))
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes)
  // With a declared length the runtime frames the body to exactly that many bytes, so one native
  // arrayBuffer() read is safe and much cheaper than pulling the stream chunk by chunk (the
  // chunked path was ~40% of a fully cached call's CPU in a 2026-12-02 profile; bench/rerank-cpu.bench.ts
  // measures the cached call today).
  const known = declared !== null && /^\d+$/u.test(declared)
  const deadline = bodyDeadlineMs(known ? Number(declared) : maxBytes, options)
  const bytes = await withinDeadline(known ? readDeclared(request, maxBytes) : readLimited(request, maxBytes), deadline)
  if (bytes.byteLength === 0) throw new ApiError('invalid_json', 'body: required: a JSON object', { field: 'body' })
  options.onRead?.(bytes.byteLength)
  let text: string
  try {
    text = UTF8.decode(bytes)
  } catch {
    throw new ApiError('invalid_json', 'body: not valid UTF-8', { field: 'body' })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    const detail = e instanceof Error ? e.message.slice(0, 120) : 'parse error'
    throw new ApiError('invalid_json', `body: not valid JSON (${detail})`, { field: 'body' })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('invalid_request', 'body: expected a JSON object', { field: 'body' })
  }
  const deep = firstTooDeep(value, MAX_JSON_DEPTH)
  if (deep !== undefined) {
    // Named by the body's field, and within an array of objects by the item's field
    // (`documents[0].metadata`), not by 32 levels of keys.
    const named = typeof deep[1] === 'number' && typeof deep[2] === 'string' ? deep.slice(0, 3) : deep.slice(0, 1)
    const field = formatPath(named.map((k) => (typeof k === 'string' ? k.slice(0, 64) : k))) || 'body'
    throw new ApiError('invalid_request', `${field}: nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels (at most ${MAX_JSON_DEPTH}, the body counting as one)`, { field })
  }
  return value as Record<string, unknown>
}

/**
 * A body sent with a content coding (`Content-Encoding: gzip`, `br`, `deflate`, …) is refused
 * before it is read: the worker reads request bodies as sent and decodes no coding, so a gzip body
 * would otherwise surface as "not valid UTF-8", and a plain body mislabelled gzip would be served as
 * if the label were not there. 415 is the status for an unsupported content coding, and its
 * `Accept-Encoding` names the codings that would have been accepted; a value of `identity` alone
 * says none (RFC 9110 §15.5.16 and §12.5.3, from RFC 7694 §3). `identity` itself is no coding.
 */
function refuseContentCoding(header: string | null): void {
  if (header === null) return
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '')
  const applied = codings.filter((c) => c !== 'identity')
  if (applied.length === 0) return
  // Quoted only when it is a plain token (RFC 9110 §5.6.2), so no header text reaches the message unvetted.
  const named = applied.every((c) => /^[a-z0-9!#$%&'*+.^_`|~-]{1,32}$/u.test(c)) ? `"${applied.join(', ')}"` : 'a content coding'
  throw new ApiError(
    'unsupported_media_type',
    `Content-Encoding: ${named} is not supported: request bodies are read as sent; send the body uncompressed, without Content-Encoding`,
    { headers: { 'Accept-Encoding': 'identity' } }
  )
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

async function readDeclared(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0)
  let buffer: ArrayBuffer
  try {
    buffer = await request.arrayBuffer()
  } catch (e) {
    throw cutOff(e, request)
  }
  const bytes = new Uint8Array(buffer)
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes)
  return bytes
}

/** The read, or a 408 once `ms` have passed (the pending read is abandoned with the request). */
async function withinDeadline<T>(read: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ApiError('request_timeout', `body: not received within ${ms} ms (Content-Length larger than the bytes sent?)`, {
            field: 'body',
            headers: { Connection: 'close' },
          })
        ),
      ms
    )
  })
  try {
    return await Promise.race([read, expired])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    // A read left behind must not surface as an unhandled rejection.
    read.catch(() => undefined)
  }
}

/**
 * A failed read of the body stream: the connection ended (or was reset) before the body did. Only
 * the stream's own rejection comes here, so a bug elsewhere still surfaces as a 500.
 */
function cutOff(cause: unknown, request: Request): ApiError {
  const declared = request.headers.get('content-length')
  const expected = declared !== null && /^\d+$/u.test(declared) ? `the ${declared} bytes its Content-Length declares` : 'its last chunk'
  return new ApiError('invalid_request', `body: incomplete: the connection ended before ${expected} arrived; send the whole body again`, {
    field: 'body',
    headers: { Connection: 'close' },
    cause,
  })
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError('payload_too_large', `body: larger than the limit of ${maxBytes} bytes`, { field: 'body' })
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch (e) {
      throw cutOff(e, request)
    }
    const { done, value } = chunk
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let off = 0
  for (const c of chunks) {
    out.set(c, off)
    off += c.byteLength
  }
  return out
}
