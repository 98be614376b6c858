/**
 * The OpenAPI document matches what the rerank endpoints accept, in both directions:
 *   - a body the document allows is not rejected (200 from the lexical backend), and
 *   - a body the document forbids is a 400 naming the offending field.
 * The document is the oracle: every sample is classified by validating it against the published
 * JSON Schema (test/support/openapi/json-schema-check.ts, independent of zod), never by this test's own
 * idea of what should pass. Samples: boundary and wrong-type mutations generated from each
 * property's schema, random bodies generated from the schema with fast-check, and hand-made nested
 * cases (time_decay, fusion, folding, documents).
 *
 * Limits the document cannot state in JSON Schema are prose in its descriptions and are kept out
 * of the "allowed ⇒ accepted" direction here (STATEFUL, and calendar validity of dates).
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { asObject, resolvePointer, validateJson, valueAt as at, type JsonSchema } from '../support/openapi/json-schema-check'
import { callWorker, rerank } from './helpers'

type Obj = Record<string, unknown>

// Small limits so boundaries are cheap to reach; the document is generated with the same config.
const vars = {
  VLLM_URLS: '',
  LOG_REQUESTS: 'false',
  MAX_DOCUMENTS: '4',
  MAX_QUERY_CHARS: '40',
  MAX_DOCUMENT_CHARS: '60',
  MAX_INSTRUCTION_CHARS: '50',
}

/** Valid values of these name things that must exist on the server (a template, an experiment). */
const STATEFUL = new Set(['template', 'template_vars', 'experiment'])

let doc: Obj
let bodySchema: JsonSchema
let properties: Record<string, JsonSchema>

const allowed = (body: unknown) => validateJson(bodySchema, body, doc)
/** The schema object behind any `$ref`s. */
const resolve = (s: unknown): Obj => {
  let node = asObject(s, 'schema')
  for (let i = 0; i < 10 && typeof node.$ref === 'string'; i++) node = asObject(resolvePointer(doc, node.$ref), node.$ref)
  return node
}
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

beforeAll(async () => {
  const res = await callWorker('/openapi.json', undefined, { vars })
  doc = asObject(await res.json())
  bodySchema = asObject(at(doc, 'paths', '/v1/rerank', 'post', 'requestBody', 'content', 'application/json', 'schema'))
  properties = asObject(resolve(bodySchema).properties) as Record<string, JsonSchema>
})

const base = { query: 'json parse', documents: ['parse json with json.loads', 'unrelated text'] }

/** Sends `body` and checks the endpoint agrees with the document about it. */
async function expectAgreement(body: Obj, label: string, path = '/v1/rerank'): Promise<'accepted' | 'rejected'> {
  const issues = allowed(body)
  const res = await rerank(body, { vars, path })
  if (issues.length === 0) {
    expect(res.status, `${label}: the document allows it, the endpoint said ${res.text.slice(0, 300)}`).toBe(200)
    return 'accepted'
  }
  expect(res.status, `${label}: the document forbids it (${issues[0]?.path}: ${issues[0]?.message}), the endpoint said ${res.text.slice(0, 200)}`).toBe(400)
  const head = (issues[0]?.path ?? '').split(/[.[]/u)[0] as string
  expect(res.json.error.field, label).toEqual(expect.any(String))
  expect(String(res.json.error.field).split(/[.[]/u)[0], `${label}: field named`).toBe(head)
  return 'rejected'
}

/** A value of a JSON type the schema does not accept at all, found by asking the document. */
function wrongTypeValue(schema: JsonSchema): unknown {
  for (const v of [42, 'x', true, ['x'], { x: 1 }, 1.5, null]) if (validateJson(schema, v, doc).length > 0) return v
  return undefined
}

const HUGE = 1e9

/** Values on both sides of each bound the schema states (strings, numbers, arrays). */
function boundaryValues(schema: unknown, depth = 0): unknown[] {
  const s = resolve(schema)
  const out: unknown[] = []
  if (depth < 2) for (const alt of [...list(s.anyOf), ...list(s.oneOf)]) out.push(...boundaryValues(alt, depth + 1))
  const types = (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]).map(String)
  const [minLength, maxLength, minimum, maximum, exclusiveMinimum, minItems, maxItems] = [
    s.minLength, s.maxLength, s.minimum, s.maximum, s.exclusiveMinimum, s.minItems, s.maxItems,
  ].map(num)
  if (types.includes('string')) {
    const examples = list(s.examples).filter((e): e is string => typeof e === 'string')
    if (examples.length > 0) {
      // A pattern-constrained string (dates): its documented examples, and one that breaks the pattern.
      out.push(...examples, 'not a date')
    } else {
      if (maxLength !== undefined && maxLength <= 10_000) out.push('x'.repeat(maxLength), 'x'.repeat(maxLength + 1))
      if (minLength !== undefined && minLength > 0) out.push('x'.repeat(minLength - 1), 'x'.repeat(minLength))
    }
  }
  if (types.includes('integer') || types.includes('number')) {
    if (minimum !== undefined && Math.abs(minimum) < HUGE) out.push(minimum, minimum - 1)
    if (maximum !== undefined && Math.abs(maximum) < HUGE) out.push(maximum, maximum + 1)
    if (exclusiveMinimum !== undefined) out.push(exclusiveMinimum, exclusiveMinimum + 0.5)
    if (types.includes('integer') && !types.includes('number')) out.push(2.5)
  }
  if (types.includes('array') && s.items !== undefined) {
    const item = sampleValue(s.items)
    if (maxItems !== undefined && maxItems <= 200) out.push(Array(maxItems).fill(item), Array(maxItems + 1).fill(item))
    if (minItems !== undefined && minItems > 0) out.push(Array(minItems - 1).fill(item))
    if (depth < 2) for (const b of boundaryValues(s.items, depth + 1)) out.push([b])
  }
  if (Array.isArray(s.enum)) out.push(...s.enum, 'zz-not-in-enum')
  return out
}

/** One simple value the schema allows (strings get "f", numbers their minimum). */
function sampleValue(schema: unknown): unknown {
  const s = resolve(schema)
  const alternatives = [...list(s.anyOf), ...list(s.oneOf)]
  if (alternatives.length > 0) return sampleValue(alternatives[0])
  if (Array.isArray(s.examples)) return s.examples[0]
  if (Array.isArray(s.enum)) return s.enum[0]
  if (s.const !== undefined) return s.const
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  const minimum = num(s.minimum)
  if (type === 'string') return 'f'.repeat(Math.max(1, num(s.minLength) ?? 1))
  if (type === 'integer' || type === 'number') return minimum !== undefined && Math.abs(minimum) < HUGE ? minimum : 1
  if (type === 'boolean') return true
  if (type === 'array') return []
  return {}
}

describe('the document matches what POST /v1/rerank accepts', () => {
  it('states the configured limits (the test below relies on them)', () => {
    expect(resolve(properties.query).maxLength).toBe(40)
    expect(resolve(properties.documents).maxItems).toBe(4)
    expect(allowed(base)).toEqual([])
  })

  it('wrong-type values of every field: the document forbids them and the endpoint answers 400 naming the field', async () => {
    const names = Object.keys(properties)
    expect(names.length).toBeGreaterThanOrEqual(15)
    for (const name of names) {
      const v = wrongTypeValue(properties[name] as JsonSchema)
      expect(v, `a wrong-type value for ${name}`).not.toBeUndefined()
      expect(await expectAgreement({ ...base, [name]: v }, `${name} = ${JSON.stringify(v)}`)).toBe('rejected')
    }
    // Required fields missing.
    expect(await expectAgreement({ documents: base.documents }, 'no query')).toBe('rejected')
    expect(await expectAgreement({ query: 'q' }, 'no documents')).toBe('rejected')
  })

  it('both sides of every stated bound agree with the endpoint', async () => {
    let accepted = 0
    let rejected = 0
    for (const [name, schema] of Object.entries(properties)) {
      for (const v of boundaryValues(schema)) {
        const body = { ...base, [name]: v }
        if (STATEFUL.has(name) && allowed(body).length === 0) continue
        if ((await expectAgreement(body, `${name} = ${JSON.stringify(v).slice(0, 80)}`)) === 'accepted') accepted++
        else rejected++
      }
    }
    // Both directions were exercised, many times.
    expect(accepted).toBeGreaterThan(15)
    expect(rejected).toBeGreaterThan(15)
  })

  it('nested objects (time_decay, fusion, folding, documents) agree with the endpoint', async () => {
    const cases: Array<[string, unknown]> = [
      ['time_decay', { kind: 'exponential', half_life_days: 30 }],
      ['time_decay', { kind: 'exponential', half_life_days: 0 }],
      ['time_decay', { kind: 'exponential' }],
      ['time_decay', { kind: 'linear', half_life_days: 3 }],
      ['time_decay', { kind: 'step', after_days: 30, factor: 0.8 }],
      ['time_decay', { kind: 'step', after_days: 30, factor: 1.5 }],
      ['time_decay', { kind: 'exponential', half_life_days: 30, missing: 2 }],
      ['time_decay', { kind: 'exponential', half_life_days: 30, extra: 1 }],
      ['fusion', { weights: { semantic: 1, business: 0.5 } }],
      ['fusion', { weights: { semantic: -1 } }],
      ['fusion', { weights: { model: 1 } }],
      ['fusion', { boosts: [{ name: 'stocked', when: { field: 'stock', gte: 10 }, add: 0.1 }] }],
      ['fusion', { boosts: [{ source_order: ['court', 'ministry', 'blog'] }] }],
      ['fusion', { boosts: [{ when: { field: 'stock', gte: 10 }, add: 2 }] }],
      ['fusion', { boosts: 'all' }],
      ['folding', { language: 'zh' }],
      ['folding', { language: 'fr' }],
      ['now', '2024-03-01T12:00:00Z'],
      ['now', 'tomorrow'],
      ['documents', [{ text: 'a', published_at: '2024-03' }, 'b']],
      ['documents', [{ text: 'a', published_at: 'yesterday' }]],
      ['documents', [{ text: 'a', fields: { stock: 5, new: true, colour: 'red' } }]],
      ['documents', [{ text: 'a', fields: { stock: { n: 1 } } }]],
      ['documents', [{ text: 5 }]],
      ['documents', [{ text: 'a', id: 1.5 }]],
      ['documents', [{ text: 'a', id: 'doc-1', source: 'x'.repeat(257) }]],
    ]
    const outcomes = new Set<string>()
    for (const [name, v] of cases) {
      if (!(name in properties)) continue
      outcomes.add(`${name}:${await expectAgreement({ ...base, [name]: v, now: name === 'now' ? v : '2025-01-01T00:00:00Z' }, `${name} = ${JSON.stringify(v)}`)}`)
    }
    for (const name of ['time_decay', 'fusion', 'documents']) {
      expect(outcomes).toContain(`${name}:accepted`)
      expect(outcomes).toContain(`${name}:rejected`)
    }
  })

  it('random bodies generated from the schema are accepted by all three rerank paths', async () => {
    const text = (max: number) => fc.oneof(fc.string({ minLength: 1, maxLength: Math.min(max, 24) }), fc.constantFrom('中文查询', 'linen dress', 'json.loads'))
    const limit = (name: string) => num(resolve(properties[name]).maxLength) ?? 0
    const examples = (schema: unknown) => list(resolve(schema).examples).map(String)
    const documentsSchema = resolve(properties.documents)
    const [stringDoc, objectDoc] = list(resolve(documentsSchema.items).anyOf).map(resolve)
    const docArb = fc.oneof(
      text(num(stringDoc?.maxLength) ?? 0),
      fc.record(
        {
          text: text(num(at(objectDoc, 'properties', 'text', 'maxLength')) ?? 0),
          id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: -1000, max: 1000 })),
          published_at: fc.constantFrom(...examples(at(objectDoc, 'properties', 'published_at'))),
          source: fc.string({ maxLength: 20 }),
          fields: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()), { maxKeys: 3 }),
        },
        { requiredKeys: ['text'] }
      )
    )
    const bodyArb = fc.record(
      {
        query: text(limit('query')),
        documents: fc.array(docArb, { minLength: num(documentsSchema.minItems) ?? 1, maxLength: num(documentsSchema.maxItems) ?? 1 }),
        model: fc.string({ maxLength: 20 }),
        top_n: fc.integer({ min: 0, max: 10 }),
        return_documents: fc.boolean(),
        max_tokens_per_doc: fc.integer({ min: 1, max: 5000 }),
        instruction: text(limit('instruction')),
        user: fc.string({ maxLength: 20 }),
        explain: fc.boolean(),
        now: fc.constantFrom(...examples(properties.now)),
        time_decay: fc.record({ kind: fc.constant('exponential'), half_life_days: fc.double({ min: 0.5, max: 365, noNaN: true }) }),
      },
      { requiredKeys: ['query', 'documents'] }
    )
    const samples = fc.sample(bodyArb, { seed: 20261125, numRuns: 40 })
    const paths = ['/v1/rerank', '/v2/rerank', '/rerank']
    for (const [i, body] of samples.entries()) {
      expect(allowed(body), `sample ${i} is allowed by the document`).toEqual([])
      expect(await expectAgreement(body, `random sample ${i}: ${JSON.stringify(body).slice(0, 160)}`, paths[i % 3])).toBe('accepted')
    }
  }, 30_000)
})
