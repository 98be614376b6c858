/**
 * @module test/support/openapi/check-document
 * A structural check of an OpenAPI 3.1 document, after the OpenAPI Specification 3.1.0 (§4.8): the
 * required fields of each object, status-code keys, unique operationIds, path templating matched by
 * path parameters, every `$ref` resolving inside the document, and every schema being a
 * well-formed JSON Schema 2020-12 schema (keyword value types per JSON Schema Validation §6).
 * Returns the problems found, each with a JSON pointer; an empty list means well-formed. Pure.
 * Test support only: test/unit/openapi/official-schema.test.ts validates against the official 3.1
 * meta-schema as well; this check names the place of each problem.
 */
import { resolvePointer } from './json-schema-check'

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const OPERATION_KEYS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
const PATH_ITEM_KEYS = new Set<string>([...OPERATION_KEYS, '$ref', 'summary', 'description', 'servers', 'parameters'])
const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'])
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', '$defs', 'dependentSchemas']
const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else', 'contains', 'unevaluatedItems', 'unevaluatedProperties']
const SCHEMA_ARRAY_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems']
const NON_NEGATIVE_INT_KEYWORDS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minContains', 'maxContains']
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']

export function checkOpenApiDocument(doc: unknown): string[] {
  const problems: string[] = []
  const bad = (at: string, message: string) => problems.push(`${at || '/'}: ${message}`)
  if (!isObj(doc)) return ['/: the document is not an object']

  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/u.test(doc.openapi)) bad('/openapi', `expected "3.1.x", got ${JSON.stringify(doc.openapi)}`)
  if (!isObj(doc.info)) bad('/info', 'required object')
  else {
    if (typeof doc.info.title !== 'string' || doc.info.title === '') bad('/info/title', 'required string')
    if (typeof doc.info.version !== 'string' || doc.info.version === '') bad('/info/version', 'required string')
    if (doc.info.license !== undefined) {
      const l = doc.info.license
      if (!isObj(l) || typeof l.name !== 'string') bad('/info/license', 'expected { name }')
      else if (l.identifier !== undefined && l.url !== undefined) bad('/info/license', 'identifier and url are mutually exclusive')
    }
  }
  if (doc.paths === undefined && doc.components === undefined && doc.webhooks === undefined) bad('/', 'expected at least one of paths, components, webhooks')
  if (doc.servers !== undefined) {
    if (!Array.isArray(doc.servers)) bad('/servers', 'expected an array')
    else doc.servers.forEach((s, i) => { if (!isObj(s) || typeof s.url !== 'string') bad(`/servers/${i}`, 'expected { url }') })
  }
  if (doc.tags !== undefined) {
    const names = new Set<string>()
    if (!Array.isArray(doc.tags)) bad('/tags', 'expected an array')
    else doc.tags.forEach((t, i) => {
      if (!isObj(t) || typeof t.name !== 'string') bad(`/tags/${i}`, 'expected { name }')
      else if (names.has(t.name)) bad(`/tags/${i}`, `duplicate tag ${t.name}`)
      else names.add(t.name)
    })
  }

  const operationIds = new Set<string>()
  if (doc.paths !== undefined) {
    if (!isObj(doc.paths)) bad('/paths', 'expected an object')
    else {
      for (const [path, item] of Object.entries(doc.paths)) {
        const at = `/paths/${path.replace(/~/gu, '~0').replace(/\//gu, '~1')}`
        if (!path.startsWith('/')) bad(at, 'a path must start with "/"')
        if (!isObj(item)) { bad(at, 'expected a path item object'); continue }
        for (const k of Object.keys(item)) if (!PATH_ITEM_KEYS.has(k) && !k.startsWith('x-')) bad(`${at}/${k}`, 'not a path item field')
        const templated = [...path.matchAll(/\{([^}]+)\}/gu)].map((m) => m[1] as string)
        for (const method of OPERATION_KEYS) {
          const op = item[method]
          if (op === undefined) continue
          const opAt = `${at}/${method}`
          if (!isObj(op)) { bad(opAt, 'expected an operation object'); continue }
          if (op.operationId !== undefined) {
            if (typeof op.operationId !== 'string') bad(`${opAt}/operationId`, 'expected a string')
            else if (operationIds.has(op.operationId)) bad(`${opAt}/operationId`, `duplicate operationId ${op.operationId}`)
            else operationIds.add(op.operationId)
          }
          const params = [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])]
            .map((p) => (isObj(p) && typeof p.$ref === 'string' ? resolvePointer(doc, p.$ref) : p))
          const pathParams: string[] = []
          const seen = new Set<string>()
          params.forEach((p, i) => {
            const pAt = `${opAt}/parameters/${i}`
            if (!isObj(p) || typeof p.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(String(p.in))) {
              bad(pAt, 'expected { name, in: query|header|path|cookie }')
              return
            }
            const key = `${String(p.in)}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`
            if (seen.has(key)) bad(pAt, `duplicate parameter ${key}`)
            seen.add(key)
            if (p.in === 'path') {
              pathParams.push(p.name)
              if (p.required !== true) bad(pAt, 'a path parameter must have required: true')
            }
            if ((p.schema === undefined) === (p.content === undefined)) bad(pAt, 'exactly one of schema and content')
          })
          for (const name of templated) if (!pathParams.includes(name)) bad(opAt, `path parameter {${name}} is not declared`)
          for (const name of pathParams) if (!templated.includes(name)) bad(opAt, `parameter ${name} is not in the path template`)
          if (op.requestBody !== undefined) {
            const rb = isObj(op.requestBody) && typeof op.requestBody.$ref === 'string' ? resolvePointer(doc, op.requestBody.$ref) : op.requestBody
            if (!isObj(rb) || !isObj(rb.content)) bad(`${opAt}/requestBody`, 'expected { content }')
          }
          if (!isObj(op.responses) || Object.keys(op.responses).length === 0) bad(`${opAt}/responses`, 'expected at least one response')
          else {
            for (const [status, r] of Object.entries(op.responses)) {
              const rAt = `${opAt}/responses/${status}`
              if (!/^(default|[1-5](\d\d|XX))$/u.test(status)) bad(rAt, 'not an HTTP status code, range or "default"')
              const resolved = isObj(r) && typeof r.$ref === 'string' ? resolvePointer(doc, r.$ref) : r
              if (!isObj(resolved) || typeof resolved.description !== 'string') bad(rAt, 'expected a response object with a description')
            }
          }
        }
      }
    }
  }

  if (doc.components !== undefined) {
    if (!isObj(doc.components)) bad('/components', 'expected an object')
    else {
      for (const [kind, entries] of Object.entries(doc.components)) {
        if (!isObj(entries)) { bad(`/components/${kind}`, 'expected a map'); continue }
        for (const name of Object.keys(entries)) if (!/^[a-zA-Z0-9.\-_]+$/u.test(name)) bad(`/components/${kind}/${name}`, 'component names must match ^[a-zA-Z0-9.\\-_]+$')
      }
      const headers = isObj(doc.components.headers) ? doc.components.headers : {}
      for (const [name, h] of Object.entries(headers)) {
        if (isObj(h) && (h.name !== undefined || h.in !== undefined)) bad(`/components/headers/${name}`, 'a header object has no name or in')
      }
      const schemes = isObj(doc.components.securitySchemes) ? doc.components.securitySchemes : {}
      for (const [name, s] of Object.entries(schemes)) {
        if (!isObj(s) || !['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes(String(s.type))) bad(`/components/securitySchemes/${name}`, 'bad type')
        else if (s.type === 'http' && typeof s.scheme !== 'string') bad(`/components/securitySchemes/${name}`, 'http needs scheme')
      }
    }
  }

  // Every $ref resolves; every schema is well formed.
  walk(doc, '', (node, at) => {
    if (typeof node.$ref === 'string' && resolvePointer(doc, node.$ref) === undefined) bad(at, `unresolvable $ref ${node.$ref}`)
  })
  forEachSchema(doc, (schema, at) => checkSchema(schema, at, bad))
  return problems
}

function walk(node: unknown, at: string, visit: (node: Obj, at: string) => void): void {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}/${i}`, visit))
  else if (isObj(node)) {
    visit(node, at)
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k.replace(/~/gu, '~0').replace(/\//gu, '~1')}`, visit)
  }
}

/** Calls `visit` for each top-level schema: components.schemas, parameter, header and media schemas. */
function forEachSchema(doc: Obj, visit: (schema: unknown, at: string) => void): void {
  const components = isObj(doc.components) ? doc.components : {}
  for (const [name, s] of Object.entries(isObj(components.schemas) ? components.schemas : {})) visit(s, `/components/schemas/${name}`)
  walk(doc, '', (node, at) => {
    if (at.startsWith('/components/schemas')) return
    if (node.schema !== undefined && (typeof node.in === 'string' || at.includes('/content/') || at.includes('/headers/'))) visit(node.schema, `${at}/schema`)
  })
}

function checkSchema(schema: unknown, at: string, bad: (at: string, message: string) => void): void {
  if (typeof schema === 'boolean') return
  if (!isObj(schema)) { bad(at, 'a schema must be an object or a boolean'); return }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && JSON_TYPES.has(t))) bad(`${at}/type`, `bad type ${JSON.stringify(schema.type)}`)
  }
  if (schema.required !== undefined && (!Array.isArray(schema.required) || !schema.required.every((r) => typeof r === 'string'))) bad(`${at}/required`, 'expected an array of strings')
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) bad(`${at}/enum`, 'expected an array')
  if (schema.pattern !== undefined) {
    try {
      new RegExp(String(schema.pattern), 'u')
    } catch {
      bad(`${at}/pattern`, 'not a valid ECMA-262 regular expression')
    }
  }
  for (const k of NON_NEGATIVE_INT_KEYWORDS) {
    const v = schema[k]
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) bad(`${at}/${k}`, 'expected a non-negative integer')
  }
  for (const k of NUMBER_KEYWORDS) if (schema[k] !== undefined && typeof schema[k] !== 'number') bad(`${at}/${k}`, 'expected a number')
  if (typeof schema.minLength === 'number' && typeof schema.maxLength === 'number' && schema.minLength > schema.maxLength) bad(at, 'minLength > maxLength')
  if (typeof schema.minItems === 'number' && typeof schema.maxItems === 'number' && schema.minItems > schema.maxItems) bad(at, 'minItems > maxItems')
  if (typeof schema.minimum === 'number' && typeof schema.maximum === 'number' && schema.minimum > schema.maximum) bad(at, 'minimum > maximum')
  if (schema.$schema !== undefined || schema.$id !== undefined) bad(at, '$schema/$id belong to standalone schemas, not OpenAPI components')
  for (const k of SCHEMA_MAP_KEYWORDS) {
    const m = schema[k]
    if (m === undefined) continue
    if (!isObj(m)) bad(`${at}/${k}`, 'expected a map of schemas')
    else for (const [name, sub] of Object.entries(m)) checkSchema(sub, `${at}/${k}/${name}`, bad)
  }
  for (const k of SCHEMA_KEYWORDS) if (schema[k] !== undefined) checkSchema(schema[k], `${at}/${k}`, bad)
  for (const k of SCHEMA_ARRAY_KEYWORDS) {
    const list = schema[k]
    if (list === undefined) continue
    if (!Array.isArray(list) || list.length === 0) bad(`${at}/${k}`, 'expected a non-empty array of schemas')
    else list.forEach((sub, i) => checkSchema(sub, `${at}/${k}/${i}`, bad))
  }
}
