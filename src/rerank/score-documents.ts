/**
 * @module score-documents
 * Step 2 of the pipeline (run-rerank.ts): the prepared pairs are scored through the cache
 * (cache/score-with-cache.ts: memory, single-flight, edge store), the backend scoring only what is
 * left. When no upstream could serve and the operator chose FALLBACK=lexical, the lexical scorer
 * answers instead, flagged and never cached (its kind is 'lexical', which the cache bypasses).
 */
import { BackendError } from '../backends/backend-error'
import type { PairScorer, PreparedPairs } from '../backends/types'
import { scoreWithCache, type CacheMode, type ScoredPairs } from '../cache/score-with-cache'
import type { ByteBoundedLru } from '../cache/memory-lru'
import type { ScoreStore } from '../cache/score-store'
import type { SingleFlight } from '../cache/single-flight'
import type { Config } from '../config'
import { redactorFor } from '../lib/redact-secrets'

export interface ScoreStepDeps {
  config: Config
  scorer: PairScorer
  /** The lexical scorer when `error` calls for the fallback (src/services.ts `fallbackFor`). */
  fallbackFor: (error: unknown) => PairScorer | undefined
  cacheMode: CacheMode
  namespace: string
  waitUntil: (p: Promise<unknown>) => void
  scoreStore: ScoreStore | null
  /** The isolate's memory tier and single-flight table (src/services.ts `scoreCache`). */
  memory: ByteBoundedLru
  flights: SingleFlight
  now: number
  /** Reads the time for deadlines inside the call; default Date.now. */
  clock?: (() => number) | undefined
  /** The call's request id (sent to the backend: vllm-client.ts). */
  requestId?: string | undefined
}

export interface ScoredDocuments {
  scored: ScoredPairs
  /** The scorer that answered (the fallback, when it did), and the pairs as prepared for it. */
  scorer: PairScorer
  pairs: PreparedPairs
  warnings: string[]
}

/**
 * Scores `pairs` (prepared for `deps.scorer`); `prepareFor` prepares the same call for the
 * fallback scorer when it must answer (prepare-documents.ts).
 */
export async function scoreDocuments(
  deps: ScoreStepDeps,
  prepared: PreparedPairs,
  prepareFor: (scorer: PairScorer) => Promise<PreparedPairs>
): Promise<ScoredDocuments> {
  const { config } = deps
  let pairs = prepared
  const scoreWith = (scorer: PairScorer) =>
    scoreWithCache(
      {
        scorer,
        mode: deps.cacheMode,
        namespace: deps.namespace,
        waitUntil: deps.waitUntil,
        config,
        store: deps.scoreStore,
        now: deps.now,
        memory: deps.memory,
        flights: deps.flights,
        ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      },
      { instruction: pairs.instruction, query: pairs.query, documents: pairs.documents, budget: pairs.budget },
      { deadline: deps.now + config.BACKEND_TIMEOUT_MS, requestId: deps.requestId }
    )
  let scorer = deps.scorer
  const warnings: string[] = []
  let scored: ScoredPairs
  const failedFrom = performance.now()
  try {
    scored = await scoreWith(scorer)
  } catch (e) {
    // No upstream could serve (every breaker open, or every attempt failed for capacity) and the
    // operator chose FALLBACK=lexical: answer lexically, flagged, and never cached (kind 'lexical').
    const fallback = deps.fallbackFor(e)
    if (!fallback) throw e
    scorer = fallback
    pairs = await prepareFor(fallback)
    warnings.push(`GPU backend unavailable (${redactorFor(config)((e as Error).message).slice(0, 160)}): scored by the embedded lexical scorer (FALLBACK=lexical), which ignores instructions`)
    const failedMs = performance.now() - failedFrom
    scored = await scoreWith(fallback)
    // The time spent on the GPU attempts that failed is backend time too (logs, Server-Timing).
    scored = { ...scored, backendMs: scored.backendMs + failedMs }
  }
  for (const s of scored.scores) {
    // Defence in depth: the backend layer validates, but a non-finite score must never leave.
    if (!Number.isFinite(s) || s < 0 || s > 1) {
      throw new BackendError({ kind: 'bad_reply', message: 'backend produced an invalid score' })
    }
  }
  return { scored, scorer, pairs, warnings }
}
