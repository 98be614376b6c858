import { describe, expect, it } from 'vitest'
import { createRedactor, redactDeep, redactorFor, REDACTED, secretsOf } from './redact-secrets'

// A key with characters that JSON and URL encoders rewrite.
const KEY = 'sk-live/Ab+9"q\\z=w x'

describe('redactor', () => {
  const redact = createRedactor([KEY])
  const shapes: Record<string, string> = {
    raw: `Incorrect API key provided: ${KEY}`,
    json: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }),
    jsonSlash: JSON.stringify({ detail: KEY }).replace(/\//gu, '\\/'),
    jsonUnicode: `{"error":"${Array.from(KEY, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"}`.replace(
      /\\u00(2[0-9a-f]|[3-7][0-9a-f])/gu,
      (m, h: string) => (['22', '5c'].includes(h) ? m : String.fromCharCode(parseInt(h, 16)))
    ),
    url: `GET /v1/rerank?api_key=${encodeURIComponent(KEY)}`,
    urlLower: `api_key=${encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/gu, (m) => m.toLowerCase())}`,
    form: `api_key=${encodeURIComponent(KEY).replace(/%20/gu, '+')}`,
    bearer: `Authorization: Bearer ${KEY}`,
    // Python's urllib.parse.quote (safe="/"): every other reserved character encoded.
    pythonQuote: `GET /score?key=${encodeURIComponent(KEY).replace(/%2F/gu, '/')}`,
  }
  // The same \u escapes in upper-case hex (\u005C, as some encoders write them).
  shapes.jsonUnicodeUpper = (shapes.jsonUnicode as string).replace(/\\u[0-9a-f]{4}/gu, (m) => `\\u${m.slice(2).toUpperCase()}`)
  for (const [name, text] of Object.entries(shapes)) {
    it(`masks the key written ${name}`, () => {
      const out = redact(text)
      expect(out).toContain(REDACTED)
      expect(out).not.toContain(KEY)
      expect(out).not.toContain(JSON.stringify(KEY).slice(1, -1))
      expect(out).not.toContain(encodeURIComponent(KEY))
      expect(out).not.toContain('sk-live')
    })
  }

  it('masks a key cut short at the end of a truncated message, and any other bearer token', () => {
    expect(redact(`Incorrect API key provided: ${KEY.slice(0, 9)}`)).toBe(`Incorrect API key provided: ${REDACTED}`)
    expect(redact('proxy said: Bearer abc.def-123')).toBe(`proxy said: Bearer ${REDACTED}`)
    expect(redact('proxy said: Bearer <abc.def-123')).toBe(`proxy said: Bearer ${REDACTED}`)
  })

  it('leaves a placeholder such as "Bearer <key>" readable', () => {
    expect(redact('missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"')).toBe('missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"')
  })

  it('leaves text without a secret alone', () => {
    expect(redact('backend answered 500: CUDA error')).toBe('backend answered 500: CUDA error')
    expect(createRedactor([])('anything at all')).toBe('anything at all')
  })

  it('takes the key, the Access secret and the Access client id from the config, and redacts deep values', () => {
    const config = { VLLM_API_KEY: 'k-123456', VLLM_ACCESS_CLIENT_ID: 'id-abcdef.access', VLLM_ACCESS_CLIENT_SECRET: 'sec-987654' }
    expect(secretsOf(config)).toEqual(['k-123456', 'sec-987654', 'id-abcdef.access'])
    const r = redactorFor(config)
    const value = { a: ['k-123456 and sec-987654'], b: { c: 'id-abcdef.access', n: 3 } }
    expect(redactDeep(value, r)).toEqual({ a: [`${REDACTED} and ${REDACTED}`], b: { c: REDACTED, n: 3 } })
  })
})
