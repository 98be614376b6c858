/**
 * @module score-with-cache
 * Scores pairs through the cache tiers, forwarding only misses to the backend.
 * (First version: no cache; every pair is a miss.)
 */
import type { PairScorer, ScoreOptions, ScoreRequest } from '../backends/types'

export type CacheMode = 'default' | 'no-cache' | 'no-store'

export interface ScoreWithCacheDeps {
  scorer: PairScorer
  mode: CacheMode
  /** Cache partition: the tenant, plus an optional caller-chosen namespace. */
  namespace: string
  waitUntil: (p: Promise<unknown>) => void
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
}

export async function scoreWithCache(
  deps: ScoreWithCacheDeps,
  request: ScoreRequest,
  options: ScoreOptions
): Promise<ScoredPairs> {
  const t0 = performance.now()
  const result = await deps.scorer.score(request, options)
  const backendMs = performance.now() - t0
  const out: ScoredPairs = {
    scores: result.scores,
    hits: 0,
    misses: request.documents.length,
    cacheMs: 0,
    backendMs,
    cacheStatus: `rerank-edge; fwd=uri-miss; detail="hits=0 misses=${request.documents.length}"`,
  }
  if (result.promptTokens !== undefined) out.promptTokens = result.promptTokens
  return out
}
