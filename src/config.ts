/**
 * @module config
 * Parses the worker's string vars once per `env` object into a typed `Config` (zod).
 * A bad var fails fast with a message naming it (never its value: it may be a secret).
 */
import { z } from 'zod'
import { apiKeysVar } from './auth/api-keys'
import { foldingVar } from './documents/folding-options'
import { gpuTokensPerSecondVar } from './cache/gpu-savings'
import { minSubrequests } from './backends/subrequest-budget'

const int = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def)

const urlList = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const urls = s
      .split(',')
      .map((u) => u.trim().replace(/\/+$/u, ''))
      .filter((u) => u.length > 0)
    urls.forEach((u, i) => {
      let ok = false
      try {
        const p = new URL(u)
        ok = p.protocol === 'http:' || p.protocol === 'https:'
      } catch {
        ok = false
      }
      // The position, never the value: a URL may carry a token, and this message reaches the wire.
      if (!ok) ctx.addIssue({ code: 'custom', message: `entry ${i + 1} of ${urls.length} is not an http(s) URL` })
      // The client appends /v1/rerank itself: an OpenAI-style base URL ending in /v1 (or a full
      // endpoint) would post to /v1/v1/rerank and get a bare 404 on every call. A path prefix of a
      // reverse proxy (https://host/gpu-a) stays allowed.
      else if (/\/(?:v1|v2|v1\/rerank|v2\/rerank|rerank)$/iu.test(new URL(u).pathname)) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} of ${urls.length} ends in an API path (/v1, /rerank…): give the server's base URL, the worker appends /v1/rerank` })
      }
    })
    return urls
  })

const boolVar = (def: boolean) =>
  z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((v) => (v === undefined || v === '' ? def : v === true || /^(1|true|yes|on)$/iu.test(String(v))))

export const configSchema = z.object({
  VLLM_URLS: urlList,
  VLLM_API_KEY: z.string().default(''),
  VLLM_MODEL: z.string().trim().min(1).default('qwen3-reranker-8b'),
  /** Cloudflare Access service token for a backend behind Access (secret; both or neither). */
  VLLM_ACCESS_CLIENT_ID: z.string().default(''),
  VLLM_ACCESS_CLIENT_SECRET: z.string().default(''),
  /** Bumped by the operator when the served weights or vLLM scoring config change (cache keys). */
  MODEL_REVISION: z.string().trim().min(1).default('1'),
  /** max_model_len of the vLLM server: the whole formatted pair must fit, or vLLM 0.13 refuses the whole request with 400. */
  MAX_MODEL_LEN: int(8192, 256, 131072),
  MAX_DOCUMENTS: int(1000, 1, 10000),
  MAX_QUERY_CHARS: int(8000, 1, 1_000_000),
  MAX_INSTRUCTION_CHARS: int(2000, 1, 100_000),
  MAX_DOCUMENT_CHARS: int(100_000, 1, 10_000_000),
  MAX_BODY_BYTES: int(8 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  /**
   * Request-body bytes one isolate works on at once (rerank calls, from before the body is read to
   * the response); a call past it gets 503 `overloaded` (lib/inflight-bytes.ts: an isolate has
   * 128 MB, and a large call holds several times its body).
   */
  MAX_INFLIGHT_BODY_BYTES: int(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  /** Per-request deadline for the backend, in ms (504 past it). */
  BACKEND_TIMEOUT_MS: int(15_000, 50, 300_000),
  /**
   * Most pairs per upstream call; larger sets are split into as few even calls as that allows,
   * sent concurrently. 256: a 1,000-pair call goes as 4 calls (enough for a box of up to 4 GPU
   * replicas behind its proxy) and a 300-pair call as 2 (both GPUs of `compose.gpus2.yaml`);
   * every extra call costs Worker CPU (vllm-client.ts module doc).
   */
  BACKEND_BATCH_SIZE: int(256, 1, 10_000),
  /** When no upstream can serve: 'error' (503, default) or 'lexical' (the embedded scorer, flagged). */
  FALLBACK: z.enum(['error', 'lexical']).default('error'),
  /** Tries per upstream call, first included (retries only where safe: upstream-retry.ts). */
  UPSTREAM_MAX_ATTEMPTS: int(3, 1, 10),
  /**
   * Subrequests one invocation may make on the Workers plan this runs on: 50 on Free (the
   * default), 10,000 on Paid unless `[limits] subrequests` lowers it. A call is split into no more
   * upstream batches than fit, every attempt counted, and stops (503) before a resend would pass
   * the limit (backends/subrequest-budget.ts).
   */
  MAX_SUBREQUESTS: int(50, 1, 100_000),
  /**
   * Hedge delay in ms: an upstream call unanswered this long is also sent to another available
   * replica, and the first answer wins (the slow one is not cut: it may still win). Unset: half of
   * BACKEND_TIMEOUT_MS (upstream-pool.ts defaultHedgeAfterMs); 0 = no hedging.
   */
  UPSTREAM_HEDGE_AFTER_MS: z.coerce.number().int().min(0).max(300_000).optional(),
  /** Consecutive failures that open an upstream's circuit breaker. */
  UPSTREAM_BREAKER_FAILURES: int(5, 1, 1000),
  /** First open period of a breaker before a half-open probe, ms (doubles on each failed probe). */
  UPSTREAM_BREAKER_COOLDOWN_MS: int(5_000, 10, 600_000),
  /** Score cache TTL in seconds (KV minimum is 60). */
  CACHE_TTL_SECONDS: int(7 * 24 * 3600, 60, 365 * 24 * 3600),
  /** Bytes of the in-isolate LRU tier. */
  CACHE_MEMORY_BYTES: int(16 * 1024 * 1024, 0, 512 * 1024 * 1024),
  CACHE_ENABLED: boolVar(true),
  /** Prompt tokens/s one GPU scores, for the GPU-ms a cache hit saved (cache/gpu-savings.ts); unset: tokens only. */
  CACHE_GPU_TOKENS_PER_SECOND: gpuTokensPerSecondVar,
  /** Hashed API keys (src/auth/api-keys.ts); empty → open access (tenant 'public', all scopes). */
  API_KEYS: apiKeysVar,
  /** Single-tenant deployments: every tenant reads and writes one cache partition. */
  CACHE_SHARED: boolVar(false),
  /** Open deployments only: rate-limit anonymous callers by CF-Connecting-IP. */
  RATE_LIMIT_ANONYMOUS: boolVar(false),
  /** One JSON access-log line per request (src/middleware/access-log.ts). */
  LOG_REQUESTS: boolVar(true),
  /**
   * Operator template overrides: a JSON array of template definitions (templates/template.ts) that
   * add templates or replace built-ins by id, each change with a new version. Also read from the
   * optional TEMPLATES_KV namespace (key "templates:overrides"). Validated when a call needs the
   * registry (a bad value: 500 naming it), so calls without templates keep working.
   */
  TEMPLATES: z.unknown().optional(),
  /** Seconds an isolate reuses its read of TEMPLATES_KV (0: read on every template call). */
  TEMPLATES_TTL_SECONDS: int(30, 0, 3600),
  /** Metadata folding options (JSON, documents/fold.ts); unset: English, month dates, source, all fields. */
  FOLDING: foldingVar,
})

/** The names of the config vars (the keys of `configSchema`). */
export type ConfigVarName = keyof typeof configSchema.shape

export type Config = z.output<typeof configSchema> & {
  /** 'vllm' when VLLM_URLS is set, else the embedded lexical scorer. */
  backend: 'vllm' | 'lexical'
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const memo = new WeakMap<object, Config>()

/** What parseConfig reads: the worker's env (app-env.ts `Env`) or any object of config vars. */
export type ConfigEnv = { readonly [K in ConfigVarName]?: unknown }

export function parseConfig(env: ConfigEnv): Config {
  const cached = memo.get(env)
  if (cached) return cached
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(configSchema.shape) as ConfigVarName[]) {
    const v: unknown = env[key]
    // Empty strings mean "unset" for everything but VLLM_URLS (where empty = lexical).
    if (v !== undefined && v !== null && (v !== '' || key === 'VLLM_URLS')) raw[key] = v
  }
  // Renamed 2026-12-03, when a slow attempt began to be hedged instead of cut: the old name is
  // still read, so a deployment that set it keeps its meaning ("try elsewhere after this long";
  // 0 = never) instead of silently losing it.
  const legacyHedge = (env as { readonly UPSTREAM_ATTEMPT_TIMEOUT_MS?: unknown }).UPSTREAM_ATTEMPT_TIMEOUT_MS
  if (raw.UPSTREAM_HEDGE_AFTER_MS === undefined && legacyHedge !== undefined && legacyHedge !== null && legacyHedge !== '') raw.UPSTREAM_HEDGE_AFTER_MS = legacyHedge
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = String(issue?.path[0] ?? 'config')
    throw new ConfigError(`invalid configuration var ${name}: ${issue?.message ?? 'invalid'}`)
  }
  if (Boolean(parsed.data.VLLM_ACCESS_CLIENT_ID) !== Boolean(parsed.data.VLLM_ACCESS_CLIENT_SECRET)) {
    throw new ConfigError('invalid configuration var VLLM_ACCESS_CLIENT_SECRET: set both VLLM_ACCESS_CLIENT_ID and VLLM_ACCESS_CLIENT_SECRET, or neither')
  }
  const needed = minSubrequests(parsed.data.UPSTREAM_MAX_ATTEMPTS)
  if (parsed.data.MAX_SUBREQUESTS < needed) {
    throw new ConfigError(
      `invalid configuration var MAX_SUBREQUESTS: ${parsed.data.MAX_SUBREQUESTS} leaves no room for one upstream call's ${parsed.data.UPSTREAM_MAX_ATTEMPTS} attempts (at least ${needed})`
    )
  }
  const config: Config = { ...parsed.data, backend: parsed.data.VLLM_URLS.length > 0 ? 'vllm' : 'lexical' }
  memo.set(env, config)
  return config
}
