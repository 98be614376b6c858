/**
 * @module backend-types
 * The contract between the rerank pipeline and whatever scores pairs. A scorer owns everything
 * that depends on its model: the prompt format version (part of every cache key), the default
 * instruction, and how documents are made ready for it (neutralising control-token text, fitting
 * the context). The pipeline and the cache know none of it.
 */
import type { FoldedDocument } from '../documents/fold'

export type BackendKind = 'vllm' | 'lexical'

export interface ScoreRequest {
  /** The prepared instruction (never empty: the scorer's default when none is given). */
  instruction: string
  query: string
  /** Model-ready document texts (`PairScorer.prepare`), not yet prompt-formatted. */
  documents: readonly string[]
}

export interface ScoreResult {
  /** One finite score in [0, 1] per document, in request order. */
  scores: number[]
  /** Tokens the backend reports having processed, when it reports them. */
  promptTokens?: number
  /**
   * Indices of documents the backend did not score as sent (re-cut after a context-length answer):
   * their scores are served but must not be cached under the text's key.
   */
  uncacheable?: readonly number[]
  /**
   * Each pair's share of `promptTokens`, in request order (whole numbers summing to each backend
   * request's usage: a scorer that knows its prompt format splits it, as
   * backends/vllm/qwen3-pair-tokens.ts does). The cache keeps it with the score.
   */
  pairTokens?: number[]
}

export interface ScoreOptions {
  /** Absolute deadline (ms since epoch, from the caller's clock). */
  deadline: number
  signal?: AbortSignal
}

export interface PrepareRequest {
  /** The resolved instruction (raw, rendered template, or `defaultInstruction`). */
  instruction: string
  query: string
  /** Folded documents: metadata head and tail around the caller's text. */
  documents: readonly FoldedDocument[]
  /** The caller's cap on a document's own tokens (Cohere `max_tokens_per_doc`). */
  maxTokensPerDoc?: number | undefined
}

export interface PreparedPairs {
  /** What the model reads and the cache keys: control-token text neutralised. */
  instruction: string
  query: string
  /** One model-ready text per document, fitted to the model's context. */
  documents: string[]
  /** Documents whose text was cut to fit. */
  truncated: number
}

export interface PairScorer {
  readonly kind: BackendKind
  /** What the scores mean: the served model name, or the lexical scorer's name. */
  readonly model: string
  /** Version of the prompt layout this scorer sends; part of every cache key. */
  readonly promptFormat: string
  /** The instruction a call without one is scored under. */
  readonly defaultInstruction: string
  /** Makes a call's texts ready for this model. Throws ApiError 400 when they cannot fit. */
  prepare(request: PrepareRequest): Promise<PreparedPairs>
  score(request: ScoreRequest, options: ScoreOptions): Promise<ScoreResult>
}
