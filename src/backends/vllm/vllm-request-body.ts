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
import { formatQwen3Document } from './qwen3-prompt'

const UTF8 = new TextEncoder()
const NON_ASCII = /[^\u0000-\u007f]/

// '"<Document>: ' and the escaped suffix + '"': the format around a document, already escaped.
const [DOC_OPEN, DOC_CLOSE] = (() => {
  const marker = '\u0000'
  const json = JSON.stringify(formatQwen3Document(marker))
  const at = json.indexOf('\\u0000')
  return [UTF8.encode(json.slice(0, at)), UTF8.encode(json.slice(at + '\\u0000'.length))]
})()

/** Upper bound of the UTF-8 length of `s` (exact for ASCII). */
const maxBytes = (s: string) => (NON_ASCII.test(s) ? s.length * 3 : s.length)

export function rerankRequestBody(model: string, query: string, documents: readonly string[]): Uint8Array {
  const head = `{"model":${JSON.stringify(model)},"query":${JSON.stringify(query)},"documents":[`
  const escaped = documents.map((d) => JSON.stringify(d))
  let size = maxBytes(head) + 2 + documents.length * (DOC_OPEN.length + DOC_CLOSE.length + 1)
  for (const e of escaped) size += maxBytes(e)
  const out = new Uint8Array(size)
  let at = UTF8.encodeInto(head, out).written
  for (let i = 0; i < escaped.length; i++) {
    if (i > 0) out[at++] = 0x2c // ,
    out.set(DOC_OPEN, at)
    at += DOC_OPEN.length
    const e = escaped[i] as string
    // Without the quotes JSON.stringify put around it (they come with DOC_OPEN / DOC_CLOSE).
    at += UTF8.encodeInto(e.slice(1, -1), out.subarray(at)).written
    out.set(DOC_CLOSE, at)
    at += DOC_CLOSE.length
  }
  out[at++] = 0x5d // ]
  out[at++] = 0x7d // }
  return out.subarray(0, at)
}
