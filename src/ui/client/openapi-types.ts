/**
 * @module ui/client/openapi-types
 * The parts of an OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0) the API reference
 * page reads. Loose on purpose: the page renders whatever src/openapi/build-document.ts produced,
 * and every field may be absent.
 */

/** A JSON Schema 2020-12 node (OpenAPI 3.1 §4.8.24); other keywords are read by name. */
export interface SchemaNode {
  $ref?: string
  type?: string | string[]
  const?: unknown
  enum?: unknown[]
  anyOf?: SchemaNode[]
  oneOf?: SchemaNode[]
  allOf?: SchemaNode[]
  items?: SchemaNode
  properties?: Record<string, SchemaNode>
  additionalProperties?: boolean | SchemaNode
  required?: string[]
  description?: string
  [keyword: string]: unknown
}

export interface ParameterObject {
  $ref?: string
  name?: string
  in?: string
  required?: boolean
  description?: string
  example?: unknown
  schema?: SchemaNode
}

export interface MediaTypeObject {
  schema?: SchemaNode
  example?: unknown
  examples?: Record<string, { value?: unknown } | undefined>
}

export interface ResponseObject {
  $ref?: string
  description?: string
  content?: Record<string, MediaTypeObject | undefined>
}

export interface OperationObject {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  security?: Array<Record<string, unknown>>
  parameters?: ParameterObject[]
  requestBody?: { required?: boolean; content?: Record<string, MediaTypeObject | undefined> }
  responses?: Record<string, ResponseObject>
}

export interface OpenApiDoc {
  info?: { title?: string; version?: string; description?: string }
  'x-limits'?: Record<string, unknown>
  paths?: Record<string, Record<string, OperationObject | undefined>>
  tags?: Array<{ name: string; description?: string }>
  components?: {
    schemas?: Record<string, SchemaNode>
    responses?: Record<string, ResponseObject>
  }
}
