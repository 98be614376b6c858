/**
 * @module app-env
 * The worker's bindings and per-request context variables. No logic.
 */
import type { Config } from './config'
import type { RerankLogInfo } from './observability/request-record'

/** Bindings and vars the worker reads (wrangler.toml `[vars]`, secrets, KV, D1). */
export interface Env {
  // ── Variables (wrangler.toml [vars] or `npm start` --var) ──
  /** Comma-separated vLLM base URLs; empty → the embedded lexical scorer serves. */
  VLLM_URLS?: string
  /** The served model name vLLM answers to. */
  VLLM_MODEL?: string
  [key: string]: unknown
  // ── Secrets ──
  /** Bearer token for vLLM; never returned or logged. */
  VLLM_API_KEY?: string
  /** JSON array of hashed API keys (src/auth/api-keys.ts); unset → open access. */
  API_KEYS?: string
  // ── Bindings ──
  SCORE_CACHE?: KVNamespace
  DB?: D1Database
  /** Workers rate limiting (wrangler.toml [[ratelimits]]), keyed by API key id. */
  RATE_LIMITER?: RateLimit
  /** Workers Analytics Engine dataset for per-request metrics (no-op locally). */
  ANALYTICS?: AnalyticsEngineDataset
}

export interface AppVariables {
  requestId: string
  /** The caller's own X-Request-Id, when sane: a correlation field only, never a key. */
  clientRequestId: string | null
  config: Config
  startedAt: number
  /**
   * Who is calling: the tenant of the API key (access control sets it), or 'public' when the
   * deployment is open. The score cache is partitioned by it (tenant isolation).
   */
  tenant: string
  /** The API key's id when one was presented (never the key itself). */
  keyId: string | null
  /** Scopes granted to the caller ('rerank', 'experiments', 'feedback'); all when open. */
  scopes: ReadonlySet<string>
  /** Set by the rerank route on success, for the access log and stats (undefined elsewhere). */
  rerankInfo: RerankLogInfo | undefined
}

export type AppEnv = { Bindings: Env; Variables: AppVariables }
