import { describe, expect, it } from 'vitest'
import { buildResponse, type BuildResponseInput } from './build-response'

const base: BuildResponseInput = {
  id: 'r1',
  model: 'qwen3-reranker-8b',
  backend: 'vllm',
  documents: [{ text: 'a' }, { text: 'b' }, { text: 'c' }],
  scores: [0.2, 0.9, 0.5],
  returnDocuments: false,
  apiVersion: '2',
  hits: 2,
  misses: 1,
  promptTokens: 120,
  instruction: 'i',
  instructionSource: 'default',
  truncated: 0,
  warnings: [],
}

describe('buildResponse: what the cache saved', () => {
  it('reports the hits\' prompt tokens in usage and meta.cache_savings, and GPU-ms at the configured rate', () => {
    const r = buildResponse({ ...base, cachedPromptTokens: 4500, gpuTokensPerSecond: 9000 })
    expect(r.usage).toMatchObject({ prompt_tokens: 120, total_tokens: 120, pairs_scored: 1, pairs_cached: 2, cached_prompt_tokens: 4500 })
    expect(r.meta.cache).toEqual({ hits: 2, misses: 1 })
    expect(r.meta.cache_savings).toEqual({ prompt_tokens: 4500, gpu_ms: 500 })
    expect(r.results.map((x) => x.index)).toEqual([1, 2, 0])
  })

  it('reports tokens only without a rate, and counts hits whose cost was never kept', () => {
    const r = buildResponse({ ...base, cachedPromptTokens: 30, cachedPairsUnknownTokens: 1 })
    expect(r.meta.cache_savings).toEqual({ prompt_tokens: 30, hits_cost_unknown: 1 })
    expect(buildResponse(base).meta.cache_savings).toEqual({ prompt_tokens: 0 })
    expect(buildResponse(base).usage.cached_prompt_tokens).toBe(0)
  })
})
