/**
 * Every malformed request gets a 4xx JSON error that names the field; none gets a 5xx.
 */
import { describe, expect, it } from 'vitest'
import { callWorker, rerank } from './helpers'

const ok = { query: 'q', documents: ['a', 'b'] }

const bad: Array<[name: string, body: unknown, status: number, field: string | RegExp]> = [
  ['missing query', { documents: ['a'] }, 400, 'query'],
  ['empty query', { query: '', documents: ['a'] }, 400, 'query'],
  ['query not a string', { query: 42, documents: ['a'] }, 400, 'query'],
  ['missing documents', { query: 'q' }, 400, 'documents'],
  ['documents not an array', { query: 'q', documents: 'a' }, 400, 'documents'],
  ['empty documents', { query: 'q', documents: [] }, 400, 'documents'],
  ['document a number', { query: 'q', documents: ['a', 7] }, 400, /^documents\[1\]/u],
  ['document object without text', { query: 'q', documents: [{ id: 'x' }] }, 400, 'documents[0].text'],
  ['document text not a string', { query: 'q', documents: [{ text: 5 }] }, 400, 'documents[0].text'],
  ['bad published_at', { query: 'q', documents: [{ text: 'a', published_at: 'yesterday' }] }, 400, 'documents[0].published_at'],
  ['bad field value', { query: 'q', documents: [{ text: 'a', fields: { stock: { n: 1 } } }] }, 400, /^documents\[0\]\.fields\.stock/u],
  ['top_n negative', { ...ok, top_n: -1 }, 400, 'top_n'],
  ['top_n fractional', { ...ok, top_n: 1.5 }, 400, 'top_n'],
  ['top_n a string', { ...ok, top_n: '3' }, 400, 'top_n'],
  ['return_documents not boolean', { ...ok, return_documents: 'yes' }, 400, 'return_documents'],
  ['max_tokens_per_doc zero', { ...ok, max_tokens_per_doc: 0 }, 400, 'max_tokens_per_doc'],
  ['instruction not a string', { ...ok, instruction: ['x'] }, 400, 'instruction'],
  ['now not a date', { ...ok, now: 'tomorrow' }, 400, 'now'],
  ['explain not boolean', { ...ok, explain: 1 }, 400, 'explain'],
]

describe('validation', () => {
  for (const [name, body, status, field] of bad) {
    it(`${name} → ${status} naming ${String(field)}`, async () => {
      const res = await rerank(body, { vars: { VLLM_URLS: '' } })
      expect(res.status).toBe(status)
      expect(res.headers.get('content-type')).toMatch(/application\/json/u)
      if (typeof field === 'string') expect(res.json.error.field).toBe(field)
      else expect(res.json.error.field).toMatch(field)
      expect(res.json.error.message).toContain(res.json.error.field ?? '')
      expect(res.json.request_id).toBeTruthy()
    })
  }

  it('too many documents names the limit', async () => {
    const res = await rerank({ query: 'q', documents: Array(6).fill('d') }, { vars: { VLLM_URLS: '', MAX_DOCUMENTS: '5' } })
    expect(res.status).toBe(400)
    expect(res.json.error.field).toBe('documents')
    expect(res.json.error.message).toMatch(/at most 5 documents/u)
  })

  it('over-long query and document name their limits', async () => {
    const q = await rerank({ query: 'x'.repeat(11), documents: ['a'] }, { vars: { VLLM_URLS: '', MAX_QUERY_CHARS: '10' } })
    expect(q.status).toBe(400)
    expect(q.json.error.message).toMatch(/at most 10 characters/u)
    const d = await rerank({ query: 'q', documents: ['a', 'y'.repeat(21)] }, { vars: { VLLM_URLS: '', MAX_DOCUMENT_CHARS: '20' } })
    expect(d.json.error.field).toBe('documents[1]')
    const i = await rerank({ ...ok, instruction: 'z'.repeat(31) }, { vars: { VLLM_URLS: '', MAX_INSTRUCTION_CHARS: '30' } })
    expect(i.json.error.field).toBe('instruction')
  })

  it('a body over the byte limit is 413 naming the limit', async () => {
    const res = await rerank({ query: 'q', documents: ['x'.repeat(5000)] }, { vars: { VLLM_URLS: '', MAX_BODY_BYTES: '2048' } })
    expect(res.status).toBe(413)
    expect(res.json.error.code).toBe('payload_too_large')
    expect(res.json.error.message).toMatch(/2048 bytes/u)
  })

  it('invalid JSON, non-object bodies and empty bodies are 400', async () => {
    for (const raw of ['{"query": ', '[1,2]', '"str"', 'null', '']) {
      const res = await rerank(undefined, { rawBody: raw, method: 'POST', vars: { VLLM_URLS: '' } })
      expect(res.status, raw).toBe(400)
      expect(res.json.error.field).toBe('body')
    }
    // A UTF-8 byte-order mark is skipped, so the body is parsed (and then misses `query`).
    const bom = await rerank(undefined, { rawBody: '\uFEFF{}', method: 'POST', vars: { VLLM_URLS: '' } })
    expect(bom.json.error.field).toBe('query')
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])
    const res = await rerank(undefined, { rawBody: bytes, method: 'POST', vars: { VLLM_URLS: '' } })
    expect(res.status).toBe(400)
    expect(res.json.error.message).toMatch(/UTF-8/u)
  })

  it('unknown fields are ignored and reported in meta.warnings', async () => {
    const res = await rerank({ ...ok, instrution: 'typo', priority: 0 }, { vars: { VLLM_URLS: '' } })
    expect(res.status).toBe(200)
    expect(res.json.meta.warnings).toEqual(expect.arrayContaining(['unknown field "instrution" ignored', 'unknown field "priority" ignored']))
  })

  it('a __proto__ key does not pollute anything', async () => {
    const res = await rerank(undefined, {
      rawBody: '{"query":"q","documents":["a"],"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}',
      method: 'POST',
      vars: { VLLM_URLS: '' },
    })
    expect(res.status).toBe(200)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('404 and 405 are JSON', async () => {
    const nf = await callWorker('/nope')
    expect(nf.status).toBe(404)
    expect(((await nf.json()) as { error: { code: string } }).error.code).toBe('not_found')
    const na = await callWorker('/v1/rerank', undefined, { method: 'GET' })
    expect(na.status).toBe(405)
    expect(na.headers.get('allow')).toBe('POST')
    expect(((await na.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed')
  })

  it('a bad config var is a clear 500 naming the var, not a crash', async () => {
    const res = await rerank(ok, { vars: { VLLM_URLS: 'not a url' } })
    expect(res.status).toBe(500)
    expect(res.json.error.message).toMatch(/VLLM_URLS/u)
  })
})
