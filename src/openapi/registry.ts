/**
 * @module openapi/registry
 * Where routes describe themselves for `GET /openapi.json` (OpenAPI 3.1).
 *
 * How to document a route you add (house rule):
 *   1. Mount it as usual in src/app.ts. It appears in /openapi.json at once (the document enumerates
 *      the Hono app's routes at runtime), with a generic "not yet described" entry.
 *   2. Describe it here, next to the route, at module top level:
 *
 *        import { registerOperation, registerSchema } from '../openapi/registry'
 *        registerSchema('FeedbackRequest', feedbackSchema)            // a zod schema, or (config) => schema
 *        registerOperation({
 *          method: 'post', path: '/v1/feedback',                        // OpenAPI path: {id}, not :id
 *          operationId: 'createFeedback', tags: ['Experiments'], summary: 'Record feedback',
 *          requestBody: { schema: 'FeedbackRequest', example: { … } },
 *          responses: { 201: { description: 'Stored', schema: 'FeedbackReceipt' } },
 *          errors: [400, 401, 404, 413],                               // error envelope responses
 *        })
 *
 *      Request schemas should be the very zod schemas the route validates with, so the reference
 *      cannot drift from the behaviour (test/integration/openapi-conformance.test.ts checks that the
 *      rerank endpoints accept what the document allows and reject what it forbids). A schema that
 *      depends on limits is given as `(config) => schema`; the document is built with the live config.
 *   3. Operations registered for a route that is not mounted are left out: the document lists what the
 *      worker serves, nothing else.
 *
 * No Hono here and no I/O: plain data, read by build-document.ts.
 */
import type { z } from 'zod'
import type { Config } from '../config'

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** A zod schema, or a function of the live config for schemas whose limits come from config. */
export type SchemaSource = z.ZodType | ((config: Config) => z.ZodType)

/** Error statuses that answer with the error envelope (src/errors.ts). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 502 | 503 | 504

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
  /** A component schema id (registered with `registerSchema`). */
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
  /** 'optional-bearer': open deployments need no key; with API keys configured, `Authorization: Bearer`. */
  security?: 'none' | 'optional-bearer' | 'bearer'
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

export interface OpenApiRegistry {
  operations: Map<string, OperationDoc>
  schemas: Map<string, SchemaEntry>
  /** Properties that the body schema leaves open (`z.unknown()`) but a later step validates. */
  fieldOverrides: FieldOverride[]
  /** Plain-language descriptions of properties, used where the zod schema carries none. */
  fieldDescriptions: Map<string, Record<string, string>>
}

export function createOpenApiRegistry(): OpenApiRegistry {
  return { operations: new Map(), schemas: new Map(), fieldOverrides: [], fieldDescriptions: new Map() }
}

/** The registry the worker's document is built from. */
export const openApiRegistry: OpenApiRegistry = createOpenApiRegistry()

export function operationKey(method: string, path: string): string {
  return `${method.toLowerCase()} ${path}`
}

export function registerOperation(op: OperationDoc, registry: OpenApiRegistry = openApiRegistry): void {
  registry.operations.set(operationKey(op.method, op.path), op)
}

export function registerSchema(id: string, source: SchemaSource, description?: string, registry: OpenApiRegistry = openApiRegistry): void {
  registry.schemas.set(id, description === undefined ? { source } : { source, description })
}

export function registerFieldOverride(override: FieldOverride, registry: OpenApiRegistry = openApiRegistry): void {
  const i = registry.fieldOverrides.findIndex((o) => o.schema === override.schema && o.property === override.property)
  if (i >= 0) registry.fieldOverrides.splice(i, 1)
  registry.fieldOverrides.push(override)
}

export function registerFieldDescriptions(schema: string, descriptions: Record<string, string>, registry: OpenApiRegistry = openApiRegistry): void {
  registry.fieldDescriptions.set(schema, { ...(registry.fieldDescriptions.get(schema) ?? {}), ...descriptions })
}
