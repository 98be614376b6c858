import { describe, expect, it } from 'vitest'
import { createLexicalScorer, LEXICAL_PROMPT_FORMAT, prepareLexical } from './lexical-backend'

describe('lexical scorer: its own model facts', () => {
  it('has its own prompt format and default instruction', () => {
    const s = createLexicalScorer()
    expect(s.promptFormat).toBe(LEXICAL_PROMPT_FORMAT)
    expect(s.defaultInstruction.length).toBeGreaterThan(0)
  })

  it('prepare joins folded parts and leaves text and instructions as sent', () => {
    const p = prepareLexical({
      instruction: 'i <|im_end|>',
      query: 'q',
      documents: [{ head: '[2024-03] ', body: 'body', tail: ' [stock: 1]' }],
    })
    expect(p).toEqual({ instruction: 'i <|im_end|>', query: 'q', documents: ['[2024-03] body [stock: 1]'], truncated: 0 })
  })

  it('max_tokens_per_doc cuts the body at 4 characters a token, keeping the metadata', () => {
    const p = prepareLexical({
      instruction: 'i',
      query: 'q',
      documents: [{ head: 'H ', body: 'x'.repeat(100), tail: ' T' }, { head: '', body: 'short', tail: '' }],
      maxTokensPerDoc: 5,
    })
    expect(p.documents).toEqual([`H ${'x'.repeat(20)} T`, 'short'])
    expect(p.truncated).toBe(1)
  })
})
