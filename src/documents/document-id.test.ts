import { describe, expect, it } from 'vitest'
import { documentIdKey, documentIdSchema, isDocumentId, MAX_DOCUMENT_ID_CHARS } from './document-id'

describe('document ids', () => {
  it('takes the strings and integers clients send, unchanged', () => {
    for (const id of ['doc-1', '', 'x'.repeat(MAX_DOCUMENT_ID_CHARS), 0, 7, -3, Number.MAX_SAFE_INTEGER]) {
      expect(documentIdSchema.parse(id)).toBe(id)
    }
  })

  it('refuses what String() would make collide or change', () => {
    for (const id of [1.5, 2 ** 53, true, null, ['1'], { id: 1 }, 'x'.repeat(MAX_DOCUMENT_ID_CHARS + 1)]) {
      expect(documentIdSchema.safeParse(id).success, JSON.stringify(id)).toBe(false)
    }
  })

  it('refuses a lone surrogate, which D1 would store as U+FFFD (feedback could never name it)', () => {
    for (const id of ['\ud800', 'a\udc00b', 'x\ud83d']) expect(documentIdSchema.safeParse(id).success, JSON.stringify(id)).toBe(false)
    expect(documentIdSchema.safeParse('\ud83d\ude00').success).toBe(true)
  })

  it('an empty id is no id: the document is named by its index', () => {
    expect(documentIdKey('')).toBeUndefined()
    expect(documentIdKey(0)).toBe('0')
  })

  it('a served id (feedback) follows the same rule, never empty', () => {
    for (const id of ['doc-1', 'x'.repeat(MAX_DOCUMENT_ID_CHARS), 0, -3, Number.MAX_SAFE_INTEGER, '\ud83d\ude00']) expect(isDocumentId(id), JSON.stringify(id)).toBe(true)
    for (const id of ['', '\ud800', 'x'.repeat(MAX_DOCUMENT_ID_CHARS + 1), 1.5, 2 ** 53, true, null, ['1']]) expect(isDocumentId(id), JSON.stringify(id)).toBe(false)
  })

  it('keys 7 and "7" as the same document', () => {
    expect(documentIdKey(7)).toBe('7')
    expect(documentIdKey('7')).toBe('7')
    expect(documentIdKey(-0)).toBe('0')
  })
})
