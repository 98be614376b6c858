import { describe, expect, it } from 'vitest'
import { zodFieldErrors } from '../lib/zod-error'
import { placeholderNames, templateDefinitionSchema } from './template'

const valid = {
  id: 'demo',
  version: 1,
  description: 'demo',
  language: 'en',
  text: 'Prefer {n} items.',
  variables: { n: { type: 'integer', description: 'n', default: 3, min: 0 } },
  example: { template_vars: { n: 4 } },
}

function errors(def: unknown) {
  const r = templateDefinitionSchema.safeParse(def)
  return r.success ? [] : zodFieldErrors(r.error, 'templates[0]')
}

describe('templateDefinitionSchema', () => {
  it('accepts a valid definition', () => {
    expect(errors(valid)).toEqual([])
  })

  it('finds placeholders, ignoring escaped braces', () => {
    expect(placeholderNames('a {x} {{y}} {z} {x} {1}')).toEqual(['x', 'z'])
  })

  it('checks declarations against the text and defaults against their types', () => {
    expect(errors({ ...valid, text: 'no placeholder' })).toEqual([
      { field: 'templates[0].variables.n', message: 'variable "n" is declared but {n} is not in the text' },
    ])
    expect(errors({ ...valid, variables: { n: { type: 'integer', description: 'n', default: -1, min: 0 } } })).toEqual([
      { field: 'templates[0].variables.n.default', message: 'expected integer ≥ 0, got -1' },
    ])
    expect(errors({ ...valid, variables: { n: { type: 'integer', description: 'n' } } })).toEqual([
      { field: 'templates[0].variables.n', message: 'expected a "default" or "required": true' },
    ])
    expect(errors({ ...valid, variables: { n: { type: 'string', description: 'n', default: 'x', min: 1 } }, example: { template_vars: {} } })).toEqual([
      { field: 'templates[0].variables.n.min', message: '"min" applies to number and integer, not string' },
    ])
    expect(errors({ ...valid, example: { template_vars: { n: 'many' } } })).toEqual([
      { field: 'templates[0].example.template_vars.n', message: 'expected integer ≥ 0, got "many"' },
    ])
    expect(errors({ ...valid, id: 'Bad Id' })[0]?.field).toBe('templates[0].id')
    expect(errors({ ...valid, variables: { ...valid.variables, __proto__x: { type: 'integer', description: 'n', default: 1 } } })).toEqual([
      {
        field: 'templates[0].variables.__proto__x',
        message: 'invalid name: expected a variable name: a letter, then up to 63 letters, digits or "_"',
      },
    ])
  })

  it('validates template-level fusion and boosts', () => {
    expect(errors({ ...valid, fusion: { semantic: -1 } })[0]?.field).toBe('templates[0].fusion.semantic')
    expect(errors({ ...valid, boosts: [{ when: { field: 'x', equals: 1 } }] })[0]?.field).toBe('templates[0].boosts[0].add')
  })
})
