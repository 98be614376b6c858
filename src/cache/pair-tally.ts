/**
 * @module pair-tally
 * What one cached call learns about its distinct documents as it goes through the tiers: each
 * one's score, where it came from, and the prompt tokens and truncations it carries. Pure.
 *
 * `k` is a distinct document's index (`lib/distinct-strings.ts`); `width[k]` is how many request
 * positions hold it, so every count is in request positions (what `Cache-Status` and usage
 * report), while a score is kept once per distinct document.
 */
import { zeroCounts, type CacheCounts } from './cache-status'
import type { CachedPair } from './memory-lru'

export class PairTally {
  /** Score per distinct document; NaN until a tier or the backend gives it. */
  readonly values: Float64Array
  readonly counts: CacheCounts = zeroCounts()
  /** Prompt tokens the served-from-cache and shared pairs cost when they were scored. */
  cachedTokens = 0
  /** Positions served from cache or shared whose cost was not kept. */
  cachedUnknown = 0
  /** Positions whose document was cut to fit the context (now, or when the score was made). */
  truncated = 0
  readonly #width: ArrayLike<number>

  constructor(distinctCount: number, width: ArrayLike<number>) {
    this.values = new Float64Array(distinctCount).fill(Number.NaN)
    this.#width = width
  }

  /** A pair a cache tier held. */
  hit(k: number, v: CachedPair, tier: 'memory' | 'edge'): void {
    this.counts[tier] += this.#width[k] as number
    this.#reuse(k, v)
  }

  /** A pair another call in the isolate was scoring, joined: the GPU spent nothing more on it, as for a hit. */
  shared(k: number, v: CachedPair): void {
    this.counts.collapsed += this.#width[k] as number
    this.#reuse(k, v)
  }

  /** A pair this call sent to the backend. */
  scored(k: number, score: number, cut: boolean): void {
    this.values[k] = score
    if (cut) this.truncated += this.#width[k] as number
  }

  #reuse(k: number, v: CachedPair): void {
    const w = this.#width[k] as number
    this.values[k] = v.score
    if (v.tokens === undefined) this.cachedUnknown += w
    else this.cachedTokens += v.tokens
    if (v.cut === true) this.truncated += w
  }
}
