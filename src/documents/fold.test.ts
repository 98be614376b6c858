import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StructuredDocument } from './document'
import { DEFAULT_FOLDING, foldDocument, foldDocumentParts, foldingOptionsSchema } from './fold'

const zh = foldingOptionsSchema.parse({
  language: 'zh',
  field_labels: { stock: { label: '库存', unit: '件' }, price: { label: '价格', unit: '元' } },
})

describe('foldDocument', () => {
  it('leaves a string document and a metadata-free object unchanged', () => {
    expect(foldDocument('plain text')).toBe('plain text')
    expect(foldDocument({ text: 'plain text', id: 'a' })).toBe('plain text')
    expect(foldDocument({ text: 'plain text', fields: {} })).toBe('plain text')
  })

  it('folds date (month), source and fields in English by default', () => {
    const doc: StructuredDocument = {
      text: 'Linen dress',
      published_at: '2024-03-15T10:00:00Z',
      source: 'Acme Store',
      fields: { stock: 127, is_new: true },
    }
    expect(foldDocument(doc)).toBe('[2024-03] [Source: Acme Store] Linen dress [is_new: yes] [stock: 127]')
  })

  it('folds in Chinese with labels and units', () => {
    const doc: StructuredDocument = {
      text: '亚麻连衣裙',
      published_at: '2024-03-15',
      source: '最高人民法院公报',
      fields: { stock: 127, price: 199 },
    }
    expect(foldDocument(doc, zh)).toBe('[2024-03] [来源: 最高人民法院公报] 亚麻连衣裙【价格: 199元】【库存: 127件】')
  })

  it('honours date granularity and never invents precision', () => {
    const doc = { text: 't', published_at: '2024-03-15' }
    const at = (date: 'off' | 'year' | 'month' | 'day') => foldDocument(doc, { ...DEFAULT_FOLDING, date })
    expect(at('year')).toBe('[2024] t')
    expect(at('month')).toBe('[2024-03] t')
    expect(at('day')).toBe('[2024-03-15] t')
    expect(at('off')).toBe('t')
    expect(foldDocument({ text: 't', published_at: '2024-03' }, { ...DEFAULT_FOLDING, date: 'day' })).toBe('[2024-03] t')
  })

  it('skips an unparsable date instead of printing it', () => {
    expect(foldDocument({ text: 't', published_at: 'last week' })).toBe('t')
  })

  it('emits an explicit field list in its order and skips absent fields', () => {
    const options = foldingOptionsSchema.parse({ fields: ['stock', 'missing', 'price'] })
    expect(foldDocument({ text: 't', fields: { price: 9.9, stock: 3, color: 'red' } }, options)).toBe('t [stock: 3] [price: 9.9]')
  })

  it('can switch source and fields off, and relabel the source', () => {
    const doc = { text: 't', source: 'court', fields: { a: 1 } }
    expect(foldDocument(doc, { ...DEFAULT_FOLDING, source: false, fields: 'off' })).toBe('t')
    expect(foldDocument(doc, { ...DEFAULT_FOLDING, source_label: 'From', fields: 'off' })).toBe('[From: court] t')
  })

  it('flattens newlines in metadata and cuts long values', () => {
    const options = foldingOptionsSchema.parse({ max_value_chars: 5 })
    expect(foldDocument({ text: 't', source: 'a\nb', fields: { note: 'abcdefghij' } }, options)).toBe('[Source: a b] t [note: abcd…]')
  })

  it('handles an empty text without stray spaces', () => {
    expect(foldDocument({ text: '', fields: { a: 1 } })).toBe('[a: 1]')
    expect(foldDocument({ text: '', source: 's' })).toBe('[Source: s]')
  })

  it('rejects unknown option keys with a field-level error', () => {
    const r = foldingOptionsSchema.safeParse({ granularity: 'day' })
    expect(r.success).toBe(false)
  })

  const fieldsArb = fc.dictionary(
    fc.stringMatching(/^[a-z_]{1,8}$/),
    fc.oneof(fc.string({ maxLength: 12 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
    { maxKeys: 6 },
  )
  const docArb = fc.record(
    {
      text: fc.string({ maxLength: 30 }),
      published_at: fc.constantFrom('2024', '2024-03', '2023-12-31', '2024-03-15T10:00:00+08:00', 'nope'),
      source: fc.string({ maxLength: 12 }),
      fields: fieldsArb,
    },
    { requiredKeys: ['text'] },
  )

  it('property: deterministic and independent of the fields key order', () => {
    fc.assert(
      fc.property(docArb, fc.boolean(), (doc, zhLang) => {
        const options = zhLang ? zh : DEFAULT_FOLDING
        const once = foldDocument(doc, options)
        expect(foldDocument(structuredClone(doc), options)).toBe(once)
        if (doc.fields !== undefined) {
          const reversed = Object.fromEntries(Object.entries(doc.fields).reverse())
          expect(foldDocument({ ...doc, fields: reversed }, options)).toBe(once)
        }
      }),
    )
  }, 30_000)

  it('property: a document without metadata folds to its text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(foldDocument(text)).toBe(text)
        expect(foldDocument({ text }, zh)).toBe(text)
      }),
    )
  }, 30_000)
})

describe('foldDocumentParts', () => {
  it('splits the folded text into metadata head, the caller text and metadata tail', () => {
    const doc: StructuredDocument = { text: 'Linen dress', published_at: '2024-03-15', source: 'Acme', fields: { stock: 127 } }
    expect(foldDocumentParts(doc)).toEqual({ head: '[2024-03] [Source: Acme] ', body: 'Linen dress', tail: ' [stock: 127]' })
    expect(foldDocumentParts({ text: '亚麻连衣裙', fields: { stock: 127 } }, zh)).toEqual({ head: '', body: '亚麻连衣裙', tail: '【库存: 127件】' })
    expect(foldDocumentParts('plain')).toEqual({ head: '', body: 'plain', tail: '' })
  })

  it('joins to exactly foldDocument, for any document and options', () => {
    const docs = fc.record(
      {
        text: fc.string(),
        published_at: fc.constantFrom('2024', '2024-03', '2024-03-15', 'not a date'),
        source: fc.string({ maxLength: 20 }),
        fields: fc.dictionary(fc.stringMatching(/^[a-z][a-z_]{0,8}$/u), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean()), { maxKeys: 3 }),
      },
      { requiredKeys: ['text'] }
    )
    fc.assert(
      fc.property(docs, fc.constantFrom(DEFAULT_FOLDING, zh), (doc, options) => {
        const p = foldDocumentParts(doc, options)
        expect(p.head + p.body + p.tail).toBe(foldDocument(doc, options))
        expect(p.body).toBe(doc.text)
      })
    )
  }, 30_000)
})
