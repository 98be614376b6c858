import { describe, expect, it } from 'vitest'
import { zodToApiError } from '../errors'
import {
  experimentCreateSchema,
  experimentSchemas,
  experimentUpdateSchema,
  experimentVariantsSchema,
  MAX_STORED_VARIANTS_BYTES,
} from './experiment-schema'

const valid = {
  id: 'support-instr-v2',
  name: 'Support instruction v2',
  variants: [
    { key: 'control', weight: 0.5, instruction: 'Given a support question, retrieve the answer' },
    { key: 'templated', weight: 0.5, template: 'support', template_vars: { product: 'edge', year: 2026 } },
  ],
}

/** The first issue as the API will report it: `field` and message. */
function firstError(schema: { safeParse: (v: unknown) => { success: boolean; error?: unknown } }, body: unknown) {
  const r = schema.safeParse(body)
  expect(r.success).toBe(false)
  const err = zodToApiError(r.error as Parameters<typeof zodToApiError>[0])
  return { field: err.field, message: err.message }
}

describe('experimentCreateSchema', () => {
  it('refuses a seed D1 could not store as sent (a lone surrogate), and keeps a well-formed one', () => {
    expect(firstError(experimentCreateSchema, { ...valid, seed: 'salt-\ud800' }).field).toBe('seed')
    expect(firstError(experimentUpdateSchema, { seed: '\udfff' }).field).toBe('seed')
    expect(experimentCreateSchema.parse({ ...valid, seed: 'sél-🌱' }).seed).toBe('sél-🌱')
  })

  it('accepts a valid body and fills the defaults', () => {
    const r = experimentCreateSchema.parse(valid)
    expect(r).toMatchObject({ coverage: 1, seed: null, hash_version: 2, status: 'draft', description: '' })
    expect(r.variants).toHaveLength(2)
  })

  it('accepts a string[] template variable (templates declare that type)', () => {
    const body = { ...valid, variants: [valid.variants[0], { ...valid.variants[1], template_vars: { glossary: ['a', 'b'] } }] }
    expect(experimentCreateSchema.safeParse(body).success).toBe(true)
  })

  it('accepts weights within GrowthBook tolerance (sum 0.9999)', () => {
    const body = { ...valid, variants: [{ ...valid.variants[0], weight: 0.4 }, { ...valid.variants[1], weight: 0.5999 }] }
    expect(experimentCreateSchema.safeParse(body).success).toBe(true)
  })

  it.each([
    ['id', { ...valid, id: 'Bad Id!' }, 'id', /slug/],
    ['id missing', { ...valid, id: undefined }, 'id', /required/],
    ['coverage 0', { ...valid, coverage: 0 }, 'coverage', /> 0/],
    ['coverage > 1', { ...valid, coverage: 1.2 }, 'coverage', /≤ 1/],
    ['status', { ...valid, status: 'paused' }, 'status', /draft, running, stopped/],
    ['hash version', { ...valid, hash_version: 3 }, 'hash_version', /1 or 2/],
    ['one variant', { ...valid, variants: [valid.variants[0]] }, 'variants', /at least 2 variants/],
    [
      'eleven variants',
      { ...valid, variants: Array.from({ length: 11 }, (_, i) => ({ key: `v${i}`, weight: 1 / 11, instruction: 'x' })) },
      'variants',
      /at most 10 variants/,
    ],
    [
      'weights sum 0.9',
      { ...valid, variants: [{ ...valid.variants[0], weight: 0.4 }, valid.variants[1]] },
      'variants',
      /sum to 1 .*they sum to 0\.9/,
    ],
    [
      'negative weight',
      { ...valid, variants: [{ ...valid.variants[0], weight: -0.5 }, valid.variants[1]] },
      'variants[0].weight',
      /≥ 0/,
    ],
    [
      'both instruction and template',
      { ...valid, variants: [{ ...valid.variants[0], template: 'support' }, valid.variants[1]] },
      'variants[0].template',
      /either instruction or template, not both/,
    ],
    [
      'neither instruction nor template',
      { ...valid, variants: [{ key: 'control', weight: 0.5 }, valid.variants[1]] },
      'variants[0].instruction',
      /required: an instruction, or a template/,
    ],
    [
      'template_vars without template',
      { ...valid, variants: [{ ...valid.variants[0], template_vars: { a: 'b' } }, valid.variants[1]] },
      'variants[0].template_vars',
      /only allowed together with template/,
    ],
    [
      'duplicate keys',
      { ...valid, variants: [valid.variants[0], { ...valid.variants[1], key: 'control' }] },
      'variants[1].key',
      /duplicate variant key "control"/,
    ],
    [
      'empty instruction',
      { ...valid, variants: [{ ...valid.variants[0], instruction: '   ' }, valid.variants[1]] },
      'variants[0].instruction',
      /must not be empty/,
    ],
    [
      'template var of a wrong type',
      { ...valid, variants: [valid.variants[0], { ...valid.variants[1], template_vars: { x: { y: 1 } } }] },
      'variants[1].template_vars.x',
      /must be a string .*, number or boolean/,
    ],
    [
      'more than 64 template variables',
      { ...valid, variants: [valid.variants[0], { ...valid.variants[1], template_vars: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`v${i}`, 1])) }] },
      'variants[1].template_vars',
      /at most 64 variables/,
    ],
    ['unknown field', { ...valid, colour: 'red' }, 'colour', /^colour: unknown field/],
  ])('rejects %s, naming the field', (_name, body, field, message) => {
    const e = firstError(experimentCreateSchema, body)
    expect(e.field).toBe(field)
    expect(e.message).toMatch(message)
  })

  it('takes the instruction limit from config', () => {
    const long = 'x'.repeat(2001)
    const body = { ...valid, variants: [{ ...valid.variants[0], instruction: long }, valid.variants[1]] }
    expect(firstError(experimentCreateSchema, body)).toMatchObject({ field: 'variants[0].instruction' })
    expect(experimentSchemas({ maxInstructionChars: 5000 }).create.safeParse(body).success).toBe(true)
  })

  it('refuses variants whose stored JSON would pass D1\'s value limit (a 400 naming variants and the limit), on create and update', () => {
    const schemas = experimentSchemas({ maxInstructionChars: 100_000 })
    // Ten CJK instructions of 31,000 characters: 93,000 bytes each, 930,000 in all, each one within MAX_INSTRUCTION_CHARS.
    const arms = (chars: number) => Array.from({ length: 10 }, (_, i) => ({ key: `a${i}`, weight: 0.1, instruction: '字'.repeat(chars) }))
    for (const [schema, body] of [
      [schemas.create, { ...valid, variants: arms(31_000) }],
      [schemas.update, { variants: arms(31_000) }],
    ] as const) {
      const e = firstError(schema, body)
      expect(e.field).toBe('variants')
      expect(e.message).toMatch(new RegExp(`too large to store: \\d+ bytes .*at most ${MAX_STORED_VARIANTS_BYTES}`))
    }
    // Just under: 29,000 characters an arm are 870,000 bytes of instructions and the JSON around them.
    const under = arms(29_000)
    expect(new TextEncoder().encode(JSON.stringify(under)).byteLength).toBeLessThanOrEqual(MAX_STORED_VARIANTS_BYTES)
    expect(schemas.create.safeParse({ ...valid, variants: under }).success).toBe(true)
  })
})

describe('experimentUpdateSchema', () => {
  it('does not fill defaults for fields it does not mention', () => {
    expect(experimentUpdateSchema.parse({ status: 'stopped' })).toEqual({ status: 'stopped' })
  })

  it('needs at least one field to change', () => {
    expect(firstError(experimentUpdateSchema, { version: 3 }).message).toMatch(/nothing to update/)
    expect(firstError(experimentUpdateSchema, {}).message).toMatch(/nothing to update/)
  })

  it('re-validates variants and refuses the id', () => {
    expect(firstError(experimentUpdateSchema, { variants: [valid.variants[0]] }).field).toBe('variants')
    expect(firstError(experimentUpdateSchema, { id: 'other', status: 'running' }).message).toMatch(/id/)
  })
})

describe('experimentVariantsSchema', () => {
  it('parses the stored JSON column', () => {
    expect(experimentVariantsSchema.parse(JSON.parse(JSON.stringify(valid.variants)))).toEqual(valid.variants)
  })
})
