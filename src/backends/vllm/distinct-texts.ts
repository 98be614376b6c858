/**
 * @module distinct-texts
 * Documents that reach the model as the same text are one pair: the cache keys documents before
 * they are cut to fit (qwen3-token-budget.ts), so two long documents that share their first
 * tokens may be cut to one text; that text is sent once and its answer given to both. Pure.
 */
import { apportionTokens } from '../../lib/apportion-tokens'
import { distinctStrings } from '../../lib/distinct-strings'
import type { ScoreResult } from '../types'

export interface DistinctTexts {
  /** Each text once, in order of first appearance. */
  texts: string[]
  /** A result for `texts`, spread back over the original documents. */
  spread(result: ScoreResult): ScoreResult
}

export function distinctTexts(documents: readonly string[]): DistinctTexts {
  const { distinct: texts, slot: at, count: copies } = distinctStrings(documents)
  const n = documents.length
  return {
    texts,
    spread(result) {
      if (texts.length === n) return result
      const scores = Array.from(at, (u) => result.scores[u] as number)
      const out: ScoreResult = { scores }
      if (result.promptTokens !== undefined) out.promptTokens = result.promptTokens
      // One pair's tokens shared by the documents it stands for, so the shares still sum to usage.
      const p = result.pairTokens
      if (p !== undefined) {
        const shares = texts.map((_, u) => apportionTokens(p[u] ?? 0, new Array<number>(copies[u] as number).fill(1)))
        const used = new Array<number>(texts.length).fill(0)
        out.pairTokens = Array.from(at, (u) => shares[u]![used[u]!++] as number)
      }
      if (result.uncacheable !== undefined) {
        const changed = new Set(result.uncacheable)
        out.uncacheable = [...at.keys()].filter((i) => changed.has(at[i] as number))
      }
      return out
    },
  }
}
