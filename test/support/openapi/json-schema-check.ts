/**
 * @module test/support/openapi/json-schema-check
 * A small JSON Schema (draft 2020-12) validator for the keywords zod's `toJSONSchema` emits, used to
 * ask the OpenAPI document itself whether it allows a request (test/integration/openapi-conformance).
 * Independent of zod on purpose: it reads the published document, so it checks what callers read.
 *
 * Supported: $ref (JSON pointers into `root`), type, enum, const, properties, required,
 * additionalProperties, propertyNames, items, prefixItems, minItems, maxItems, minLength, maxLength
 * (in code points, JSON Schema §6.3.1), pattern (ECMA-262, `u` flag), minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, multipleOf, anyOf, oneOf, allOf, not. Annotations
 * (description, default, examples, format, title) are ignored, as the specification says for `format`
 * by default (§7.2). An unsupported assertion keyword is reported, never silently passed.
 * Pure.
 */

export type JsonSchema = boolean | { [k: string]: unknown }

export interface SchemaIssue {
  /** JSON path of the offending value, e.g. `documents[1].text`. */
  path: string
  message: string
}

const ANNOTATIONS = new Set([
  '$schema', '$id', '$comment', '$defs', 'description', 'title', 'default', 'examples', 'format', 'deprecated', 'readOnly', 'writeOnly',
  'contentMediaType', 'contentEncoding', 'id',
])
const SUPPORTED = new Set([
  '$ref', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'prefixItems',
  'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'multipleOf', 'anyOf', 'oneOf', 'allOf', 'not', 'minProperties', 'maxProperties',
])

export function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`only local $ref is supported: ${ref}`)
  const parts = ref.slice(1).split('/').slice(1).map((p) => p.replace(/~1/gu, '/').replace(/~0/gu, '~'))
  let node: unknown = root
  for (const p of parts) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, p)) return undefined
    node = (node as Record<string, unknown>)[p]
  }
  return node
}

function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

function typeMatches(type: string, v: unknown): boolean {
  const t = jsonType(v)
  if (type === 'number') return t === 'number' || t === 'integer'
  return t === type
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`
}

/** Every way `value` breaks `schema` (empty: it is valid). `root` resolves `$ref`s. */
export function validateJson(schema: JsonSchema, value: unknown, root: unknown = schema, path = ''): SchemaIssue[] {
  if (schema === true) return []
  if (schema === false) return [{ path, message: 'no value is allowed here' }]
  const s = schema
  const issues: SchemaIssue[] = []
  const fail = (message: string, at = path) => issues.push({ path: at, message })
  for (const k of Object.keys(s)) {
    if (!SUPPORTED.has(k) && !ANNOTATIONS.has(k) && !k.startsWith('x-')) fail(`unsupported schema keyword "${k}"`)
  }

  if (typeof s.$ref === 'string') {
    const target = resolvePointer(root, s.$ref)
    if (target === undefined) fail(`unresolvable $ref ${s.$ref}`)
    else issues.push(...validateJson(target as JsonSchema, value, root, path))
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]
    if (!types.some((t) => typeMatches(t, value))) {
      fail(`expected ${types.join(' or ')}, got ${jsonType(value)}`)
      return issues
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) fail(`expected one of ${JSON.stringify(s.enum)}`)
  if (s.const !== undefined && !deepEqual(s.const, value)) fail(`expected ${JSON.stringify(s.const)}`)

  if (typeof value === 'string') {
    const length = [...value].length
    if (typeof s.minLength === 'number' && length < s.minLength) fail(`shorter than ${s.minLength}`)
    if (typeof s.maxLength === 'number' && length > s.maxLength) fail(`longer than ${s.maxLength}`)
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) fail(`does not match ${s.pattern}`)
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) fail(`less than ${s.minimum}`)
    if (typeof s.maximum === 'number' && value > s.maximum) fail(`greater than ${s.maximum}`)
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) fail(`not greater than ${s.exclusiveMinimum}`)
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) fail(`not less than ${s.exclusiveMaximum}`)
    if (typeof s.multipleOf === 'number' && !Number.isInteger(value / s.multipleOf)) fail(`not a multiple of ${s.multipleOf}`)
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) fail(`fewer than ${s.minItems} items`)
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`more than ${s.maxItems} items`)
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchema[]) : []
    value.forEach((item, i) => {
      const itemSchema = i < prefix.length ? prefix[i] : (s.items as JsonSchema | undefined)
      if (itemSchema !== undefined) issues.push(...validateJson(itemSchema, item, root, join(path, i)))
    })
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj)
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) fail(`fewer than ${s.minProperties} properties`)
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) fail(`more than ${s.maxProperties} properties`)
    for (const r of Array.isArray(s.required) ? (s.required as string[]) : []) {
      if (!Object.hasOwn(obj, r)) fail('required', join(path, r))
    }
    const props = (s.properties ?? {}) as Record<string, JsonSchema>
    for (const k of keys) {
      if (s.propertyNames !== undefined) {
        for (const issue of validateJson(s.propertyNames as JsonSchema, k, root, join(path, k))) fail(`invalid name: ${issue.message}`, issue.path)
      }
      if (Object.hasOwn(props, k)) issues.push(...validateJson(props[k] as JsonSchema, obj[k], root, join(path, k)))
      else if (s.additionalProperties !== undefined) issues.push(...validateJson(s.additionalProperties as JsonSchema, obj[k], root, join(path, k)))
    }
  }

  if (Array.isArray(s.allOf)) for (const sub of s.allOf as JsonSchema[]) issues.push(...validateJson(sub, value, root, path))
  if (Array.isArray(s.anyOf)) {
    const results = (s.anyOf as JsonSchema[]).map((sub) => validateJson(sub, value, root, path))
    if (!results.some((r) => r.length === 0)) issues.push(...bestAlternative(results, path, 'anyOf'))
  }
  if (Array.isArray(s.oneOf)) {
    const results = (s.oneOf as JsonSchema[]).map((sub) => validateJson(sub, value, root, path))
    const passing = results.filter((r) => r.length === 0).length
    if (passing === 0) issues.push(...bestAlternative(results, path, 'oneOf'))
    else if (passing > 1) fail(`matches ${passing} oneOf alternatives, expected exactly 1`)
  }
  if (s.not !== undefined && validateJson(s.not as JsonSchema, value, root, path).length === 0) fail('matches a schema it must not match')
  return issues
}

/** The alternative that got deepest names the field best (as lib/zod-error.ts does for zod). */
function bestAlternative(results: SchemaIssue[][], path: string, keyword: string): SchemaIssue[] {
  const depth = (r: SchemaIssue[]) => Math.max(...r.map((i) => i.path.length))
  const best = [...results].sort((a, b) => depth(b) - depth(a))[0]
  return best && best.length > 0 ? best : [{ path, message: `matches no ${keyword} alternative` }]
}

/** The value at a path of keys (unescaped), or undefined: `valueAt(doc, 'paths', '/v1/rerank', 'post')`. */
export function valueAt(root: unknown, ...keys: Array<string | number>): unknown {
  let node: unknown = root
  for (const k of keys) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, k)) return undefined
    node = (node as Record<string | number, unknown>)[k]
  }
  return node
}

/** `value` as a plain object; throws (a failed assertion in tests) when it is not one. */
export function asObject(value: unknown, what = 'value'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${what} is not an object`)
  return value as Record<string, unknown>
}
