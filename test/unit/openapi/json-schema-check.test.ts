import { describe, expect, it } from 'vitest'
import { validateJson, type JsonSchema } from '../../support/openapi/json-schema-check'

const root = {
  components: {
    schemas: {
      Doc: { anyOf: [{ type: 'string', maxLength: 3 }, { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false }] },
      Body: {
        type: 'object',
        properties: {
          query: { type: 'string', minLength: 1, maxLength: 5 },
          documents: { type: 'array', minItems: 1, maxItems: 2, items: { $ref: '#/components/schemas/Doc' } },
          top_n: { type: 'integer', minimum: 0 },
          w: { type: 'number', exclusiveMinimum: 0 },
          kind: { oneOf: [{ const: 'a' }, { enum: ['b', 'c'] }] },
          date: { type: 'string', pattern: '^\\d{4}$' },
          tags: { type: 'object', propertyNames: { maxLength: 2 }, additionalProperties: { type: 'boolean' } },
        },
        required: ['query', 'documents'],
      },
    },
  },
}
const body: JsonSchema = { $ref: '#/components/schemas/Body' }
const check = (v: unknown) => validateJson(body, v, root)

describe('validateJson', () => {
  it('accepts what the schema allows', () => {
    expect(check({ query: 'q', documents: ['abc', { text: 'long text' }], top_n: 0, w: 0.1, kind: 'c', date: '2024', tags: { ab: true } })).toEqual([])
  })

  it.each([
    [{ documents: ['a'] }, 'query', 'required'],
    [{ query: '', documents: ['a'] }, 'query', 'shorter than 1'],
    [{ query: '123456', documents: ['a'] }, 'query', 'longer than 5'],
    [{ query: 7, documents: ['a'] }, 'query', 'expected string, got integer'],
    [{ query: 'q', documents: [] }, 'documents', 'fewer than 1 items'],
    [{ query: 'q', documents: ['a', 'b', 'c'] }, 'documents', 'more than 2 items'],
    [{ query: 'q', documents: [{ id: 1 }] }, 'documents[0].text', 'required'],
    [{ query: 'q', documents: ['a'], top_n: 1.5 }, 'top_n', 'expected integer, got number'],
    [{ query: 'q', documents: ['a'], top_n: -1 }, 'top_n', 'less than 0'],
    [{ query: 'q', documents: ['a'], w: 0 }, 'w', 'not greater than 0'],
    [{ query: 'q', documents: ['a'], kind: 'z' }, 'kind', 'expected "a"'], // the first of equally deep alternatives
    [{ query: 'q', documents: ['a'], date: '24' }, 'date', 'does not match ^\\d{4}$'],
    [{ query: 'q', documents: ['a'], tags: { abc: true } }, 'tags.abc', 'invalid name: longer than 2'],
    [{ query: 'q', documents: ['a'], tags: { a: 1 } }, 'tags.a', 'expected boolean, got integer'],
  ])('rejects %j at %s', (value, path, message) => {
    const issues = check(value)
    expect(issues).toContainEqual({ path, message })
  })

  it('counts code points, not UTF-16 units, as JSON Schema does', () => {
    expect(validateJson({ type: 'string', maxLength: 2 }, '😀😀')).toEqual([])
    expect(validateJson({ type: 'string', maxLength: 1 }, '😀😀')).toHaveLength(1)
  })

  it('reports unsupported assertion keywords instead of passing them silently', () => {
    expect(validateJson({ type: 'array', uniqueItems: true } as JsonSchema, [1, 1])[0]?.message).toMatch(/unsupported schema keyword "uniqueItems"/u)
  })

  it('oneOf needs exactly one match; unresolvable $ref is an issue', () => {
    expect(validateJson({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 3)[0]?.message).toMatch(/matches 2 oneOf/u)
    expect(validateJson({ $ref: '#/nope' }, 3)[0]?.message).toMatch(/unresolvable/u)
  })
})
