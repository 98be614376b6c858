/**
 * @module token-budget
 * Conservative token estimates and client-side truncation. vLLM must never truncate
 * (its `truncate_prompt_tokens` keeps the *first* N tokens and so cuts the Qwen3 suffix,
 * which ruins the score: shared/notes/vllm-qwen3-reranker.md §2.4), so the worker cuts the
 * document text itself, as the model card does (`max_length − len(prefix) − len(suffix)`).
 *
 * Without the Qwen3 tokenizer at the edge we over-estimate: the Qwen tokenizer averages about
 * 4 characters per token on English and about 1 per CJK character (notes §2.4 suggest 3 and 1
 * as a conservative budget). We count 1 token per 3 non-CJK UTF-16 units and 1 per CJK/kana/
 * hangul code point, so an estimate never falls below the real count on ordinary text.
 */

const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u

export const CHARS_PER_TOKEN = 3

export function estimateTokens(text: string): number {
  let cjk = 0
  let other = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // Fast path: ASCII is never CJK.
    if (c < 0x2e80) other++
    else if (CJK.test(text[i] ?? '')) cjk++
    else other++
  }
  return cjk + Math.ceil(other / CHARS_PER_TOKEN)
}

/**
 * Cuts `text` so that `estimateTokens(result) <= maxTokens`, never splitting a surrogate pair.
 * Returns the text unchanged when it already fits.
 */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  if (maxTokens <= 0) return { text: '', truncated: text.length > 0 }
  // Quick accept: even if every unit were CJK this fits.
  if (text.length <= maxTokens) return { text, truncated: false }
  if (estimateTokens(text) <= maxTokens) return { text, truncated: false }
  let cjk = 0
  let other = 0
  let end = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const isCjk = c >= 0x2e80 && CJK.test(text[i] ?? '')
    const nextCjk = cjk + (isCjk ? 1 : 0)
    const nextOther = other + (isCjk ? 0 : 1)
    if (nextCjk + Math.ceil(nextOther / CHARS_PER_TOKEN) > maxTokens) break
    cjk = nextCjk
    other = nextOther
    end = i + 1
  }
  // Do not end on a lone high surrogate.
  const last = text.charCodeAt(end - 1)
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--
  return { text: text.slice(0, end), truncated: true }
}
