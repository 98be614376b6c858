/**
 * @module score-value
 * What may enter or leave the score cache, and how a score is stored. Pure.
 *
 * AGENTS.md "Never": nothing that is not a finite score in [0, 1] is cached. Qwen3-Reranker's
 * score is sigmoid(logit_yes − logit_no) (shared/notes/vllm-qwen3-reranker.md §3.4), so it
 * always lies in [0, 1]; anything else is a fault, not a score.
 *
 * Stored form: the shortest decimal string that round-trips to the same double
 * (ECMA-262 Number::toString), e.g. "0.7310585786300049": exact, 20 bytes at most, and readable
 * through KV's text type (bulk `get` returns text or JSON only, not ArrayBuffers).
 */

export function isCacheableScore(score: unknown): score is number {
  return typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 1
}

export function encodeScore(score: number): string {
  if (!isCacheableScore(score)) throw new RangeError(`not a cacheable score: ${String(score)}`)
  return String(score)
}

/** The score a stored value holds, or undefined when it is absent or not a valid score. */
export function decodeScore(stored: string | null | undefined): number | undefined {
  if (stored === null || stored === undefined || stored === '') return undefined
  // Number('') is 0 and Number(' 1 ') is 1: accept only what encodeScore writes.
  if (!/^(?:0|1|0\.\d+|\d(?:\.\d+)?e-\d+)$/u.test(stored)) return undefined
  const n = Number(stored)
  return isCacheableScore(n) ? n : undefined
}
