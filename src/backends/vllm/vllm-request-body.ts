/**
 * @module vllm-request-body
 * The `/v1/rerank` request body as UTF-8 bytes, written in one pass: exactly the bytes of
 * `JSON.stringify({ model, query, documents: documents.map(formatQwen3Document) })` (the same keys
 * in the same order, no whitespace; JSON escaping is per character, so escaping each document on
 * its own and the fixed parts of the Qwen3 format once gives the same text).
 *
 * Why not `JSON.stringify` of the whole object: each formatted document is a rope (prefix + text +
 * suffix) that the stringifier first flattens into a new string, and the output is one string
 * that turns two-byte (UTF-16) as soon as one document holds a character above U+00FF, so every
 * later document is widened too before `fetch` encodes the lot to UTF-8. Here each document is
 * escaped as it is (an ASCII passage stays a one-byte string) and encoded straight into the
 * body buffer: no rope flattening and no whole-body string (the miss path's largest own cost in a
 * workerd profile of 1,000 passages: bench/lib/workerd-profile.ts).
 */
import { utf8Length } from '../../lib/apportion-tokens'
import { formatQwen3Document } from './qwen3-prompt'

const UTF8 = new TextEncoder()
/** Any UTF-16 surrogate (no u flag: a code-unit scan). */
const SURROGATE = /[\ud800-\udfff]/

// '"<Document>: ' and the escaped suffix + '"': the format around a document, already escaped.
const [DOC_OPEN, DOC_CLOSE] = (() => {
  const marker = '\u0000'
  const json = JSON.stringify(formatQwen3Document(marker))
  const at = json.indexOf('\\u0000')
  return [UTF8.encode(json.slice(0, at)), UTF8.encode(json.slice(at + '\\u0000'.length))]
})()

export interface RerankRequestBody {
  /** The JSON body, UTF-8. */
  bytes: Uint8Array
  /** Each document's own UTF-8 length (unescaped, without the format), for the token split. */
  documentBytes: number[]
}

export function rerankRequestBody(model: string, query: string, documents: readonly string[]): RerankRequestBody {
  const head = `{"model":${JSON.stringify(model)},"query":${JSON.stringify(query)},"documents":[`
  const escaped = documents.map((d) => JSON.stringify(d))
  // Exact when everything is ASCII; the buffer grows when a text is not (no scan to size it).
  let size = head.length + 2 + documents.length * (DOC_OPEN.length + DOC_CLOSE.length + 1)
  for (const e of escaped) size += e.length
  let out = new Uint8Array(size)
  let at = 0
  const reserve = (n: number) => {
    if (at + n <= out.length) return
    const bigger = new Uint8Array(Math.max(out.length * 2, at + n + 64))
    bigger.set(out.subarray(0, at))
    out = bigger
  }
  const write = (text: string): number => {
    reserve(text.length)
    for (;;) {
      const r = UTF8.encodeInto(text, out.subarray(at))
      if (r.read === text.length) {
        at += r.written
        return r.written
      }
      // Not ASCII and out of room: make room for the worst case and write it again in place.
      reserve(text.length * 3)
    }
  }
  const put = (bytes: Uint8Array) => {
    reserve(bytes.length)
    out.set(bytes, at)
    at += bytes.length
  }
  const documentBytes = new Array<number>(documents.length)
  write(head)
  for (let i = 0; i < escaped.length; i++) {
    // The comma as a byte: one encodeInto call (and its subarray) per document fewer.
    if (i > 0) {
      reserve(1)
      out[at++] = 0x2c
    }
    put(DOC_OPEN)
    const d = documents[i] as string
    const e = escaped[i] as string
    // Without the quotes JSON.stringify put around it (they come with DOC_OPEN / DOC_CLOSE).
    const written = write(e.slice(1, -1))
    // Escapes are ASCII, so they add as many bytes as characters, except a lone surrogate's
    // (\udXXX: 6 bytes for what UTF-8 counts as 3): then count the text itself.
    const escapes = e.length - 2 - d.length
    documentBytes[i] = escapes === 0 ? written : SURROGATE.test(d) ? utf8Length(d) : written - escapes
    put(DOC_CLOSE)
  }
  write(']}')
  return { bytes: out.subarray(0, at), documentBytes }
}
