/**
 * @module fake-vllm-rules
 * How vLLM 0.13 reads the parts of a rerank request where it is kinder than a plain check would be
 * (the fake, fake-vllm.ts, must refuse what vLLM refuses and nothing more): the API key's scheme and
 * pydantic's lax `int`.
 */

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
