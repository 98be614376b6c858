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
  /**
   * Documents as `PairScorer.prepare` returned them (the scorer's own form, which the cache keys),
   * not yet prompt-formatted; a scorer that fits documents lazily does it in `score`.
   */
  documents: readonly string[]
  /**
   * The token budget `prepare` chose for the call (`PreparedPairs.budget`), which the cache keyed;
   * absent for a scorer that has none (the lexical one). The vLLM scorer refuses a call without it.
   */
  budget?: DocumentBudget | undefined
}

/**
 * What besides the texts decides how a scorer cuts a document to fit: part of every cache key
 * (`key`), since the cache keys documents before they are fitted.
 */
export interface DocumentBudget {
  /** A canonical description of the budget (e.g. "8192/-"): equal keys, equal cuts. */
  key: string
  /** Tokens one formatted pair may take (the vLLM scorer: `--max-model-len`). */
  maxModelLen: number
  /** The caller's cap on a document's own tokens (Cohere `max_tokens_per_doc`). */
  maxTokensPerDoc?: number | undefined
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
  /** Indices of documents whose text `score` cut to fit the budget (the cache remembers it). */
  truncated?: readonly number[]
}

export interface ScoreOptions {
  /** Absolute deadline (ms since epoch, from the caller's clock). */
  deadline: number
  signal?: AbortSignal
  /** The call's request id: a scorer that calls a backend sends it along, to match the two sides' logs. */
  requestId?: string | undefined
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
  /**
   * One text per document in the scorer's own form, which the cache keys: either already fitted
   * (`truncated` counts the cuts), or, for a scorer that fits lazily (the vLLM one: only what
   * reaches the backend pays for the token budget), fitted by `score` under `budget`.
   */
  documents: string[]
  /** Documents whose text `prepare` already cut to fit. */
  truncated: number
  /** The budget `score` fits the documents to; part of the cache key. */
  budget?: DocumentBudget | undefined
}

/**
 * A prompt template clients may already have applied themselves (the model card's example does),
 * taken apart so the call is scored as the plain one would be (backends/vllm/qwen3-preformatted.ts).
 */
export interface PreformattedPrompts {
  /** The template's name, for messages ("Qwen3-Reranker"). */
  readonly template: string
  /** The instruction and query inside a query in the template; undefined: not exactly the template. */
  query(text: string): { instruction: string; query: string } | undefined
  /** The document inside a document in the template; undefined: not exactly the template. */
  document(text: string): string | undefined
}

export interface PairScorer {
  readonly kind: BackendKind
  /**
   * The client-side template this scorer takes apart (rerank/unwrap-preformatted.ts); absent: every
   * text is plain.
   */
  readonly preformatted?: PreformattedPrompts
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
