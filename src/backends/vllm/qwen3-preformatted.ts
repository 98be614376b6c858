/**
 * @module qwen3-preformatted
 * Recognises a query and documents the *client* already wrapped in the Qwen3-Reranker prompt, and
 * takes the plain text back out. The model card's example (QwenLM/Qwen3-Embedding README.md,
 * "Reranker Model / vLLM Usage") and vLLM's own `examples/pooling/score/offline_reranker.py` send
 *
 *   query    = PREFIX + "<Instruct>: " + instruction + "\n<Query>: " + query + "\n"
 *   document = "<Document>: " + doc + SUFFIX
 *
 * to `/v1/rerank`, and clients copy it. This worker formats the prompt itself (qwen3-prompt.ts), so
 * such a request would be wrapped twice, its template tokens neutralised as caller text
 * (qwen3-special-tokens.ts), scored as nonsense and cached under keys no plain call shares.
 * Unwrapped, it is the plain request `{instruction, query, documents}`: same prompt, same keys.
 *
 * Strict on purpose: only the whole template, byte for byte, is taken apart. A near miss (another
 * system line, one newline more or less, a missing suffix, `<Query>: ` twice, an added token such as
 * `<|im_end|>` inside a part, which would mean some other turn structure) is not this template and
 * stays caller text, neutralised as any other. Pure; the same functions serve the lexical scorer, so
 * it does not score the template's words either.
 */
import type { PreformattedPrompts } from '../types'
import { QWEN3_PREFIX, QWEN3_SUFFIX } from './qwen3-prompt'
import { countAddedTokens } from './qwen3-special-tokens'

const QUERY_HEAD = `${QWEN3_PREFIX}<Instruct>: `
const QUERY_SEPARATOR = '\n<Query>: '
const QUERY_TAIL = '\n'
const DOCUMENT_HEAD = '<Document>: '

/** The instruction and query inside a model-card query; undefined when `text` is not exactly one. */
export function unwrapQwen3Query(text: string): { instruction: string; query: string } | undefined {
  if (!text.startsWith(QUERY_HEAD) || !text.endsWith(QUERY_TAIL)) return undefined
  const inner = text.slice(QUERY_HEAD.length, text.length - QUERY_TAIL.length)
  // Exactly one separator: with two, which one ends the instruction is a guess.
  const at = inner.indexOf(QUERY_SEPARATOR)
  if (at < 0 || inner.indexOf(QUERY_SEPARATOR, at + 1) >= 0) return undefined
  const instruction = inner.slice(0, at)
  const query = inner.slice(at + QUERY_SEPARATOR.length)
  if (hasAddedToken(instruction) || hasAddedToken(query)) return undefined
  return { instruction, query }
}

/** The document inside a model-card document; undefined when `text` is not exactly one. */
export function unwrapQwen3Document(text: string): string | undefined {
  if (text.length < DOCUMENT_HEAD.length + QWEN3_SUFFIX.length) return undefined
  if (!text.startsWith(DOCUMENT_HEAD) || !text.endsWith(QWEN3_SUFFIX)) return undefined
  const document = text.slice(DOCUMENT_HEAD.length, text.length - QWEN3_SUFFIX.length)
  return hasAddedToken(document) ? undefined : document
}

/** What both scorers expose as `PairScorer.preformatted` (backends/types.ts). */
export const QWEN3_PREFORMATTED: PreformattedPrompts = Object.freeze({
  template: 'Qwen3-Reranker',
  query: unwrapQwen3Query,
  document: unwrapQwen3Document,
})

const hasAddedToken = (text: string) => text.includes('<') && countAddedTokens(text).count > 0
