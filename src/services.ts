/**
 * @module services
 * Everything that lives as long as an isolate, built once by `createServices` and reached by
 * handlers and middleware through Hono's `c.var.services` (app.ts sets it first). No other module
 * keeps state in module scope, so a test builds its own services (with its own clock) instead of
 * waiting out, or naming around, state left by an earlier test.
 *
 * What is kept, and why it is per isolate:
 *  - the score cache's memory tier (cache/memory-lru.ts) and single-flight table
 *    (cache/single-flight.ts): the fast tiers in front of KV; and what it wrote to KV lately
 *    (cache/recent-writes.ts) and when (cache/write-pacer.ts: one write per scope per second);
 *  - the upstream pools (backends/vllm/upstream-registry.ts): breakers and latency estimates span
 *    requests, and /healthz reads the pool the rerank routes use;
 *  - the scorers, one per parsed config (so a vLLM scorer's stated context length is remembered);
 *  - the experiment definitions (experiments/experiment-cache.ts, 5 s);
 *  - the access log's rolling statistics (GET /v1/stats), the failed-authentication and per-key
 *    rate windows, the /healthz probe results;
 *  - the last TEMPLATES_KV read (TTL) and the template registries parsed from their source text;
 *  - the rendered pages, and which once-per-isolate warnings were logged.
 *
 * Not here, on purpose: memos of pure functions of immutable inputs (a zod schema or an OpenAPI
 * document per parsed config, a redactor per secret set, the tokenizer's data once loaded): they
 * cannot change an answer, only save recomputing it.
 *
 * State whose size a config sets is keyed by the config's values, not by whichever config came
 * first: the memory tier by CACHE_MEMORY_BYTES, the pools by their upstream settings. Entries of
 * one memory tier are scoped by tenant, backend, model, revision and prompt format (score-key.ts),
 * so configs sharing a capacity share the tier as safely as requests of one config do.
 */
import { createScorer, wantsLexicalFallback } from './backends/create-scorer'
import { createLexicalScorer } from './backends/lexical/lexical-backend'
import type { PairScorer } from './backends/types'
import type { ProbeResult } from './backends/vllm/upstream-health-client'
import { createUpstreamRegistry, type UpstreamRegistry } from './backends/vllm/upstream-registry'
import { FailedAuthLimiter } from './auth/failed-auth-limiter'
import { WindowLimiter } from './auth/window-limiter'
import { ByteBoundedLru } from './cache/memory-lru'
import { RecentWrites } from './cache/recent-writes'
import type { ScoreBucket } from './cache/score-bucket'
import { emptyStats, type StoreStats } from './cache/score-store'
import { SingleFlight } from './cache/single-flight'
import { WritePacer } from './cache/write-pacer'
import type { Config } from './config'
import { ExperimentCache } from './experiments/experiment-cache'
import { InflightBytes } from './lib/inflight-bytes'
import type { ExperimentRecord } from './experiments/experiment-schema'
import { RollingStats } from './observability/rolling-stats'
import { createTemplateState, type TemplateState } from './templates/template-source-store'
import type { BuiltPage } from './ui/html'

export interface ServicesOptions {
  /** The isolate's clock (ms since epoch); default Date.now. */
  now?: () => number
  /** Uniform in [0, 1), for upstream choice and backoff jitter; default Math.random. */
  random?: () => number
}

/** A /healthz probe result reused for a few seconds (routes/health.ts). */
export interface CachedProbe {
  at: number
  result: Promise<ProbeResult>
}

export interface Services {
  readonly now: () => number
  readonly random: () => number
  /** The score cache's in-isolate tiers. */
  readonly scoreCache: {
    /** The memory tier of this capacity (one per CACHE_MEMORY_BYTES value). */
    memoryFor(config: Pick<Config, 'CACHE_MEMORY_BYTES'>): ByteBoundedLru
    readonly flights: SingleFlight
    /** What this isolate wrote to the edge tier lately: its reads see it (cache/recent-writes.ts). */
    readonly recentWrites: RecentWrites
    /** Edge-store operations and failures since this isolate started (GET /v1/stats `edge_store`). */
    readonly edgeTotals: StoreStats
    /** One edge write per scope per second from this isolate (cache/write-pacer.ts). */
    readonly edgeWrites: WritePacer<ScoreBucket>
  }
  /** Request-body bytes this isolate's rerank calls are working on (lib/inflight-bytes.ts). */
  inflightBodies(config: Pick<Config, 'MAX_INFLIGHT_BODY_BYTES'>): InflightBytes
  readonly upstreams: UpstreamRegistry
  /** The scorer a config calls for (one per parsed config). */
  scorerFor(config: Config): PairScorer
  /** The lexical scorer to answer with when `error` says no upstream could serve and FALLBACK=lexical. */
  fallbackFor(error: unknown, config: Config): PairScorer | undefined
  readonly experiments: ExperimentCache<ExperimentRecord>
  readonly requestStats: RollingStats
  readonly failedAuth: FailedAuthLimiter
  readonly keyRateLimits: WindowLimiter
  readonly healthProbes: Map<string, CachedProbe>
  /** The last TEMPLATES_KV read (reused for TEMPLATES_TTL_SECONDS) and the registries parsed (templates/template-source-store.ts). */
  readonly templates: TemplateState
  /** Rendered pages, built once (their CSP hashes need async WebCrypto): /, and /docs per OpenAPI document. */
  readonly pages: { playground?: Promise<BuiltPage>; readonly docs: WeakMap<object, Promise<BuiltPage>> }
  /** Log lines written once per isolate (e.g. `auth_open`: middleware/auth.ts), by message name. */
  readonly warnedOnce: Set<string>
}

/** At most this many memory tiers (distinct CACHE_MEMORY_BYTES values) per isolate. */
const MAX_MEMORY_TIERS = 8

export function createServices(options: ServicesOptions = {}): Services {
  const now = options.now ?? (() => Date.now())
  const random = options.random ?? Math.random
  const memories = new Map<number, ByteBoundedLru>()
  const inflight = new InflightBytes(0)
  const scorers = new WeakMap<Config, PairScorer>()
  const upstreams = createUpstreamRegistry({ now, random })
  const lexicalFallback = createLexicalScorer()
  return {
    now,
    random,
    scoreCache: {
      memoryFor(config) {
        const capacity = config.CACHE_MEMORY_BYTES
        let memory = memories.get(capacity)
        if (memory === undefined) {
          if (memories.size >= MAX_MEMORY_TIERS) memories.clear()
          memory = new ByteBoundedLru(capacity)
          memories.set(capacity, memory)
        }
        return memory
      },
      flights: new SingleFlight(),
      recentWrites: new RecentWrites(),
      edgeTotals: emptyStats(),
      edgeWrites: new WritePacer<ScoreBucket>({
        now,
        sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)),
        sizeOf: (bucket) => bucket.records.byteLength,
      }),
    },
    inflightBodies(config) {
      inflight.setCapacity(config.MAX_INFLIGHT_BODY_BYTES)
      return inflight
    },
    upstreams,
    scorerFor(config) {
      let scorer = scorers.get(config)
      if (scorer === undefined) {
        scorer = createScorer(config, () => upstreams.poolFor(config), now)
        scorers.set(config, scorer)
      }
      return scorer
    },
    fallbackFor: (error, config) => (wantsLexicalFallback(error, config) ? lexicalFallback : undefined),
    experiments: new ExperimentCache<ExperimentRecord>(),
    requestStats: new RollingStats({ capacity: 10_000, windowMs: 5 * 60_000 }),
    failedAuth: new FailedAuthLimiter(),
    keyRateLimits: new WindowLimiter(),
    healthProbes: new Map(),
    templates: createTemplateState(),
    pages: { docs: new WeakMap() },
    warnedOnce: new Set(),
  }
}
