/**
 * The rerank routes write their JSON answer as UTF-8 bytes themselves (routes/rerank.ts, cheaper
 * than a string body in workerd): the wire must stay what `c.json` sent, i.e. `Content-Type:
 * application/json` and the UTF-8 encoding of the serialised response, whatever the documents hold.
 */
import { describe, expect, it } from 'vitest'
import { callWorker } from './helpers'

// CJK, an astral emoji (a surrogate pair in JS), an accented Latin-1 letter, a quote and a
// backslash, and a lone surrogate sent as a JSON escape (valid JSON, not a well-formed string).
const DOCS = ['河流三角洲 delta', 'rain 🌧 and café', 'say "hi" \\ there', 'lone \ud800 half']

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

describe('rerank response body', () => {
  for (const path of ['/v1/rerank', '/v2/rerank', '/rerank']) {
    it(`${path}: application/json, valid UTF-8, documents returned character for character`, async () => {
      const res = await callWorker(path, { query: 'rivers', documents: DOCS, return_documents: true }, { vars: { VLLM_URLS: '' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('cache-status')).toMatch(/^rerank-edge/u)
      const bytes = new Uint8Array(await res.arrayBuffer())
      const text = STRICT_UTF8.decode(bytes)
      const json = JSON.parse(text) as { results: Array<{ index: number; document: { text: string } }> }
      expect(json.results).toHaveLength(DOCS.length)
      for (const r of json.results) expect(r.document.text).toBe(DOCS[r.index])
      // JSON.stringify escapes a lone surrogate (ES2019 well-formed JSON.stringify), so the bytes
      // hold `\ud800` as six ASCII characters, never a replacement character.
      expect(text).toContain('lone \\ud800 half')
      expect(text).not.toContain('\ufffd')
      // Exactly the serialisation c.json would have sent, byte for byte.
      expect(bytes).toEqual(new TextEncoder().encode(JSON.stringify(json)))
    })
  }
})
