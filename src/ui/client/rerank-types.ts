/**
 * @module ui/client/rerank-types
 * The shapes the playground reads from the API's JSON (the public contract: src/schemas/). Every
 * field is optional because the page must render whatever a deployment answers, including an
 * error envelope `{ error: { code, message, field? }, message, detail, request_id }` (src/errors.ts).
 */

export interface TemplateVariable {
  type?: string
  description?: string
  default?: unknown
  required?: boolean
  enum?: unknown[]
  separator?: string
  min?: number
  max?: number
  maxLength?: number
}

/** One entry of `GET /v1/templates`. */
export interface TemplateInfo {
  id: string
  version?: unknown
  language?: string
  description?: string
  variables?: Record<string, TemplateVariable | undefined>
}

/** A request body as the page builds it (the page sends what the user typed; the server validates). */
export interface RerankBody {
  query: string
  documents: unknown[]
  return_documents: true
  template?: string
  template_vars?: Record<string, unknown>
  instruction?: string
  explain?: true
  time_decay?: Record<string, unknown>
  now?: string
  fusion?: { weights: Record<string, unknown>; boosts?: unknown }
  top_n?: unknown
  experiment?: string
  user?: string
}

export interface Explanation {
  components?: Record<string, unknown>
  weights?: Record<string, unknown>
  final?: unknown
  fired?: unknown[]
  points?: unknown[]
  time?: Record<string, unknown>
}

export interface RerankResult {
  index: number
  relevance_score: number
  document?: { text?: unknown; id?: unknown }
  explanation?: unknown
}

export interface RerankMeta {
  backend?: string
  model?: string
  cache?: { hits: number; misses: number }
  instruction?: string
  instruction_source?: string
  template?: { id?: string; version?: unknown }
  experiment?: unknown
  warnings?: unknown[]
}

export interface ErrorEnvelope {
  code?: string
  message?: string
  field?: string
}

/** A rerank response or an error envelope, as parsed from the body. */
export interface RerankJson {
  results?: RerankResult[]
  model?: string
  meta?: RerankMeta
  error?: ErrorEnvelope
  request_id?: string
}

/** One `POST /v1/rerank` call as the page saw it. */
export interface RerankCall {
  ok: boolean
  status: number
  json: RerankJson | null
  text: string
  body: RerankBody
  cacheStatus: string | null
  serverTiming: string | null
  requestId: string | null
  /** Round trip measured in the page. */
  ms: number
}

/** A call whose body is a ranking (checked before rendering). */
export interface RankedCall extends RerankCall {
  json: RerankJson & { results: RerankResult[] }
}
