/**
 * The scopes `npm run hash-key -- --scopes …` may put on an API_KEYS entry: the worker's own list,
 * src/auth/scopes.ts `SCOPES` (test/unit/hash-api-key.test.ts checks the two are equal; this copy
 * exists because the script runs as plain JavaScript). The worker refuses an entry with any other
 * scope (src/auth/api-keys.ts), so a typo is refused here, before it is pasted into .dev.vars.
 */
export const KEY_SCOPES = /** @type {const} */ (['rerank', 'experiments', 'feedback', 'stats'])

/**
 * Parses a comma-separated scope list ("rerank,feedback"): trimmed, duplicates dropped, in the
 * order given. Returns the scopes, or an error naming the unknown ones and the valid ones.
 * @param {string} text
 * @returns {{ ok: true, scopes: string[] } | { ok: false, error: string }}
 */
export function parseScopes(text) {
  const given = text.split(',').map((s) => s.trim())
  if (given.some((s) => s === '')) {
    return { ok: false, error: `--scopes: an empty scope in "${text}"; expected a comma-separated list of ${KEY_SCOPES.join(', ')}` }
  }
  const known = /** @type {readonly string[]} */ (KEY_SCOPES)
  const unknown = given.filter((s) => !known.includes(s))
  if (unknown.length > 0) {
    return { ok: false, error: `--scopes: unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; the scopes are ${KEY_SCOPES.join(', ')}` }
  }
  return { ok: true, scopes: [...new Set(given)] }
}
