/**
 * @module redact-secrets
 * Removes configured secrets from text that may have come from a backend, before that text
 * reaches a client, a log line or `/healthz`.
 *
 * Why a list of encodings: a proxy in front of vLLM that rejects a key often quotes it back
 * ("Incorrect API key provided: sk-…" in OpenAI's error body), and it may do so raw, inside a
 * JSON string (where `"`, `\` and control characters are escaped, and `/` may be), URL-encoded
 * (RFC 3986 §2.1 percent-encoding, either hex case; or form-encoded, space as `+`, as in a
 * query string echoed in a redirect), or after `Bearer ` (RFC 6750 §2.1). Each configured secret
 * is matched in every one of those spellings; in addition any `Bearer <token>` is masked, so a
 * key we do not know of (a stale one in a proxy's message) is not shown either.
 *
 * Pure: the secrets are an argument. Even a very short secret is matched everywhere: that may
 * garble a message, but it never shows a key.
 */

export const REDACTED = '[redacted]'

/** The configured values that must never be shown (VLLM_API_KEY, the Access service token). */
export interface SecretSource {
  VLLM_API_KEY?: string
  VLLM_ACCESS_CLIENT_ID?: string
  VLLM_ACCESS_CLIENT_SECRET?: string
}

export function secretsOf(config: SecretSource | undefined | null): string[] {
  if (!config) return []
  // The Access client id is not a secret on its own, but it is half of the service token and
  // nothing a caller needs: masked too.
  return [config.VLLM_API_KEY, config.VLLM_ACCESS_CLIENT_SECRET, config.VLLM_ACCESS_CLIENT_ID].filter(
    (s): s is string => typeof s === 'string' && s.length > 0
  )
}

/** JSON string escaping as JSON.stringify writes it, plus the `\/` and `\uXXXX` forms other encoders use. */
function jsonSpellings(s: string): string[] {
  const std = JSON.stringify(s).slice(1, -1)
  const slash = std.replace(/\//gu, '\\/')
  const unicode = Array.from(s, (ch) => {
    const code = ch.codePointAt(0) ?? 0
    if (code >= 0x20 && code < 0x7f && ch !== '"' && ch !== '\\') return ch
    return Array.from(ch)
      .flatMap((c) => {
        const units: string[] = []
        for (let i = 0; i < c.length; i++) units.push(`\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`)
        return units
      })
      .join('')
  }).join('')
  // Upper-case hex (\u002F) is as valid JSON as lower-case, and some encoders write it.
  return [std, slash, unicode, unicode.replace(/\\u[0-9a-f]{4}/gu, (m) => `\\u${m.slice(2).toUpperCase()}`)]
}

function urlSpellings(s: string): string[] {
  const out: string[] = []
  try {
    const upper = encodeURIComponent(s)
    out.push(upper, upper.replace(/%[0-9A-F]{2}/gu, (m) => m.toLowerCase()), upper.replace(/%20/gu, '+'))
    // encodeURIComponent leaves !'()* alone; RFC 3986 strict encoders do not.
    out.push(upper.replace(/[!'()*]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    // Python's urllib.parse.quote leaves "/" alone by default (safe="/"), in either hex case.
    const slash = upper.replace(/%2F/gu, '/')
    out.push(slash, slash.replace(/%[0-9A-F]{2}/gu, (m) => m.toLowerCase()))
  } catch {
    // A lone surrogate cannot be percent-encoded: nobody can have sent it that way either.
  }
  return out
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')
}

// A placeholder such as `<key>` (our own 401 says "Authorization: Bearer <key>") is not a token:
// `<` and `>` are outside RFC 6750's b64token, so no real key is spelled that way.
const BEARER = /\bBearer\s+(?!<[^\s<>]*>(?:[\s"',;]|$))[^\s"',;]+/giu

export type Redactor = (text: string) => string

/** Builds a redactor for these secrets (longest spelling first, so no partial key survives). */
export function createRedactor(secrets: readonly string[]): Redactor {
  const spellings = new Set<string>()
  for (const s of secrets) {
    if (s.length === 0) continue
    for (const v of [s, ...jsonSpellings(s), ...urlSpellings(s)]) if (v.length > 0) spellings.add(v)
  }
  const sorted = [...spellings].sort((a, b) => b.length - a.length)
  const pattern = sorted.length === 0 ? null : new RegExp(sorted.map(escapeRegExp).join('|'), 'gu')
  return (text: string) => {
    let out = pattern === null ? text : text.replace(pattern, REDACTED)
    out = maskCutTail(out, sorted)
    out = out.replace(BEARER, `Bearer ${REDACTED}`)
    return out
  }
}

/**
 * Upstream messages are cut short before they get here (`describeErrorReply` keeps 200 chars),
 * so a key may arrive as a prefix at the very end: a tail of 4 or more chars that starts a
 * secret's spelling is masked too.
 */
function maskCutTail(text: string, spellings: readonly string[]): string {
  let cut = text.length
  for (const s of spellings) {
    for (let n = Math.min(s.length - 1, text.length); n >= MIN_TAIL_CHARS; n--) {
      if (text.endsWith(s.slice(0, n))) {
        cut = Math.min(cut, text.length - n)
        break
      }
    }
  }
  return cut === text.length ? text : `${text.slice(0, cut)}${REDACTED}`
}

const MIN_TAIL_CHARS = 4

const memo = new Map<string, Redactor>()

/** `createRedactor(secretsOf(config))`, memoised per set of secrets (a handful per isolate). */
export function redactorFor(config: SecretSource | undefined | null): Redactor {
  const secrets = secretsOf(config)
  const key = JSON.stringify(secrets)
  let r = memo.get(key)
  if (!r) {
    if (memo.size >= 16) memo.clear()
    r = createRedactor(secrets)
    memo.set(key, r)
  }
  return r
}

/** Redacts every string inside a JSON-like value (for objects logged or answered whole). */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v, redact)
    return out as T
  }
  return value
}
