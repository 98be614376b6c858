/**
 * @module render-documents
 * What the model reads for each document: the (metadata-folded) text, truncated client-side
 * to the token budget left by the formatted query. Pure.
 */
import { ApiError } from '../errors'
import { formatQwen3Document, formatQwen3Query } from '../backends/vllm/qwen3-prompt'
import { estimateTokens, truncateToTokens } from './token-budget'

/** Head-room for the estimate's error and special-token accounting. */
const SAFETY_TOKENS = 16
const DOCUMENT_WRAPPER_TOKENS = estimateTokens(formatQwen3Document(''))

export interface RenderOptions {
  maxModelLen: number
  /** The caller's per-document cap (Cohere `max_tokens_per_doc`), if any. */
  maxTokensPerDoc?: number
}

export interface RenderedDocuments {
  texts: string[]
  truncated: number
  /** The document token budget that applied. */
  budget: number
}

export function documentTokenBudget(instruction: string, query: string, options: RenderOptions): number {
  const queryTokens = estimateTokens(formatQwen3Query(instruction, query))
  const budget = options.maxModelLen - queryTokens - DOCUMENT_WRAPPER_TOKENS - SAFETY_TOKENS
  if (budget < 16) {
    throw new ApiError(
      'invalid_request',
      `query: the query and instruction take about ${queryTokens} tokens, leaving no room for documents within the model's ${options.maxModelLen}-token context`,
      { field: 'query' }
    )
  }
  return options.maxTokensPerDoc === undefined ? budget : Math.min(budget, options.maxTokensPerDoc)
}

export function renderDocuments(
  instruction: string,
  query: string,
  foldedTexts: readonly string[],
  options: RenderOptions
): RenderedDocuments {
  const budget = documentTokenBudget(instruction, query, options)
  let truncated = 0
  const texts = foldedTexts.map((t) => {
    const r = truncateToTokens(t, budget)
    if (r.truncated) truncated++
    return r.text
  })
  return { texts, truncated, budget }
}
