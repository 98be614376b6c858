/**
 * @module build-response
 * Sorts scored documents and shapes the public response (Cohere/Jina/vLLM compatible: results
 * sorted by score with `index` into the request, as docs.cohere.com/reference/rerank and vLLM's
 * `RerankResponse` in `vllm/entrypoints/pooling/score/protocol.py`; the README "Try it" shows one). Pure.
 */
import type { BackendKind } from '../backends/types'
import type { NormalizedDocument } from '../documents/document'
import { gpuMsFor } from '../cache/gpu-savings'

export interface RerankResult {
  index: number
  relevance_score: number
  /** `{text, id?}`, or with `rank_fields` the object as sent (Cohere v1 returns it so). */
  document?: { text: string; id?: string } | Readonly<Record<string, unknown>>
  explanation?: unknown
}

export interface RerankResponse {
  id: string
  model: string
  results: RerankResult[]
  usage: {
    total_tokens: number
    /** Always present: vLLM's `RerankUsage` declares it required beside total_tokens (0: nothing scored). */
    prompt_tokens: number
    search_units: number
    pairs: number
    pairs_scored: number
    pairs_cached: number
    /** Prompt tokens the cached pairs cost when scored: not spent again (apportioned per pair). */
    cached_prompt_tokens: number
  }
  meta: {
    api_version: { version: string }
    billed_units: { search_units: number }
    backend: BackendKind
    model: string
    cache: { hits: number; misses: number }
    cache_savings: CacheSavingsMeta
    instruction: string
    instruction_source: string
    template?: unknown
    experiment?: unknown
    /** How final scores were fused (weights, boost rules, time decay, the clock), when they were. */
    fusion?: unknown
    truncated_documents?: number
    warnings?: string[]
  }
}

/** What this call's cache hits saved the GPU (cache/gpu-savings.ts). */
export interface CacheSavingsMeta {
  /** Prompt tokens of the pairs served from the cache (each pair's share of its batch's usage). */
  prompt_tokens: number
  /** GPU-ms those tokens took at CACHE_GPU_TOKENS_PER_SECOND; absent when that is not set. */
  gpu_ms?: number
  /** Cache hits stored before costs were kept: saved, but by how much is not known. */
  hits_cost_unknown?: number
}

export interface BuildResponseInput {
  id: string
  model: string
  backend: BackendKind
  documents: readonly NormalizedDocument[]
  /** Final scores (finite, in [0,1]) in request order. */
  scores: readonly number[]
  explanations?: readonly unknown[]
  /** Request indices in final order; default: by score, ties by index (orderByScore). */
  order?: readonly number[]
  topN?: number
  returnDocuments: boolean
  /** `meta.api_version.version`: the Cohere API version of the path that was called. */
  apiVersion: string
  hits: number
  misses: number
  /** Pairs this call sent to the backend (score-with-cache `ScoredPairs.pairsScored`); default `misses`. */
  pairsScored?: number
  promptTokens?: number
  /** Prompt tokens the cache hits (and shared pairs) cost when scored, and those whose cost is not known. */
  cachedPromptTokens?: number
  cachedPairsUnknownTokens?: number
  /** CACHE_GPU_TOKENS_PER_SECOND for the model; undefined: report tokens only. */
  gpuTokensPerSecond?: number | undefined
  instruction: string
  instructionSource: string
  template?: unknown
  experiment?: unknown
  fusion?: unknown
  truncated: number
  warnings: string[]
}

/** Cohere bills one search unit per query of up to 100 documents; here per 100 pairs sent (cache hits are free). */
export function searchUnits(pairsScored: number): number {
  return Math.ceil(pairsScored / 100)
}

export function orderByScore(scores: readonly number[]): number[] {
  const order = scores.map((_, i) => i)
  // Ties broken by the caller's index so the order is deterministic.
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
  return order
}

export function buildResponse(input: BuildResponseInput): RerankResponse {
  const order = input.order ?? orderByScore(input.scores)
  const n = input.topN && input.topN > 0 ? Math.min(input.topN, order.length) : order.length
  const results: RerankResult[] = []
  for (let r = 0; r < n; r++) {
    const index = order[r] as number
    const result: RerankResult = { index, relevance_score: input.scores[index] as number }
    if (input.returnDocuments) {
      const doc = input.documents[index] as NormalizedDocument
      result.document = doc.original ?? (doc.id === undefined ? { text: doc.text } : { text: doc.text, id: doc.id })
    }
    if (input.explanations) result.explanation = input.explanations[index]
    results.push(result)
  }
  // Billed and reported as scored: the pairs this call sent. A pair another call was already
  // scoring, or a document repeated in this call, reached the GPU once, for one call.
  const scoredPairs = input.pairsScored ?? input.misses
  const units = searchUnits(scoredPairs)
  const tokens = input.promptTokens ?? 0
  const saved = input.cachedPromptTokens ?? 0
  const savings: CacheSavingsMeta = { prompt_tokens: saved }
  const gpuMs = gpuMsFor(saved, input.gpuTokensPerSecond)
  if (gpuMs !== undefined) savings.gpu_ms = gpuMs
  if ((input.cachedPairsUnknownTokens ?? 0) > 0) savings.hits_cost_unknown = input.cachedPairsUnknownTokens as number
  const response: RerankResponse = {
    id: input.id,
    model: input.model,
    results,
    usage: {
      total_tokens: tokens,
      prompt_tokens: tokens,
      search_units: units,
      pairs: input.documents.length,
      pairs_scored: scoredPairs,
      pairs_cached: input.hits,
      cached_prompt_tokens: saved,
    },
    meta: {
      api_version: { version: input.apiVersion },
      billed_units: { search_units: units },
      backend: input.backend,
      model: input.model,
      cache: { hits: input.hits, misses: input.misses },
      cache_savings: savings,
      instruction: input.instruction,
      instruction_source: input.instructionSource,
    },
  }
  if (input.template !== undefined) response.meta.template = input.template
  if (input.experiment !== undefined) response.meta.experiment = input.experiment
  if (input.fusion !== undefined) response.meta.fusion = input.fusion
  if (input.truncated > 0) response.meta.truncated_documents = input.truncated
  if (input.warnings.length > 0) response.meta.warnings = input.warnings
  return response
}
