/**
 * @module openapi/operation-doc
 * The shape of an endpoint's description for `GET /openapi.json` (OpenAPI 3.1): plain data, no
 * Hono, no I/O. Every description lives in one place, core-operations.ts; build-document.ts reads
 * them and lists only the routes the running app mounts.
 *
 * Documenting a new route: mount it in src/app.ts (it appears in /openapi.json at once, with a
 * generic "not yet described" entry), then add its operation to `OPERATIONS` and its schemas to
 * `SCHEMAS` in core-operations.ts. Request schemas should be the very zod schemas the route
 * validates with, so the reference cannot drift from the behaviour
 * (test/integration/openapi-conformance.test.ts checks that the rerank endpoints accept what the
 * document allows and reject what it forbids). A schema that depends on limits is given as
 * `(config) => schema`; the document is built with the live config.
 */
import type { z } from 'zod'
import type { Config } from '../config'

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** A zod schema, or a function of the live config for schemas whose limits come from config. */
export type SchemaSource = z.ZodType | ((config: Config) => z.ZodType)

/** Error statuses that answer with the error envelope (src/errors.ts). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 408 | 409 | 413 | 415 | 429 | 500 | 502 | 503 | 504

export interface ParameterDoc {
  name: string
  in: 'path' | 'query' | 'header'
  description: string
  required?: boolean
  schema?: Record<string, unknown>
  example?: unknown
}

export interface ResponseDoc {
  description: string
  /** A component schema id (core-operations.ts `SCHEMAS`). */
  schema?: string
  /** Defaults to application/json when `schema` is set. */
  contentType?: string
  /** Response header component names (e.g. 'Cache-Status'). */
  headers?: string[]
  example?: unknown
}

export interface OperationDoc {
  method: HttpMethod
  /** OpenAPI path template, `/v1/experiments/{id}`. */
  path: string
  operationId: string
  summary: string
  description?: string
  tags: string[]
  parameters?: ParameterDoc[]
  requestBody?: { schema: string; description?: string; required?: boolean; example?: unknown; examples?: Record<string, { summary: string; value: unknown }> }
  responses: Record<number, ResponseDoc>
  errors?: ErrorStatus[]
}

export interface SchemaEntry {
  source: SchemaSource
  description?: string
}

export interface FieldOverride {
  /** The component schema whose property is described. */
  schema: string
  /** Top-level property name. */
  property: string
  /** The component schema id the property is really validated against (by the pipeline, not the body schema). */
  ref: string
}

/** Everything the document is built from (core-operations.ts `coreDescriptions()`). */
export interface OpenApiDescriptions {
  operations: Map<string, OperationDoc>
  schemas: Map<string, SchemaEntry>
  /** Properties that the body schema leaves open (`z.unknown()`) but a later step validates. */
  fieldOverrides: FieldOverride[]
  /** Plain-language descriptions of properties, used where the zod schema carries none. */
  fieldDescriptions: Map<string, Record<string, string>>
}

export function operationKey(method: string, path: string): string {
  return `${method.toLowerCase()} ${path}`
}
