import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatQwen3Document, formatQwen3Query } from './qwen3-prompt'
import { rerankRequestBody } from './vllm-request-body'

const reference = (model: string, query: string, documents: string[]) =>
  Buffer.from(JSON.stringify({ model, query, documents: documents.map(formatQwen3Document) }), 'utf8')

describe('rerankRequestBody', () => {
  it('is byte for byte JSON.stringify of the formatted body, for any text (escapes, non-ASCII, astral)', () => {
    const docs = ['plain', 'quote " back \\ slash', 'line\nbreak\ttab\u0001ctl', '河流三角洲 é ü', '\u{1F600} astral', '', '</think> <|im_end|>']
    const q = formatQwen3Query('Given a web search query', 'rivers "delta"')
    expect(Buffer.from(rerankRequestBody('qwen3-reranker-8b', q, docs).bytes)).toEqual(reference('qwen3-reranker-8b', q, docs))
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.string({ unit: fc.constantFrom('a', '"', '\n', '\\', 'é', '河', '\u{1F600}', '\ud800', '\udc00', '\u0001') }), { maxLength: 8 }), (query, documents) => {
        const body = rerankRequestBody('m"x', query, documents)
        expect(Buffer.from(body.bytes)).toEqual(reference('m"x', query, documents))
        // Each document's own UTF-8 length, as TextEncoder counts it (a lone surrogate: 3, U+FFFD).
        expect(body.documentBytes).toEqual(documents.map((d) => Buffer.byteLength(d, 'utf8')))
      }),
      { numRuns: 300 }
    )
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 8 }), (documents) => {
        expect(Buffer.from(rerankRequestBody('m', 'q', documents).bytes)).toEqual(reference('m', 'q', documents))
      }),
      { numRuns: 300 }
    )
  }, 30_000)

  it('grows its buffer for text that is not ASCII (sized as if it were)', () => {
    const docs = ['河'.repeat(5000), 'a', '\u{1F600}'.repeat(3000)]
    const body = rerankRequestBody('m', 'q', docs)
    expect(Buffer.from(body.bytes)).toEqual(reference('m', 'q', docs))
    expect(body.documentBytes).toEqual([15000, 1, 12000])
  })

  it('writes a lone surrogate as JSON.stringify does (escaped), never as U+FFFD', () => {
    const docs = ['a\ud800b', 'tail\udfff']
    const body = Buffer.from(rerankRequestBody('m', 'q', docs).bytes).toString('utf8')
    expect(body).toBe(JSON.stringify({ model: 'm', query: 'q', documents: docs.map(formatQwen3Document) }))
    expect(body).toContain('\\ud800')
    expect(body).not.toContain('\ufffd')
  })

  it('an empty list', () => {
    expect(Buffer.from(rerankRequestBody('m', 'q', []).bytes).toString('utf8')).toBe('{"model":"m","query":"q","documents":[]}')
  })
})
