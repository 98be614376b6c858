/**
 * @module observability/request-record
 * The one structured record per request: what the access log prints as a JSON line, what the
 * rolling stats count and what Analytics Engine receives. Pure: built from plain data.
 * Never holds a header value, a body, a query string or a key: only ids and measurements.
 */
import { RERANK_PATHS } from '../rerank/rerank-paths'

/** What the rerank route reports about a successful call (set as `c.var.rerankInfo`). */
export interface RerankLogInfo {
  meta: {
    backend: string
    cache: { hits: number; misses: number }
    /** build-response meta.cache_savings (absent in records built before it existed). */
    cache_savings?: { prompt_tokens: number; gpu_ms?: number }
    instruction_source: string
    template?: unknown
    experiment?: unknown
  }
  /** Time spent waiting on the backend (ms); 0 when every pair came from the cache. */
  upstreamMs: number
}

export type InstructionKind = 'none' | 'default' | 'raw' | 'template' | 'experiment' | 'query'

export interface RequestRecord {
  ts: string
  level: 'info'
  msg: 'request'
  request_id: string
  key_id: string | null
  tenant: string
  method: string
  path: string
  status: number
  duration_ms: number
  template: string | null
  instruction_kind: InstructionKind | null
  experiment: { id: string; variant: string } | null
  cache_hits: number | null
  cache_misses: number | null
  /** Prompt tokens the cache hits saved (build-response meta.cache_savings.prompt_tokens). */
  cache_tokens_saved: number | null
  /** GPU-ms they took at CACHE_GPU_TOKENS_PER_SECOND; null when not configured. */
  cache_gpu_ms_saved: number | null
  backend: string | null
  /**
   * True when the configured GPU backend could not serve and the lexical fallback answered
   * (FALLBACK=lexical): a 200 that hides an outage, so it is counted on its own.
   */
  fallback: boolean
  upstream_ms: number | null
  error_code: string | null
}

export interface RecordInput {
  now: number
  startedAt: number
  requestId: string
  keyId: string | null
  tenant: string
  method: string
  path: string
  status: number
  errorCode: string | null
  rerank: RerankLogInfo | undefined
  /** The configured backend, reported for rerank calls that failed before a meta existed. */
  configuredBackend: string | null
}

const KINDS = new Set<string>(['default', 'raw', 'template', 'experiment', 'query'])

export function isRerankPath(path: string): boolean {
  return RERANK_PATHS.has(path)
}

function templateName(t: unknown): string | null {
  if (typeof t === 'string') return t.slice(0, 64)
  if (t !== null && typeof t === 'object' && 'id' in t && typeof t.id === 'string') return t.id.slice(0, 64)
  return null
}

function experimentOf(e: unknown): { id: string; variant: string } | null {
  if (e === null || typeof e !== 'object') return null
  const id = 'id' in e ? e.id : undefined
  const variant = 'variant' in e ? e.variant : undefined
  if (typeof id !== 'string') return null
  return { id: id.slice(0, 64), variant: typeof variant === 'string' ? variant.slice(0, 64) : String(variant ?? '') }
}

const round = (ms: number) => Math.round(ms * 100) / 100

export function buildRequestRecord(input: RecordInput): RequestRecord {
  const rerank = isRerankPath(input.path)
  const info = input.rerank
  let kind: InstructionKind | null = rerank ? null : 'none'
  if (info) kind = (KINDS.has(info.meta.instruction_source) ? info.meta.instruction_source : 'raw') as InstructionKind
  return {
    ts: new Date(input.now).toISOString(),
    level: 'info',
    msg: 'request',
    request_id: input.requestId,
    key_id: input.keyId,
    tenant: input.tenant,
    method: input.method,
    // The path only: a query string may carry anything, and is not ours to log.
    path: input.path.slice(0, 256),
    status: input.status,
    duration_ms: Math.max(0, input.now - input.startedAt),
    template: info ? templateName(info.meta.template) : null,
    instruction_kind: kind,
    experiment: info ? experimentOf(info.meta.experiment) : null,
    cache_hits: info ? info.meta.cache.hits : null,
    cache_misses: info ? info.meta.cache.misses : null,
    cache_tokens_saved: info ? (info.meta.cache_savings?.prompt_tokens ?? 0) : null,
    cache_gpu_ms_saved: info?.meta.cache_savings?.gpu_ms ?? null,
    backend: info ? info.meta.backend : rerank ? input.configuredBackend : null,
    fallback: info !== undefined && input.configuredBackend !== null && info.meta.backend !== input.configuredBackend,
    upstream_ms: info ? round(info.upstreamMs) : null,
    error_code: input.errorCode,
  }
}

/** Error codes that count as backend errors in the stats (errors.ts 502/503/504). */
export function isBackendError(code: string | null): boolean {
  return code === 'backend_error' || code === 'backend_unavailable' || code === 'backend_timeout'
}
