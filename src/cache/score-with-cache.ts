/**
 * @module score-with-cache
 * Scores (instruction, query, document) pairs through the cache tiers and forwards exactly the
 * missing pairs to the backend, as one ScoreRequest, merging the answers back in request order.
 *
 * Tiers, in lookup order:
 *  1. the isolate's byte-bounded LRU (`memory-lru`), microseconds;
 *  2. pairs another call in this isolate is scoring right now (`single-flight`): joined, not re-sent;
 *  3. the shared edge store (`kv-score-store`: Workers KV, one bulk read per 100 keys);
 *  4. the backend, for what is left. Its scores enter the LRU at once and the edge store after the
 *     response (`waitUntil`).
 *
 * Keys (`score-key`): one SHA-256 of the call's scope (tenant namespace, backend, model,
 * MODEL_REVISION, prompt format, instruction, query) per call. Tiers 1–2 key on that digest and
 * the exact document text (native Map hashing, no per-document SHA-256 on the hit path); tier 3 on
 * the SHA-256 pair key, derived only for the documents that reach it.
 *
 * Never cached (AGENTS.md "Never"): anything from a call that threw; any reply holding a score that
 * is not finite or not in [0, 1] (the whole reply is rejected: 502); anything from the lexical
 * scorer (its scores depend on the candidate set, so the cache is bypassed altogether); a result a
 * scorer attributes to another backend than its own (`servedBy`, for a fallback scorer).
 * A failing store is a miss (reads) or a lost write, counted, never a failed request.
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
import { PROMPT_FORMAT_VERSION } from '../backends/vllm/qwen3-prompt'
import { BackendError } from '../backends/backend-error'
import type { BackendKind, PairScorer, ScoreOptions, ScoreRequest, ScoreResult } from '../backends/types'
import { ByteBoundedLru } from './memory-lru'
import { pairKeys, scopeDigest } from './score-key'
import type { ScoreStore } from './score-store'
import { isCacheableScore } from './score-value'
import { SingleFlight } from './single-flight'

export type CacheMode = 'default' | 'no-cache' | 'no-store'

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
  /** The isolate's tiers (tests pass their own). */
  memory?: ByteBoundedLru
  flights?: SingleFlight
}

export interface CacheCounts {
  /** Positions served from the isolate's memory. */
  memory: number
  /** Positions served from the edge store. */
  edge: number
  /** Positions served by joining another call's backend request. */
  collapsed: number
  /** Distinct pairs this call sent to the backend. */
  forwarded: number
  /** Edge read / write operations (writes: scheduled after the response). */
  edgeReads: number
  edgeWrites: number
  /** Edge operations that failed (reads: counted before the response; writes: not yet known). */
  edgeFailures: number
}

export interface ScoredPairs {
  scores: number[]
  hits: number
  misses: number
  promptTokens?: number
  cacheMs: number
  backendMs: number
  /** RFC 9211 Cache-Status value. */
  cacheStatus: string
  counts: CacheCounts
}

/** RFC 9211 cache name for this service's score cache. */
export const CACHE_NAME = 'rerank-edge'

/**
 * At most this many edge writes per request. KV allows 1,000 operations per invocation
 * (developers.cloudflare.com/kv/platform/limits; a bulk read counts once); MAX_DOCUMENTS is 1,000
 * by default, so a full miss of 1,000 pairs would otherwise exceed it with its ≤ 10 reads. The pairs
 * not written still enter the isolate's memory.
 */
export const MAX_EDGE_WRITES_PER_REQUEST = 900

/** A slow store must not hold a request: past this share of the time left, reads count as misses. */
const EDGE_READ_SHARE_OF_DEADLINE = 0.25
const EDGE_READ_MAX_MS = 2000

/** The isolate's own tiers: they live as long as the isolate (module scope). */
const isolateMemory = new ByteBoundedLru(0)
const isolateFlights = new SingleFlight()

/** A scorer may say which backend actually produced a result (e.g. a fallback): never cache those. */
type AttributedResult = ScoreResult & { servedBy?: BackendKind }

const zeroCounts = (): CacheCounts => ({
  memory: 0,
  edge: 0,
  collapsed: 0,
  forwarded: 0,
  edgeReads: 0,
  edgeWrites: 0,
  edgeFailures: 0,
})

export async function scoreWithCache(
  deps: ScoreWithCacheDeps,
  request: ScoreRequest,
  options: ScoreOptions
): Promise<ScoredPairs> {
  const n = request.documents.length
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
  const now = deps.now ?? Date.now()
  const memory = deps.memory ?? isolateMemory
  if (memory === isolateMemory && memory.capacityBytes !== config.CACHE_MEMORY_BYTES) {
    memory.setCapacity(config.CACHE_MEMORY_BYTES)
  }
  const flights = deps.flights ?? isolateFlights
  const store = deps.store ?? null
  const counts = zeroCounts()
  const t0 = performance.now()

  const scopeHex = await scopeDigest({
    namespace: deps.namespace,
    backend: deps.scorer.kind,
    model: deps.scorer.model,
    modelRevision: config.MODEL_REVISION,
    promptFormat: PROMPT_FORMAT_VERSION,
    instruction: request.instruction,
    query: request.query,
  })
  // Distinct documents → the positions that need them (a repeated document is scored once).
  const positions = new Map<string, number[]>()
  request.documents.forEach((doc, i) => {
    const at = positions.get(doc)
    if (at) at.push(i)
    else positions.set(doc, [i])
  })
  // The in-isolate tiers key on the exact text: memory on (scope digest, document), single-flight
  // on scope digest + "\n" + document. A full hit computes no SHA-256 per document; the edge store
  // needs short, fixed-size keys, computed only for the documents that reach it.
  const local = (doc: string) => `${scopeHex}\n${doc}`

  const scores = new Array<number>(n).fill(Number.NaN)
  const fill = (doc: string, score: number) => {
    for (const i of positions.get(doc) ?? []) scores[i] = score
  }
  const width = (doc: string) => positions.get(doc)?.length ?? 0
  const joined = new Map<string, Promise<number>>()
  const edgeKeyOf = new Map<string, string>()
  let toForward: string[]

  if (deps.mode === 'no-cache') {
    toForward = [...positions.keys()]
  } else {
    const needEdge: string[] = []
    for (const doc of positions.keys()) {
      const hit = memory.get(scopeHex, doc, now)
      if (hit !== undefined) {
        fill(doc, hit)
        counts.memory += width(doc)
        continue
      }
      const flight = flights.join(local(doc))
      if (flight) joined.set(doc, flight)
      else needEdge.push(doc)
    }
    let found = new Map<string, number>()
    if (store && needEdge.length > 0) {
      const edgeKeys = await pairKeys(scopeHex, needEdge)
      needEdge.forEach((doc, i) => edgeKeyOf.set(doc, edgeKeys[i] as string))
      found = await readEdge(store, edgeKeys, options.deadline, counts)
    }
    toForward = []
    const expiresAt = now + config.CACHE_TTL_SECONDS * 1000
    // No `await` from here to `flights.begin`: the claim below must see every other claim.
    for (const doc of needEdge) {
      const edgeKey = edgeKeyOf.get(doc)
      const hit = edgeKey === undefined ? undefined : found.get(edgeKey)
      if (hit !== undefined) {
        fill(doc, hit)
        counts.edge += width(doc)
        memory.set(scopeHex, doc, hit, expiresAt)
        continue
      }
      const flight = flights.join(local(doc))
      if (flight) joined.set(doc, flight)
      else toForward.push(doc)
    }
  }

  const flight = toForward.length > 0 ? flights.begin(toForward.map(local)) : undefined
  const cacheMs = performance.now() - t0
  const t1 = performance.now()
  let promptTokens: number | undefined
  let stored = false

  const forward = async () => {
    if (!flight) return
    let result: AttributedResult
    try {
      result = await deps.scorer.score({ instruction: request.instruction, query: request.query, documents: toForward }, options)
      if (result.scores.length !== toForward.length || !result.scores.every(isCacheableScore)) {
        throw new BackendError({ kind: 'bad_reply', message: 'backend produced an invalid score' })
      }
    } catch (e) {
      flight.reject(e)
      throw e
    }
    const byKey = new Map<string, number>()
    toForward.forEach((doc, j) => byKey.set(local(doc), result.scores[j] as number))
    flight.resolve(byKey)
    toForward.forEach((doc, j) => fill(doc, result.scores[j] as number))
    counts.forwarded = toForward.length
    promptTokens = result.promptTokens
    if (result.servedBy !== undefined && result.servedBy !== deps.scorer.kind) return
    const expiresAt = now + config.CACHE_TTL_SECONDS * 1000
    toForward.forEach((doc, j) => memory.set(scopeHex, doc, result.scores[j] as number, expiresAt))
    stored = true
    if (store) {
      const docs = toForward.slice(0, MAX_EDGE_WRITES_PER_REQUEST)
      const written = result.scores.slice(0, docs.length)
      counts.edgeWrites = docs.length
      // After the response: the edge keys of pairs that were never looked up there (no-cache) are
      // derived here too, off the response path.
      const write = async () => {
        try {
          const missing = docs.filter((d) => !edgeKeyOf.has(d))
          if (missing.length > 0) {
            const keys = await pairKeys(scopeHex, missing)
            missing.forEach((d, i) => edgeKeyOf.set(d, keys[i] as string))
          }
          await store.putMany(docs.map((d, i) => [edgeKeyOf.get(d) as string, written[i] as number] as const))
        } catch {
          // A store must count its own failures; one that throws anyway loses only these writes.
        }
      }
      deps.waitUntil(write())
    }
  }
  const waitJoined = async () => {
    if (joined.size === 0) return
    const settled = await withDeadline(
      Promise.all([...joined].map(async ([key, p]) => [key, await p] as const)),
      options.deadline
    )
    for (const [doc, score] of settled) {
      fill(doc, score)
      counts.collapsed += width(doc)
    }
  }
  await Promise.all([forward(), waitJoined()])
  const backendMs = flight || joined.size > 0 ? performance.now() - t1 : 0

  const hits = counts.memory + counts.edge
  const misses = n - hits
  const out: ScoredPairs = {
    scores,
    hits,
    misses,
    cacheMs,
    backendMs,
    cacheStatus: cacheStatus(deps.mode, hits, misses, counts, stored),
    counts,
  }
  if (promptTokens !== undefined) out.promptTokens = promptTokens
  return out
}

async function bypass(
  scorer: PairScorer,
  request: ScoreRequest,
  options: ScoreOptions,
  reason: string
): Promise<ScoredPairs> {
  const n = request.documents.length
  const t0 = performance.now()
  const result = n === 0 ? { scores: [] } : await scorer.score(request, options)
  const out: ScoredPairs = {
    scores: result.scores,
    hits: 0,
    misses: n,
    cacheMs: 0,
    backendMs: performance.now() - t0,
    cacheStatus: `${CACHE_NAME}; fwd=bypass; detail="${reason}"`,
    counts: { ...zeroCounts(), forwarded: n },
  }
  if (result.promptTokens !== undefined) out.promptTokens = result.promptTokens
  return out
}

async function readEdge(
  store: ScoreStore,
  keys: readonly string[],
  deadline: number,
  counts: CacheCounts
): Promise<Map<string, number>> {
  const budget = Math.min(EDGE_READ_MAX_MS, Math.max(0, (deadline - Date.now()) * EDGE_READ_SHARE_OF_DEADLINE))
  const before = { reads: store.stats.readOps, failures: store.stats.readFailures }
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), budget)
    })
    const found = await Promise.race([store.getMany(keys), timeout])
    if (found === undefined) counts.edgeFailures++
    return found ?? new Map()
  } catch {
    counts.edgeFailures++
    return new Map()
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    counts.edgeReads += store.stats.readOps - before.reads
    counts.edgeFailures += store.stats.readFailures - before.failures
  }
}

/** Waits for `p`, but not past the caller's own deadline (a joined flight may run longer). */
async function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  const remaining = deadline - Date.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BackendError({ kind: 'timeout', message: 'backend did not answer within the deadline' })),
      Math.max(0, remaining)
    )
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}

/** The RFC 9211 Cache-Status member for a cached (not bypassed) call. */
export function cacheStatus(mode: CacheMode, hits: number, misses: number, c: CacheCounts, stored: boolean): string {
  const parts = [CACHE_NAME]
  if (mode === 'no-cache') parts.push('fwd=request')
  else if (misses === 0) parts.push('hit')
  else parts.push(hits > 0 ? 'fwd=partial' : 'fwd=miss')
  if (stored) parts.push('stored')
  if (c.collapsed > 0) parts.push('collapsed')
  const detail = [
    `hits=${hits}`,
    `misses=${misses}`,
    `memory=${c.memory}`,
    `edge=${c.edge}`,
    `collapsed=${c.collapsed}`,
    `forwarded=${c.forwarded}`,
    `edge-reads=${c.edgeReads}`,
    `edge-writes=${c.edgeWrites}`,
  ]
  if (c.edgeFailures > 0) detail.push(`edge-failures=${c.edgeFailures}`)
  parts.push(`detail="${detail.join(' ')}"`)
  return parts.join('; ')
}
