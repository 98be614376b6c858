/**
 * @module score-value
 * What may enter or leave the score cache, and how a score is stored. Pure.
 *
 * AGENTS.md "Never": nothing that is not a finite score in [0, 1] is cached. Qwen3-Reranker's
 * score is sigmoid(logit_yes − logit_no) (the model card's score, softmax over the "yes"/"no" logits: QwenLM/Qwen3-Embedding README, "Reranker Model"), so it
 * always lies in [0, 1]; anything else is a fault, not a score.
 *
 * Stored form: the shortest decimal string that round-trips to the same double
 * (ECMA-262 Number::toString), e.g. "0.7310585786300049": exact, 20 bytes at most, and readable
 * through KV's text type (bulk `get` returns text or JSON only, not ArrayBuffers).
 *
 * With the prompt tokens the pair cost (what a hit saves the GPU): "<score>;<tokens>", e.g.
 * "0.7310585786300049;412". A value without ";" (written before tokens were kept) still reads as
 * a score whose cost is unknown. A document the scorer cut to fit its context adds ";cut"
 * ("0.73;412;cut", or "0.73;;cut" when the cost is unknown), so a hit still reports the cut.
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

const isTokenCount = (t: unknown): t is number => typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= MAX_PAIR_TOKENS

export function encodeStored(value: StoredScore): string {
  const score = encodeScore(value.score)
  const tokens = isTokenCount(value.tokens) ? String(value.tokens) : ''
  if (value.cut === true) return `${score};${tokens};cut`
  return tokens === '' ? score : `${score};${tokens}`
}

/** The score and tokens a stored value holds; undefined when the score part is not valid. */
export function decodeStored(stored: string | null | undefined): StoredScore | undefined {
  if (stored === null || stored === undefined) return undefined
  const parts = stored.split(';')
  if (parts.length > 3) return undefined
  const score = decodeScore(parts[0])
  if (score === undefined) return undefined
  if (parts.length === 1) return { score }
  const rest = parts[1] as string
  const cut = parts.length === 3
  if (cut && parts[2] !== 'cut') return undefined
  // Only what encodeStored writes: digits, no sign, no leading zero (empty only before ";cut").
  if (rest === '' && cut) return { score, cut: true }
  const tokens = /^(?:0|[1-9]\d{0,6})$/u.test(rest) ? Number(rest) : undefined
  if (!isTokenCount(tokens)) return undefined
  return cut ? { score, tokens, cut: true } : { score, tokens }
}
