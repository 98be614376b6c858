/**
 * @module vllm-response
 * Pure validation of a vLLM `/v1/rerank` reply. Trust nothing: the reply must be JSON, have one
 * result per document sent, each index an integer in range and seen once, each
 * `relevance_score` a finite number in [0, 1] (sigmoid(logit_yes − logit_no) lies in (0,1):
 * QwenLM/Qwen3-Embedding README, "Reranker Model": softmax over the "yes"/"no" logits). Anything else is a `BackendFault` (502), and
 * nothing from such a reply is used or cached.
 *
 * Shapes: vLLM `vllm/entrypoints/pooling/score/protocol.py` RerankResponse;
 * unknown keys are ignored.
 */

import type { BackendFault } from '../backend-error'

export type { BackendFault }

export type Parsed<T> = { ok: true; value: T } | { ok: false; fault: BackendFault }

import { isTokenCount, scanVllmRerankReply } from './vllm-reply-scan'

const bad = (message: string): Parsed<never> => ({ ok: false, fault: { kind: 'bad_reply', message } })

export interface VllmRerankReply {
  scores: number[]
  promptTokens?: number
}

/**
 * Reads `index` and `relevance_score` of every result (and the usage) without materialising the
 * rest: vLLM echoes every formatted document in its reply (RerankResult.document), which
 * `JSON.parse` would copy into a new string per document only for us to drop. The scanner
 * (`vllm-reply-scan.ts`) validates the JSON it walks as strictly as `JSON.parse`; on anything
 * it does not accept, or any reply that would fail validation, the reply is parsed again in full
 * below, so every fault is reported exactly as before.
 */
export function parseVllmRerankReply(reply: Uint8Array | string, documentCount: number): Parsed<VllmRerankReply> {
  const fast = scanVllmRerankReply(reply, documentCount)
  if (fast !== undefined) return { ok: true, value: fast }
  return parseVllmRerankReplyFully(typeof reply === 'string' ? reply : decodeReply(reply), documentCount)
}

const UTF8 = new TextDecoder()

/** A reply body as `Response.text()` reads it (UTF-8, a byte order mark dropped, bad bytes U+FFFD). */
export function decodeReply(bytes: Uint8Array): string {
  return UTF8.decode(bytes)
}

/** The reference reader: `JSON.parse` and every check, with the fault messages callers see. */
export function parseVllmRerankReplyFully(text: string, documentCount: number): Parsed<VllmRerankReply> {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return bad('backend reply is not valid JSON')
  }
  if (typeof body !== 'object' || body === null) return bad('backend reply is not a JSON object')
  const results = (body as { results?: unknown }).results
  if (!Array.isArray(results)) {
    // A 200 that carries an error (a proxy, a wrapper) says why: name it, as a non-2xx would.
    const said = errorMessageOf(body)
    return bad(said === undefined ? 'backend reply has no results array' : `backend reply has no results array but an error: ${said}`)
  }
  if (results.length !== documentCount) {
    return bad(`backend returned ${results.length} results for ${documentCount} documents`)
  }
  const scores = new Array<number>(documentCount).fill(Number.NaN)
  const seen = new Uint8Array(documentCount)
  for (const r of results as unknown[]) {
    if (typeof r !== 'object' || r === null) return bad('backend result is not an object')
    const { index, relevance_score: score } = r as { index?: unknown; relevance_score?: unknown }
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= documentCount) {
      return bad(`backend returned an unknown index ${JSON.stringify(index) ?? 'undefined'}`)
    }
    if (seen[index]) return bad(`backend returned index ${index} twice`)
    seen[index] = 1
    if (typeof score !== 'number') return bad(`backend returned no numeric score for index ${index} (${score === undefined ? 'none' : score === null ? 'null' : typeof score})`)
    if (!Number.isFinite(score)) return bad(`backend returned a non-finite score for index ${index}`)
    if (score < 0 || score > 1) return bad(`backend returned an out-of-range score ${score} for index ${index}`)
    scores[index] = score
  }
  const usage = (body as { usage?: { prompt_tokens?: unknown; total_tokens?: unknown } }).usage
  const tokens = usage?.prompt_tokens ?? usage?.total_tokens
  return isTokenCount(tokens)
    ? { ok: true, value: { scores, promptTokens: tokens } }
    : { ok: true, value: { scores } }
}

/**
 * Summarises a non-2xx reply without echoing it: vLLM's nested `{"error":{"message","type",
 * "code"}}` (≥ 0.10.1, PR #22099), the flat older shape, the 401 `{"error":"Unauthorized"}`,
 * a plain-text body (Starlette's own `500 Internal Server Error` when a vLLM route raised outside
 * its handlers, starlette/middleware/errors.py ServerErrorMiddleware), or an HTML page from a
 * proxy. The message is cut short and stripped of anything that looks like a bearer token.
 */
export function describeErrorReply(status: number, contentType: string | null, text: string, location?: string | null): string {
  if (status >= 300 && status < 400) {
    // vLLM never redirects. Named by origin only: a login page's URL carries query parameters.
    let origin = ''
    try {
      if (location) origin = ` to ${new URL(location).origin}`
    } catch {
      origin = ''
    }
    return `backend answered ${status}, a redirect${origin}: set VLLM_URLS to the address that serves /v1/rerank (an http:// URL for a TLS proxy?), or, behind an access policy, VLLM_ACCESS_CLIENT_ID / _SECRET`
  }
  if ((contentType ?? '').includes('html') || /^\s*</u.test(text)) return `backend answered ${status} with an HTML page`
  let message: string | undefined
  try {
    message = errorMessageOf(JSON.parse(text))
  } catch {
    // Not JSON: the text itself is the message, cleaned and cut short as a JSON one is.
    message = text.trim() === '' ? undefined : errorMessageOf({ message: text.trim() })
  }
  return `backend answered ${status}: ${message ?? 'no error message'}`
}

/**
 * The message of an error body, cleaned for our own error text: vLLM's nested `{"error":{"message"}}`,
 * a flat `{"error": "…"}`, `{"message"}` or FastAPI's `{"detail"}`; cut short, control characters
 * flattened, anything like a bearer token masked.
 */
function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as { error?: unknown; message?: unknown; detail?: unknown }
  let message: string | undefined
  if (typeof b.error === 'string') message = b.error
  else if (typeof b.error === 'object' && b.error !== null) {
    const m = (b.error as { message?: unknown }).message
    if (typeof m === 'string') message = m
  }
  if (message === undefined && typeof b.message === 'string') message = b.message
  if (message === undefined && typeof b.detail === 'string') message = b.detail
  if (message === undefined) return undefined
  return message.replace(/Bearer\s+\S+/giu, 'Bearer [redacted]').replace(/[\u0000-\u001f]+/gu, ' ').slice(0, 200)
}
