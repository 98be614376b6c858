/**
 * @module backend-types
 * The contract between the rerank pipeline and whatever scores pairs.
 */

export type BackendKind = 'vllm' | 'lexical'

export interface ScoreRequest {
  /** The rendered instruction (never empty: the default instruction when none is given). */
  instruction: string
  query: string
  /** Model-ready document texts: metadata folded and truncated, not yet prompt-formatted. */
  documents: readonly string[]
}

export interface ScoreResult {
  /** One finite score in [0, 1] per document, in request order. */
  scores: number[]
  /** Tokens the backend reports having processed, when it reports them. */
  promptTokens?: number
  /**
   * Each pair's share of `promptTokens`, in request order (whole numbers summing to it per
   * backend request: cache/apportion-tokens.ts). The cache keeps it with the score.
   */
  pairTokens?: number[]
}

export interface ScoreOptions {
  /** Absolute deadline (ms since epoch, from the caller's clock). */
  deadline: number
  signal?: AbortSignal
}

export interface PairScorer {
  readonly kind: BackendKind
  /** What the scores mean: the served model name, or the lexical scorer's name. */
  readonly model: string
  score(request: ScoreRequest, options: ScoreOptions): Promise<ScoreResult>
}
