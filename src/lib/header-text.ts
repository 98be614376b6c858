/**
 * @module lib/header-text
 * A request header value the worker keeps as text (the `X-Rerank-User` unit id, hashed for the
 * arm and stored with each exposure) must still be the text the client sent, or two clients
 * become one. The runtime decodes header bytes as UTF-8 and turns each byte that is not valid
 * UTF-8 into U+FFFD, the byte lost: `Jos\xe9` and `Jos\xe8` in latin-1 (what fetch sends for the
 * string "José") both arrive as "Jos\uFFFD" (measured through `npm start`,
 * test/e2e/header-bytes.test.ts; https://github.com/cloudflare/workerd/issues/6927). So a value
 * holding U+FFFD is refused: a validly encoded U+FFFD too, since the worker cannot tell the two
 * apart. Control characters arrive as sent (0x01, 0x7f; NUL and a bare CR are refused by the
 * runtime first), but RFC 9110 §5.5 allows none in a field value except HTAB: refused as well.
 * Pure.
 */
const CONTROL_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f]/u

/** Why `value` cannot be read as the text the client sent, or undefined when it can. */
export function headerTextProblem(value: string): string | undefined {
  if (value.includes('\uFFFD')) {
    return 'holds U+FFFD, which is what arrives for bytes that are not UTF-8 (a latin-1 "é" is one), so distinct values would read the same; send it encoded as UTF-8'
  }
  if (CONTROL_BUT_TAB.test(value)) return 'holds a control character, which a header value may not (RFC 9110 §5.5)'
  return undefined
}
