/**
 * @module fake-vllm-rules
 * How vLLM 0.13 reads the parts of a rerank request where it is kinder than a plain check would be
 * (the fake, fake-vllm.ts, must refuse what vLLM refuses and nothing more): the API key's scheme and
 * pydantic's lax `int`; and one place where it is stricter: a request id already running.
 */
import type { ServerResponse } from 'node:http'

/**
 * vLLM's `AuthenticationMiddleware.verify_token` (vllm/entrypoints/openai/api_server.py): the
 * `Authorization` value is split at its first space (`partition(" ")`), the scheme compared
 * case-insensitively (`scheme.lower() != "bearer"`), the rest compared with the key exactly (so
 * `bearer k` passes and `Bearer  k`, two spaces, does not).
 */
export function bearerMatches(authorization: string | undefined, apiKey: string): boolean {
  if (authorization === undefined) return false
  const space = authorization.indexOf(' ')
  const scheme = space < 0 ? authorization : authorization.slice(0, space)
  const param = space < 0 ? '' : authorization.slice(space + 1)
  return scheme.toLowerCase() === 'bearer' && param === apiKey
}

/**
 * pydantic's lax `int` on JSON input (docs.pydantic.dev "Conversion Table"; pydantic-core
 * src/input/shared.rs `str_as_int`), as `RerankRequest.top_n: int` takes it
 * (vllm/entrypoints/pooling/score/protocol.py): an integral number, a boolean (1 or 0), or a string
 * of one (trimmed, a sign, single underscores between digits, a `.0…` fraction dropped). Anything
 * else, `null` included (the field is not Optional), is undefined: a 400.
 */
export function laxInt(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined
  if (typeof v !== 'string') return undefined
  const m = /^([+-]?)(\d+(?:_\d+)*)(?:\.0+)?$/u.exec(v.trim())
  if (!m) return undefined
  return Number(`${m[1] ?? ''}${(m[2] ?? '').replaceAll('_', '')}`)
}

/**
 * vLLM names each pair of a rerank `rerank-<X-Request-Id>-<i>` (`ServingScores.do_rerank` and
 * `_embedding_score`/`_cross_encoding_score`, vllm/entrypoints/pooling/score/serving.py; the header
 * read by `_base_request_id`, vllm/entrypoints/openai/serving_engine.py), and its engine refuses an
 * id already running: `ValueError("Request id … already running.")` (vllm/v1/engine/
 * output_processor.py `add_request`), which do_rerank answers as a 400. So a request whose
 * X-Request-Id is still in flight on the same server is refused (the message names its first pair);
 * the id is free again once that request is answered or its client has left (vLLM aborts it).
 * Returns the refusal's message, or undefined after claiming the id until `res` closes.
 */
export function claimRequestId(running: Set<string>, requestId: string | undefined, res: ServerResponse): string | undefined {
  if (requestId === undefined) return undefined // vLLM draws a fresh uuid
  if (running.has(requestId)) return `Request id rerank-${requestId}-0 already running.`
  running.add(requestId)
  res.on('close', () => running.delete(requestId))
  return undefined
}
