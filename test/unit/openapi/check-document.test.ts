import { describe, expect, it } from 'vitest'
import { checkOpenApiDocument } from '../../support/openapi/check-document'

const good = () => ({
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/items/{id}': {
      get: {
        operationId: 'getItem',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } }, default: { $ref: '#/components/responses/Err' } },
      },
    },
  },
  components: {
    schemas: { Item: { type: 'object', properties: { n: { type: 'integer', minimum: 0 } }, required: ['n'] } },
    responses: { Err: { description: 'error' } },
  },
})

/** Sets a value deep inside a fixture (to break it in one place). */
function set(root: unknown, path: Array<string | number>, value: unknown): void {
  let node = root as Record<string | number, unknown>
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>
  node[path[path.length - 1] as string | number] = value
}

describe('checkOpenApiDocument', () => {
  it('accepts a well-formed 3.1 document', () => {
    expect(checkOpenApiDocument(good())).toEqual([])
  })

  it('finds each kind of structural problem', () => {
    const d: unknown = good()
    set(d, ['openapi'], '3.0.3')
    set(d, ['info', 'version'], undefined)
    set(d, ['paths', '/items/{id}', 'get', 'parameters', 0, 'required'], false)
    set(d, ['paths', '/items/{id}', 'post'], { operationId: 'getItem', responses: { 999: { description: 'x' } } })
    set(d, ['paths', 'no-slash'], {})
    set(d, ['components', 'schemas', 'Item', 'properties', 'n', 'minimum'], 'zero')
    set(d, ['components', 'schemas', 'Item', 'properties', 'm'], { type: 'text' })
    set(d, ['components', 'schemas', 'Bad'], { $ref: '#/components/schemas/Missing' })
    const problems = checkOpenApiDocument(d).join('\n')
    expect(problems).toMatch(/\/openapi: expected "3\.1\.x"/u)
    expect(problems).toMatch(/\/info\/version: required string/u)
    expect(problems).toMatch(/path parameter must have required: true/u)
    expect(problems).toMatch(/path parameter \{id\} is not declared/u)
    expect(problems).toMatch(/duplicate operationId getItem/u)
    expect(problems).toMatch(/responses\/999: not an HTTP status code/u)
    expect(problems).toMatch(/a path must start with "\/"/u)
    expect(problems).toMatch(/properties\/n\/minimum: expected a number/u)
    expect(problems).toMatch(/properties\/m\/type: bad type/u)
    expect(problems).toMatch(/unresolvable \$ref #\/components\/schemas\/Missing/u)
  })
})
