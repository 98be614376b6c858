/**
 * @module score-value
 * What may enter or leave the score cache, and how a score is stored. Pure.
 *
 * AGENTS.md "Never": nothing that is not a finite score in [0, 1] is cached. Qwen3-Reranker's
 * score is sigmoid(logit_yes − logit_no) (the model card's score, softmax over the "yes"/"no" logits: QwenLM/Qwen3-Embedding README, "Reranker Model"), so it
 * always lies in [0, 1]; anything else is a fault, not a score.
 *
 * How the edge tier stores a score (float64, exact, with its token cost and cut flag): `score-bucket`.
 */

export function isCacheableScore(score: unknown): score is number {
  return typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 1
}

/**
 * A cached score, the prompt tokens the backend spent on it (undefined: not known), and whether
 * the scorer cut the document to fit its context.
 */
export interface StoredScore {
  score: number
  tokens?: number | undefined
  cut?: boolean | undefined
}

/** At most this many tokens per pair are believed (a Qwen3-Reranker context is 32,768 / 40,960). */
export const MAX_PAIR_TOKENS = 1_000_000
