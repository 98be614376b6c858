/**
 * @module score-with-cache
 * Scores (instruction, query, document) pairs through the cache tiers and forwards exactly the
 * missing pairs to the backend, as one ScoreRequest, merging the answers back in request order.
 *
 * Tiers, in lookup order:
 *  1. the isolate's byte-bounded LRU (`memory-lru`), microseconds;
 *  2. pairs another call in this isolate is scoring right now (`single-flight`): joined, not re-sent;
 *  3. the shared edge store (`kv-score-store`: Workers KV, one value per scope holding all its
 *     pairs, `score-bucket`: one read per call);
 *  4. the backend, for what is left. Its scores enter the LRU at once and the edge store after the
 *     response (`waitUntil`: one write per call, merged into the scope's pairs as read).
 *
 * Keys (`score-key`): one SHA-256 of the call's scope (tenant namespace, backend, model,
 * MODEL_REVISION, prompt format, instruction, query, the scorer's token budget) per call: documents
 * arrive as the scorer prepared them, before they are cut to fit, so a hit costs no token counting
 * and the budget is in the scope instead. Tiers 1–2 key on that digest and
 * the exact document text, two-level (scope → document string): V8 hashes each document string
 * once per call (deduplication) and caches the hash in the string, so a hit costs no SHA-256, no
 * concatenation and no copy. Tier 3 names a pair by its SHA-256 pair digest over the same UTF-16
 * text (as WTF-8: were a scorer to pass a lone surrogate through, it would not be its U+FFFD twin
 * there either; the vLLM scorer replaces it before keying), derived only for the
 * documents that reach it. All three tiers therefore tell apart exactly the same texts.
 *
 * Cost kept with each score: the prompt tokens its pair took (the scorer's per-batch split, or the
 * call's total apportioned by text bytes: lib/apportion-tokens.ts), so a hit reports what it saved.
 *
 * Never cached (AGENTS.md "Never"): anything from a call that threw; any reply holding a score that
 * is not finite or not in [0, 1] (the whole reply is rejected: 502); anything from the lexical
 * scorer (its scores depend on the candidate set, so the cache is bypassed altogether); a pair the
 * backend re-cut to fit its context (`uncacheable`).
 * A failing store is a miss (reads) or a lost write, counted, never a failed request.
 *
 * Where each part lives: the lookups and the claim on what is left in `claim-pairs.ts`, what the
 * call learns per distinct document in `pair-tally.ts`, the edge write after the response in
 * `edge-write.ts`; this module forwards the claimed pairs and assembles the answer.
 *
 * Controls (RFC 9111 §5.2.1 request directives, parsed in lib/cache-control): `no-cache` recomputes
 * every pair and overwrites; `no-store` neither reads nor writes; CACHE_ENABLED=false bypasses.
 *
 * Visibility: `Cache-Status` (RFC 9211): `hit` when every pair came from the cache; otherwise
 * `fwd=` with the RFC's reason: `miss` (nothing usable was cached), `partial` (some pairs were:
 * the cache "was able to select a partial response ... or the request was for the complete
 * response", §2.2), `request` (no-cache: the request did not allow use of the cache), `bypass`
 * (lexical scorer, no-store, cache disabled); `stored` when this call wrote scores, `collapsed`
 * when it waited for another call's forward (§2.5, §2.6); `detail` counts hits and misses per tier.
 */
import { BackendError } from '../backends/backend-error'
import type { PairScorer, ScoreOptions, ScoreRequest, ScoreResult } from '../backends/types'
import { apportionTokens, utf8Length } from '../lib/apportion-tokens'
import { distinctStrings } from '../lib/distinct-strings'
import { CACHE_NAME, cacheStatus, zeroCounts, type CacheCounts, type CacheMode } from './cache-status'
import { claimPairs } from './claim-pairs'
import { withDeadline } from './edge-read'
import { writeScoredPairs } from './edge-write'
import type { ByteBoundedLru, CachedPair } from './memory-lru'
import { PairTally } from './pair-tally'
import { bucketKey, scopeDigest } from './score-key'
import type { ScoreStore } from './score-store'
import { isCacheableScore, type StoredScore } from './score-value'
import type { SingleFlight } from './single-flight'

export type { CacheCounts, CacheMode } from './cache-status'

/** The cache settings of Config this module reads. */
export interface ScoreCacheConfig {
  CACHE_ENABLED: boolean
  CACHE_TTL_SECONDS: number
  CACHE_MEMORY_BYTES: number
  MODEL_REVISION: string
}

export interface ScoreWithCacheDeps {
  scorer: PairScorer
  mode: CacheMode
  /** Cache partition: the tenant, plus an optional caller-chosen namespace. */
  namespace: string
  waitUntil: (p: Promise<unknown>) => void
  /** Cache settings; without them the cache is bypassed. */
  config?: ScoreCacheConfig
  /** The shared edge tier; null or absent: memory only. */
  store?: ScoreStore | null
  /** The request's clock (ms since epoch), for expiry in the memory tier. */
  now?: number
  /** Reads the time for deadlines (edge read budget, waiting on another call's forward); default Date.now. */
  clock?: () => number
  /** The isolate's tiers (src/services.ts `scoreCache`; tests pass their own). */
  memory: ByteBoundedLru
  flights: SingleFlight
}

export interface ScoredPairs {
  scores: number[]
  hits: number
  /** Pairs no cache tier held (`n − hits`): scored by this call, or by another call it joined. */
  misses: number
  /**
   * Pairs this call sent to the backend: each distinct document once, and none that another
   * call in the isolate was already scoring (those are shared: `counts.collapsed`). What usage
   * and billing count as scored.
   */
  pairsScored: number
  promptTokens?: number
  /**
   * Prompt tokens the cache hits of this call cost when they were scored (each distinct pair
   * once), and those of the pairs it shared with another call's forward: what the GPU did not
   * spend again. Pairs cached before their cost was kept count in
   * `cachedPairsUnknownTokens` instead.
   */
  cachedPromptTokens: number
  cachedPairsUnknownTokens: number
  /** Documents the scorer cut to fit its context (in this call, or when the cached score was made). */
  truncated: number
  cacheMs: number
  backendMs: number
  /** RFC 9211 Cache-Status value. */
  cacheStatus: string
  counts: CacheCounts
}

export async function scoreWithCache(
  deps: ScoreWithCacheDeps,
  request: ScoreRequest,
  options: ScoreOptions
): Promise<ScoredPairs> {
  const documents = request.documents
  const n = documents.length
  const bypassReason =
    deps.scorer.kind === 'lexical'
      ? 'lexical'
      : !deps.config || !deps.config.CACHE_ENABLED
        ? 'disabled'
        : deps.mode === 'no-store'
          ? 'no-store'
          : undefined
  if (bypassReason !== undefined || !deps.config) return bypass(deps.scorer, request, options, bypassReason ?? 'disabled')

  const config = deps.config
  const clock = deps.clock ?? Date.now
  const now = deps.now ?? clock()
  const store = deps.store ?? null
  const t0 = performance.now()

  const scopeHex = await scopeDigest({
    namespace: deps.namespace,
    backend: deps.scorer.kind,
    model: deps.scorer.model,
    modelRevision: config.MODEL_REVISION,
    promptFormat: deps.scorer.promptFormat,
    instruction: request.instruction,
    query: request.query,
    budget: request.budget?.key ?? '',
  })
  // Distinct documents, each with a small index `k` every later step uses: the document string
  // is hashed by V8 once here (the hash stays cached in the string), and every tier is then
  // probed with that same string under the scope digest. No per-pair key is built on the
  // memory / single-flight path; the edge store's SHA-256 keys are derived only for the documents
  // that reach it. A repeated document is scored once.
  const { distinct, slot, count: width } = distinctStrings(documents)
  const tally = new PairTally(distinct.length, width)
  const counts = tally.counts
  const edgeKey = bucketKey(scopeHex)
  const expiresAt = now + config.CACHE_TTL_SECONDS * 1000
  const claimed = await claimPairs(
    { scopeHex, edgeKey, distinct, lookup: deps.mode !== 'no-cache', memory: deps.memory, flights: deps.flights, store, now, clock, deadline: options.deadline, expiresAt },
    tally
  )
  const { toForward, forwardDocs, joined, flight } = claimed
  const cacheMs = performance.now() - t0
  const t1 = performance.now()
  let promptTokens: number | undefined
  let stored = false

  const forward = async () => {
    if (!flight) return
    let result: ScoreResult
    try {
      result = await deps.scorer.score({ instruction: request.instruction, query: request.query, documents: forwardDocs, budget: request.budget }, options)
      if (result.scores.length !== forwardDocs.length || !result.scores.every(isCacheableScore)) {
        throw new BackendError({ kind: 'bad_reply', message: 'backend produced an invalid score' })
      }
    } catch (e) {
      flight.reject(e)
      throw e
    }
    const tokens = pairTokensOf(result, request, forwardDocs)
    const cut = new Set(result.truncated ?? [])
    const pairs: CachedPair[] = result.scores.map((score, j) => (cut.has(j) ? { score, tokens: tokens?.[j], cut: true } : { score, tokens: tokens?.[j] }))
    // Joiners get every pair this call will serve, re-cut ones included (flagged `cut`: the
    // scorer counts them truncated); only the tiers below skip what was not scored as keyed.
    flight.resolve(pairs)
    toForward.forEach((k, j) => tally.scored(k, result.scores[j] as number, cut.has(j)))
    counts.forwarded = forwardDocs.length
    promptTokens = result.promptTokens
    // Pairs the backend did not score as sent (re-cut to fit its context) are served, not cached.
    const skip = new Set(result.uncacheable ?? [])
    let kept = false
    forwardDocs.forEach((doc, j) => {
      if (!skip.has(j) && deps.memory.set(scopeHex, doc, result.scores[j] as number, expiresAt, tokens?.[j], cut.has(j))) kept = true
    })
    const cacheable = skip.size < forwardDocs.length
    // `stored` (RFC 9211) only when a tier took something: no memory room and no edge store is not.
    stored = kept || (store !== null && cacheable)
    if (store && cacheable) {
      const written = forwardDocs.flatMap((_, j) => (skip.has(j) ? [] : [j]))
      counts.edgeWrites = 1
      deps.waitUntil(
        writeScoredPairs({
          store,
          scopeHex,
          edgeKey,
          base: claimed.base,
          docs: written.map((j) => forwardDocs[j] as string),
          digests: written.map((j) => claimed.digests[toForward[j] as number]),
          pairs: written.map((j) => pairs[j] as StoredScore),
          expiresAtSec: Math.floor(expiresAt / 1000),
          nowSec: Math.floor(now / 1000),
        })
      )
    }
  }
  const waitJoined = async () => {
    if (joined.length === 0) return
    const settled = await withDeadline(
      Promise.all(joined.map(async ([k, p]) => [k, await p] as const)),
      options.deadline,
      clock
    )
    for (const [k, v] of settled) tally.shared(k, v)
  }
  const forwarding = forward()
  // Other calls may be waiting on this flight. On Cloudflare a client that goes away cancels its
  // request's pending work, this forward included, unless it is in `waitUntil`, which keeps it up
  // to 30 s past the disconnect (developers.cloudflare.com/workers/runtime-apis/context/
  // #waituntil): so the joiners still get their scores instead of waiting out their deadlines.
  if (flight) deps.waitUntil(forwarding.catch(() => undefined))
  await Promise.all([forwarding, waitJoined()])
  const backendMs = flight || joined.length > 0 ? performance.now() - t1 : 0

  const scores = new Array<number>(n)
  const values = tally.values
  for (let i = 0; i < n; i++) scores[i] = values[slot[i] as number] as number
  const hits = counts.memory + counts.edge
  const misses = n - hits
  const out: ScoredPairs = {
    scores,
    hits,
    misses,
    pairsScored: counts.forwarded,
    cachedPromptTokens: tally.cachedTokens,
    cachedPairsUnknownTokens: tally.cachedUnknown,
    truncated: tally.truncated,
    cacheMs,
    backendMs,
    cacheStatus: cacheStatus(deps.mode, hits, misses, counts, stored),
    counts,
  }
  if (promptTokens !== undefined) out.promptTokens = promptTokens
  return out
}

/**
 * Each forwarded pair's prompt tokens: the scorer's own split per backend request when it gives
 * one (the vLLM scorer weighs its formatted prompts: backends/vllm/qwen3-pair-tokens.ts), else the
 * call's total apportioned by each pair's own text bytes (instruction, query, document: the cache
 * knows no prompt format), exact sum per call; none when the backend reported no usage.
 */
function pairTokensOf(result: ScoreResult, request: ScoreRequest, docs: readonly string[]): number[] | undefined {
  const p = result.pairTokens
  if (p !== undefined && p.length === docs.length && p.every((t) => Number.isInteger(t) && t >= 0)) return p
  const total = result.promptTokens
  if (total === undefined || !Number.isInteger(total) || total < 0) return undefined
  const shared = utf8Length(request.instruction) + utf8Length(request.query)
  return apportionTokens(total, docs.map((d) => shared + utf8Length(d)))
}

async function bypass(
  scorer: PairScorer,
  request: ScoreRequest,
  options: ScoreOptions,
  reason: string
): Promise<ScoredPairs> {
  const n = request.documents.length
  const t0 = performance.now()
  const result: ScoreResult = n === 0 ? { scores: [] } : await scorer.score(request, options)
  const out: ScoredPairs = {
    scores: result.scores,
    hits: 0,
    misses: n,
    pairsScored: n,
    cacheMs: 0,
    backendMs: performance.now() - t0,
    cachedPromptTokens: 0,
    cachedPairsUnknownTokens: 0,
    truncated: result.truncated?.length ?? 0,
    cacheStatus: `${CACHE_NAME}; fwd=bypass; detail="${reason}"`,
    counts: { ...zeroCounts(), forwarded: n },
  }
  if (result.promptTokens !== undefined) out.promptTokens = result.promptTokens
  return out
}

