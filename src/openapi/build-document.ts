/**
 * @module openapi/build-document
 * Builds the OpenAPI 3.1 document served at `GET /openapi.json`.
 *
 * How it stays true:
 *  - Paths and methods come from the running Hono app's route table (route-paths.ts), so every
 *    endpoint the worker serves is listed, and nothing it does not serve.
 *  - Each operation's description comes from core-operations.ts; routes nobody described yet still
 *    appear, with a generic entry.
 *  - Schemas are the zod validators themselves, converted with zod 4's `z.toJSONSchema` (JSON Schema
 *    draft 2020-12, the dialect OpenAPI 3.1 uses: OAS 3.1.0 §4.8.24), in `io: 'input'` mode so that
 *    fields with defaults are optional as callers see them. Config-dependent schemas (the rerank
 *    request's limits) are built with the live `Config`, so every `maxLength`/`maxItems` is the one
 *    enforced.
 *  - Refinements zod cannot express in JSON Schema (cross-field rules, date parsing) are described in
 *    prose; `unrepresentable: 'any'` turns custom checks into `{}` instead of failing.
 * Pure: no I/O, no clock.
 */
import { z } from 'zod'
import { accessRuleFor } from '../auth/route-access'
import type { Config } from '../config'
import type { ERROR_CODES } from './doc-schemas'
import { coreDescriptions } from './core-operations'
import { collectPaths, type PathEntry, type RouteRecord } from './route-paths'
import { operationKey, type ErrorStatus, type OpenApiDescriptions, type OperationDoc } from './operation-doc'

const API_VERSION = '0.1.0'
const SCHEMA_PREFIX = '#/components/schemas/'

type Json = Record<string, unknown>

export interface OpenApiDocument {
  openapi: string
  info: Json
  servers: Json[]
  tags: Json[]
  paths: Record<string, Record<string, Json>>
  components: { schemas: Record<string, Json>; responses: Record<string, Json>; headers: Record<string, Json>; securitySchemes: Record<string, Json> }
  'x-limits': Record<string, number>
  [k: string]: unknown
}

interface ErrorResponseInfo {
  name: string
  codes: (typeof ERROR_CODES)[number][]
  description: (config: Config) => string
  headers?: string[]
}

/** The error envelope's statuses (src/errors.ts STATUS), with what each means here. */
const ERROR_RESPONSES: Record<ErrorStatus, ErrorResponseInfo> = {
  400: {
    name: 'BadRequest',
    codes: ['invalid_request', 'invalid_json'],
    description: () => 'A field is wrong: `error.field` names it (`query`, `documents[3].text`, `template_vars.year`, or `body` for a body that is not a JSON object).',
  },
  401: { name: 'Unauthorized', codes: ['unauthorized'], description: () => 'Missing or unknown API key (only when the deployment configures API keys).' },
  403: { name: 'Forbidden', codes: ['forbidden'], description: () => 'The API key lacks the scope this endpoint needs.' },
  404: { name: 'NotFound', codes: ['not_found'], description: () => 'No such route, or no such resource.' },
  405: {
    name: 'MethodNotAllowed',
    codes: ['method_not_allowed'],
    description: () => 'The path exists but not for this method; `Allow` lists the methods that are.',
    headers: ['Allow'],
  },
  408: {
    name: 'RequestTimeout',
    codes: ['request_timeout'],
    description: () => 'The request body did not arrive in time (10 s plus 64 KiB/s of its declared length): a `Content-Length` larger than the bytes sent, or a stalled upload.',
  },
  409: { name: 'Conflict', codes: ['conflict'], description: () => 'A concurrent change won (stale `version`), or the resource already exists.' },
  413: {
    name: 'PayloadTooLarge',
    codes: ['payload_too_large'],
    description: (c) => `The body is larger than the limit of ${c.MAX_BODY_BYTES} bytes (MAX_BODY_BYTES); the message states the limit.`,
  },
  415: {
    name: 'UnsupportedMediaType',
    codes: ['unsupported_media_type'],
    description: () => 'The body was sent with a `Content-Encoding` (gzip, br, deflate, …): request bodies are read as sent, uncompressed; `Accept-Encoding: identity` says so.',
    headers: ['Accept-Encoding'],
  },
  429: {
    name: 'TooManyRequests',
    codes: ['rate_limited'],
    description: () =>
      "Rate limit reached (the key's `rate_limit`), or too many failed authentications from this client (its key is then not checked until the window ends); retry after the number of seconds in `Retry-After`.",
    headers: ['Retry-After'],
  },
  500: { name: 'InternalError', codes: ['internal_error'], description: () => 'A bug, or a configuration the operator must fix (the message names the variable); never expected in a working deployment. Quote `request_id`.' },
  502: { name: 'BadGateway', codes: ['backend_error'], description: () => 'The scoring backend answered wrongly (malformed reply, wrong number of scores, non-finite score).' },
  503: {
    name: 'ServiceUnavailable',
    codes: ['backend_unavailable', 'storage_unavailable', 'overloaded'],
    description: () =>
      'No scoring backend could be reached, a store cannot be read, the database failed for a moment (a transient D1 error: retry) or is not migrated (`storage_unavailable`), or this worker instance is already working on as many request-body bytes as its memory allows (`overloaded`: retry after `Retry-After`).',
    headers: ['Retry-After'],
  },
  504: {
    name: 'GatewayTimeout',
    codes: ['backend_timeout'],
    description: (c) => `The backend missed the request deadline of ${c.BACKEND_TIMEOUT_MS} ms (BACKEND_TIMEOUT_MS).`,
  },
}

const HEADERS: Record<string, Json> = {
  'Cache-Status': {
    description: 'RFC 9211 cache status of the per-pair score cache, e.g. `rerank-edge; hit`, `rerank-edge; fwd=miss; stored`, `rerank-edge; fwd=partial`.',
    schema: { type: 'string' },
  },
  'Server-Timing': { description: 'W3C Server Timing: `cache`, `backend` and `total` durations in ms.', schema: { type: 'string' } },
  'X-Request-Id': { description: "Our id for this call, a fresh UUID (also the response's `id`); the caller's own `X-Request-Id` comes back as `X-Client-Request-Id`.", schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before retrying (RFC 9110 §10.2.3).', schema: { type: 'integer', minimum: 0 } },
  Allow: { description: 'The methods this path supports (RFC 9110 §10.2.1).', schema: { type: 'string' } },
  'Accept-Encoding': { description: 'On a 415: the request content codings accepted, `identity` (none; RFC 9110 §12.5.3).', schema: { type: 'string' } },
}

const TAGS: Json[] = [
  { name: 'Rerank', description: 'Score documents against a query (Cohere v1/v2, Jina and vLLM compatible).' },
  { name: 'Templates', description: 'Managed, versioned instruction templates.' },
  { name: 'Experiments', description: 'A/B instruction experiments, feedback and reports.' },
  { name: 'Service', description: 'Health and service documents.' },
  { name: 'Pages', description: 'HTML pages for people: the playground and this reference.' },
  { name: 'Other', description: 'Routes not yet described in src/openapi/core-operations.ts.' },
]

export function buildOpenApiDocument(
  config: Config,
  routes: readonly RouteRecord[],
  registry: OpenApiDescriptions = coreDescriptions()
): OpenApiDocument {
  const entries = collectPaths(routes)
  const paths: OpenApiDocument['paths'] = {}
  const usedSchemas = new Set<string>(['ErrorEnvelope'])
  // The statuses of the public error contract (src/errors.ts) are always described.
  const usedErrors = new Set<ErrorStatus>([400, 401, 404, 405, 413, 429, 502, 503, 504])
  const keyed = config.API_KEYS.length > 0

  for (const entry of entries) {
    const item: Record<string, Json> = {}
    for (const method of entry.methods) {
      const doc = registry.operations.get(operationKey(method, entry.path)) ?? genericOperation(method, entry)
      item[method] = operationObject(doc, entry, usedSchemas, usedErrors, keyed)
    }
    paths[entry.path] = item
  }

  const schemas = convertSchemas(config, registry, usedSchemas)
  const responses: Record<string, Json> = {}
  for (const status of [...usedErrors].sort((a, b) => a - b)) {
    const info = ERROR_RESPONSES[status]
    responses[info.name] = errorResponse(status, info, config)
  }

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'rerank-edge',
      version: API_VERSION,
      summary: 'Edge reranking API in front of vLLM Qwen3-Reranker, with a per-pair score cache.',
      description: infoDescription(config),
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'This worker' }],
    tags: TAGS,
    paths,
    components: {
      schemas,
      responses,
      headers: HEADERS,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key as a bearer token. Needed only when the deployment configures API keys; open deployments accept calls without it.',
        },
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'The same API key in an `X-API-Key` header, for clients that cannot set `Authorization`.',
        },
      },
    },
    'x-limits': {
      MAX_DOCUMENTS: config.MAX_DOCUMENTS,
      MAX_QUERY_CHARS: config.MAX_QUERY_CHARS,
      MAX_INSTRUCTION_CHARS: config.MAX_INSTRUCTION_CHARS,
      MAX_DOCUMENT_CHARS: config.MAX_DOCUMENT_CHARS,
      MAX_BODY_BYTES: config.MAX_BODY_BYTES,
      MAX_MODEL_LEN: config.MAX_MODEL_LEN,
      BACKEND_TIMEOUT_MS: config.BACKEND_TIMEOUT_MS,
    },
  }
}

function infoDescription(config: Config): string {
  return [
    'Reranks documents for a query with Qwen3-Reranker served by vLLM (or, with no GPU backend configured, an embedded lexical BM25 scorer that ignores instructions).',
    'Requests are a superset of Cohere v1/v2, Jina and vLLM rerank requests; responses use the Cohere/Jina shape.',
    '',
    `This deployment: backend \`${config.backend}\`${config.backend === 'vllm' ? `, model \`${config.VLLM_MODEL}\`` : ''}.`,
    `Limits: at most ${config.MAX_DOCUMENTS} documents of ${config.MAX_DOCUMENT_CHARS} characters, a query of ${config.MAX_QUERY_CHARS} characters, an instruction of ${config.MAX_INSTRUCTION_CHARS} characters, a body of ${config.MAX_BODY_BYTES} bytes; backend deadline ${config.BACKEND_TIMEOUT_MS} ms.`,
    '',
    'Every error has the shape `{ "error": { "code", "message", "field"? }, "message", "detail", "request_id" }` (`message` and `detail` repeat `error.message` where Cohere and Jina clients read it).',
    'Cache control: `Cache-Control: no-cache` recomputes and refreshes the score cache; `no-store` neither reads nor writes it.',
  ].join('\n')
}

function genericOperation(method: string, entry: PathEntry): OperationDoc {
  return {
    method: method as OperationDoc['method'],
    path: entry.path,
    operationId: `${method}${entry.path.replace(/\{([^}]+)\}/gu, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/gu, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: `${method.toUpperCase()} ${entry.path}`,
    description: 'Served by this worker but not yet described in src/openapi/core-operations.ts (see src/openapi/operation-doc.ts).',
    tags: ['Other'],
    responses: { 200: { description: 'Success.' } },
    errors: [400, 401, 404],
  }
}

function operationObject(doc: OperationDoc, entry: PathEntry, usedSchemas: Set<string>, usedErrors: Set<ErrorStatus>, keyed: boolean): Json {
  const op: Json = { operationId: doc.operationId, summary: doc.summary, tags: doc.tags }
  if (doc.description) op.description = doc.description

  const parameters: Json[] = entry.params.map((name) => {
    const given = doc.parameters?.find((p) => p.in === 'path' && p.name === name)
    return {
      name,
      in: 'path',
      required: true,
      description: given?.description ?? `The ${name}.`,
      schema: given?.schema ?? { type: 'string' },
      ...(given?.example === undefined ? {} : { example: given.example }),
    }
  })
  for (const p of doc.parameters ?? []) {
    if (p.in === 'path') continue
    parameters.push({ name: p.name, in: p.in, required: p.required ?? false, description: p.description, schema: p.schema ?? { type: 'string' }, ...(p.example === undefined ? {} : { example: p.example }) })
  }
  if (parameters.length > 0) op.parameters = parameters

  if (doc.requestBody) {
    usedSchemas.add(doc.requestBody.schema)
    const media: Json = { schema: { $ref: SCHEMA_PREFIX + doc.requestBody.schema } }
    if (doc.requestBody.example !== undefined) media.example = doc.requestBody.example
    if (doc.requestBody.examples) media.examples = doc.requestBody.examples
    op.requestBody = {
      required: doc.requestBody.required ?? true,
      ...(doc.requestBody.description ? { description: doc.requestBody.description } : {}),
      content: { 'application/json': media },
    }
  }

  const responses: Json = {}
  for (const [status, r] of Object.entries(doc.responses)) {
    const res: Json = { description: r.description }
    if (r.headers?.length) res.headers = Object.fromEntries(r.headers.map((h) => [h, { $ref: `#/components/headers/${h}` }]))
    if (r.schema) {
      usedSchemas.add(r.schema)
      const media: Json = { schema: { $ref: SCHEMA_PREFIX + r.schema } }
      if (r.example !== undefined) media.example = r.example
      res.content = { [r.contentType ?? 'application/json']: media }
    } else if (r.contentType) {
      res.content = { [r.contentType]: { schema: r.contentType.includes('json') ? { type: 'object' } : { type: 'string' } } }
    }
    responses[status] = res
  }
  const errors = new Set<ErrorStatus>(doc.errors ?? [])
  if (entry.answers405) errors.add(405)
  // Wherever a key is checked, too many failed checks from one client lock it out with a 429
  // before the key is read (auth/failed-auth-limiter.ts), so an operation that can answer 401 can
  // answer 429 too.
  if (errors.has(401)) errors.add(429)
  for (const status of [...errors].sort((a, b) => a - b)) {
    usedErrors.add(status)
    responses[String(status)] = { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` }
  }
  usedErrors.add(500)
  responses.default = { $ref: `#/components/responses/${ERROR_RESPONSES[500].name}` }
  op.responses = responses

  op.security = securityOf(doc.method, entry.path, keyed)
  return op
}

/**
 * What a caller of this deployment needs, from the table access control itself reads
 * (auth/route-access.ts), so the document cannot disagree with the middleware: open (no API_KEYS)
 * → no key needed (`{}`), a key accepted; keyed → a key, with the scope the route needs named as
 * the requirement's role (OpenAPI 3.1 §4.8.30: for non-OAuth schemes the array MAY list the roles
 * required); public routes → none either way (an empty list overrides nothing: no global security).
 */
function securityOf(method: string, path: string, keyed: boolean): Json[] {
  const rule = accessRuleFor(method.toUpperCase(), path)
  if (rule.kind === 'public') return []
  const roles = rule.kind === 'scope' ? [rule.scope] : []
  const schemes: Json[] = [{ bearerAuth: roles }, { apiKeyHeader: roles }]
  return keyed ? schemes : [{}, ...schemes]
}

function errorResponse(status: ErrorStatus, info: ErrorResponseInfo, config: Config): Json {
  const headers: Json = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } }
  for (const h of info.headers ?? []) headers[h] = { $ref: `#/components/headers/${h}` }
  return {
    description: `${status}: ${info.description(config)} Codes: ${info.codes.map((c) => `\`${c}\``).join(', ')}.`,
    headers,
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: `${SCHEMA_PREFIX}ErrorEnvelope` },
            { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: info.codes } } } } },
          ],
        },
        example: errorExample(status, info, config),
      },
    },
  }
}

/** An error envelope as the worker writes it (src/errors.ts `toWireError`). */
function errorExample(status: ErrorStatus, info: ErrorResponseInfo, config: Config): Json {
  const message = status === 400 ? 'query: must not be empty' : status === 413 ? `body: larger than the limit of ${config.MAX_BODY_BYTES} bytes` : info.description(config)
  return {
    error: { code: info.codes[0], message, ...(status === 400 ? { field: 'query' } : status === 413 ? { field: 'body' } : {}) },
    message,
    detail: message,
    request_id: '5b7c2a8e-1f0d-4c6e-9a51-0d2f3e4b6c7a',
  }
}

function convertSchemas(config: Config, registry: OpenApiDescriptions, used: Set<string>): Record<string, Json> {
  // Overrides pull in the schemas they point at.
  for (const o of registry.fieldOverrides) if (used.has(o.schema)) used.add(o.ref)
  const zodRegistry = z.registry<{ id: string }>()
  const seen = new Map<z.ZodType, string>()
  const ids = [...used].sort()
  for (const id of ids) {
    const entry = registry.schemas.get(id)
    if (!entry) throw new Error(`openapi: schema "${id}" is used but not registered`)
    const schema = typeof entry.source === 'function' ? entry.source(config) : entry.source
    const other = seen.get(schema)
    if (other !== undefined) throw new Error(`openapi: schemas "${other}" and "${id}" are the same zod instance; register it once`)
    seen.set(schema, id)
    zodRegistry.add(schema, { id })
  }
  const converted = z.toJSONSchema(zodRegistry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => SCHEMA_PREFIX + id,
  }) as { schemas: Record<string, Json> }

  const out: Record<string, Json> = {}
  for (const id of ids) {
    const js = stripMetaKeys(converted.schemas[id] ?? {})
    const description = registry.schemas.get(id)?.description
    if (description !== undefined && js.description === undefined) js.description = description
    out[id] = js
  }
  for (const o of registry.fieldOverrides) {
    const props = out[o.schema]?.properties as Record<string, Json> | undefined
    const current = props?.[o.property]
    // Only where the body schema leaves the field open: a real schema there wins.
    if (props && current && Object.keys(current).filter((k) => k !== 'description').length === 0) {
      props[o.property] = { ...(current.description ? { description: current.description } : {}), $ref: SCHEMA_PREFIX + o.ref }
    }
  }
  for (const [schemaId, descriptions] of registry.fieldDescriptions) {
    const props = out[schemaId]?.properties as Record<string, Json> | undefined
    if (!props) continue
    for (const [name, text] of Object.entries(descriptions)) {
      const p = props[name]
      if (p && p.description === undefined) p.description = text
    }
  }
  return out
}

/** `$schema` and `$id` belong to a standalone JSON Schema document, not to an OpenAPI component. */
function stripMetaKeys(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema
  return rest
}
