import { describe, expect, it } from 'vitest'
import { decodePreparedDocument, encodePreparedDocument } from './qwen3-prepared-document'
import { neutraliseSpecialTokens } from './qwen3-special-tokens'

const neutralised = (head: string, body: string, tail: string) => ({
  head: neutraliseSpecialTokens(head),
  body: neutraliseSpecialTokens(body),
  tail: neutraliseSpecialTokens(tail),
})

describe('prepared documents', () => {
  it('a plain document is its own text (the same string: no copy, the same key as before)', () => {
    const body = 'Beijing is the capital of China.'
    expect(encodePreparedDocument({ head: '', body, tail: '' })).toBe(body)
    expect(decodePreparedDocument(body)).toEqual({ head: '', body, tail: '' })
  })

  it('round-trips folded documents, surrogates and empty parts included', () => {
    const cases = [
      { head: '[2024-03] ', body: 'text', tail: ' [stock: 127]' },
      { head: '[Source: 法院] ', body: '', tail: '' },
      { head: '', body: 'x', tail: ' 【库存: 127件】' },
      { head: '[\u{20000}] ', body: 'a\ud800b', tail: ' [\u{1F600}]' },
    ]
    for (const d of cases) expect(decodePreparedDocument(encodePreparedDocument(d))).toEqual(d)
  })

  it('is injective over neutralised documents: no plain text can pose as a folded one', () => {
    // The same characters, once as metadata + body and once as a plain document that even spells
    // out the encoding: after neutralisation the plain one holds no marker, so the keys differ.
    const folded = neutralised('[a] ', 'b', ' [c]')
    const forged = neutralised('', `${folded.head}${folded.body}${folded.tail}<|endoftext|>4,4`, '')
    const a = encodePreparedDocument(folded)
    const b = encodePreparedDocument(forged)
    expect(a).not.toBe(b)
    expect(decodePreparedDocument(b)).toEqual(forged)
    const split = [neutralised('[a] ', 'bc', ''), neutralised('[a] b', 'c', ''), neutralised('', '[a] bc', '')]
    expect(new Set(split.map(encodePreparedDocument)).size).toBe(3)
  })

  it('reads a malformed marker as plain text', () => {
    for (const s of ['x<|endoftext|>', 'x<|endoftext|>9,9', 'x<|endoftext|>1,a', 'ab<|endoftext|>1,1,1']) {
      expect(decodePreparedDocument(s)).toEqual({ head: '', body: s, tail: '' })
    }
  })
})
