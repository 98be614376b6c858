/**
 * @module qwen3-prompt
 * Client-side prompt formatting for Qwen3-Reranker, byte-identical to the model card
 * (QwenLM/Qwen3-Embedding README.md, "Reranker Model / Transformers Usage") when vLLM joins
 * `query + document` with no separator (vLLM v0.13.0 `vllm/entrypoints/score_utils.py`
 * `get_score_prompt`; vLLM's `examples/pooling/score/offline_reranker.py` formats the same way):
 *
 *   query    = PREFIX + "<Instruct>: " + instruction + "\n<Query>: " + query + "\n"
 *   document = "<Document>: " + doc + SUFFIX
 *
 * Formatting client-side works on every vLLM version and avoids the server-side Jinja
 * template's lost trailing newline (Jinja drops one of the two after `</think>`: vLLM issue #32378).
 */

export const QWEN3_PREFIX =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n'

export const QWEN3_SUFFIX = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n'

/** The model card's default when no instruction is given. */
export const DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query'

/** Bumped whenever the strings above or the joining rule change: part of every cache key. */
export const PROMPT_FORMAT_VERSION = 'qwen3-reranker/v1'

export function formatQwen3Query(instruction: string, query: string): string {
  return `${QWEN3_PREFIX}<Instruct>: ${instruction}\n<Query>: ${query}\n`
}

export function formatQwen3Document(document: string): string {
  return `<Document>: ${document}${QWEN3_SUFFIX}`
}
