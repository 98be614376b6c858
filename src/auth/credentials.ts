/**
 * @module auth/credentials
 * Reads the caller's API key from `Authorization: Bearer <key>` (RFC 6750 §2.1) or, failing
 * that, `X-API-Key: <key>`. Pure: takes the two header values.
 */

/** RFC 6750 §2.1 b64token, bounded so a huge header is rejected before it is hashed. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,512}=*) *$/iu
const X_API_KEY = /^[\x21-\x7e]{1,512}$/u

/** The request header a key was read from (named in a 401 for a key that matches none). */
export type CredentialHeader = 'Authorization' | 'X-API-Key'

/** How a 401 names the headers a key is accepted in. */
export const ACCEPTED_KEY_HEADERS = '"Authorization: Bearer <key>" or "X-API-Key: <key>"'

export type Credential =
  | { kind: 'key'; token: string; header: CredentialHeader }
  | { kind: 'missing' }
  | { kind: 'malformed'; message: string }

export function readCredential(authorization: string | undefined, xApiKey: string | undefined): Credential {
  if (authorization !== undefined && authorization !== '') {
    const m = BEARER.exec(authorization)
    if (m) return { kind: 'key', token: m[1] as string, header: 'Authorization' }
    if (!/^bearer(\s|$)/iu.test(authorization)) {
      return { kind: 'malformed', message: 'Authorization: expected the Bearer scheme ("Authorization: Bearer <key>")' }
    }
    return { kind: 'malformed', message: 'Authorization: the Bearer token is empty, too long or has characters RFC 6750 does not allow' }
  }
  if (xApiKey !== undefined && xApiKey !== '') {
    const token = xApiKey.trim()
    if (X_API_KEY.test(token)) return { kind: 'key', token, header: 'X-API-Key' }
    return { kind: 'malformed', message: 'X-API-Key: expected 1-512 visible ASCII characters' }
  }
  return { kind: 'missing' }
}
