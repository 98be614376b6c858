/**
 * @module app-env
 * The worker's bindings and per-request context variables. No logic.
 */
import type { Config, ConfigVarName } from './config'
import type { RerankLogInfo } from './observability/request-record'
import type { Services } from './services'

/**
 * The worker's env: the bindings and `[vars]` of wrangler.toml exactly as `wrangler types`
 * generates them (worker-configuration.d.ts, `Cloudflare.Env`; `npm run cf-typegen` regenerates
 * it, test/unit/wrangler-types.test.ts fails when it is stale), plus the config vars wrangler.toml
 * does not declare because they are optional or secret (VLLM_API_KEY, API_KEYS, MAX_*, …: set with
 * `wrangler secret put`, `.dev.vars` or `npm start`'s environment). Every name is known: no index
 * signature, so a misspelt `c.env.X` is a type error.
 */
export type Env = Cloudflare.Env & { readonly [K in Exclude<ConfigVarName, keyof Cloudflare.Env>]?: string }

export interface AppVariables {
  /** The isolate's long-lived state (src/services.ts), set before any other middleware. */
  services: Services
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
