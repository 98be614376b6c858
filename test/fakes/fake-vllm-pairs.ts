/**
 * @module fake-vllm-pairs
 * How the fake vLLM (test/fakes/fake-vllm.ts) reads and counts a rerank request's pairs, as vLLM
 * 0.13 does: the query and each document parsed back out of the Qwen3-Reranker format (beyond
 * vLLM, which would score a badly formatted pair as garbage, issue vllm#21681), then every pair
 * `query + document` tokenized with the real Qwen3 tokenizer (`vllm/entrypoints/score_utils.py`
 * `get_score_prompt`); one pair over `--max-model-len` rejects the whole request.
 */
import { contextLengthMessage, FIRST_ADDED_TOKEN_ID, FIXED_CONTROL_TOKENS, parseQwen3Document, parseQwen3Query, qwen3TokenIds } from './fake-vllm-model'

export interface PairError {
  status: number
  type: string
  message: string
}

export interface ParsedPairs {
  pq: { instruction: string; query: string }
  /** The documents' own texts, out of the Qwen3 format. */
  docs: string[]
}

export type CountedPairs =
  | { error: PairError; parsed?: ParsedPairs }
  | {
      parsed: ParsedPairs
      /** Real Qwen3 tokens of each pair, by document index. */
      pairTokens: number[]
      /** Control-token ids in each pair beyond the model card's fixed ones (must be 0). */
      controlTokens: number[]
      /** The sum of `pairTokens`: vLLM's `usage.prompt_tokens`. */
      promptTokens: number
    }

const bad = (message: string): PairError => ({ status: 400, type: 'BadRequestError', message })

export function countPairs(query: string, documents: readonly string[], truncatePromptTokens: unknown, maxModelLen: number): CountedPairs {
  const pq = parseQwen3Query(query)
  if (!pq) return { error: bad('fake-vllm: query is not in the Qwen3-Reranker format') }
  const docs: string[] = []
  for (const [i, d] of documents.entries()) {
    const pd = parseQwen3Document(d)
    if (pd === null) return { error: bad(`fake-vllm: documents[${i}] is not in the Qwen3-Reranker format`) }
    docs.push(pd)
  }
  const parsed = { pq, docs }
  // `_validate_score_input_lens` (vllm/entrypoints/score_utils.py, called by ServingScores in
  // pooling/score/serving.py, whose ValueError do_rerank returns as a 400): no documents, no request.
  if (docs.length === 0) return { error: bad('At least one text_pair element must be given'), parsed }
  if (truncatePromptTokens !== undefined && truncatePromptTokens !== null) {
    // We never want vLLM's truncation: pooling runners keep the first tokens, so it cuts the
    // prompt's suffix (vllm PR #20771 sets left truncation for generate runners only).
    return { error: bad('fake-vllm: truncate_prompt_tokens must not be used'), parsed }
  }
  // Count every pair as vLLM does (module doc); one over-long pair rejects the whole request.
  const pairTokens: number[] = []
  const controlTokens: number[] = []
  let promptTokens = 0
  for (const d of documents) {
    // A lone surrogate: the Hugging Face fast tokenizer refuses the Python str (TypeError
    // "TextEncodeInput must be Union[...]", huggingface/transformers PR #43459), which
    // ServingScores does not catch; `do_rerank` wraps any such exception in HTTPException(500)
    // (vllm/entrypoints/pooling/score/api_router.py) and `http_exception_handler` writes it as
    // ErrorResponse JSON with the status phrase as its type (vllm/entrypoints/openai/api_server.py).
    if (!(query + d).isWellFormed()) {
      return {
        error: { status: 500, type: 'Internal Server Error', message: 'TextEncodeInput must be Union[TextInputSequence, Tuple[InputSequence, InputSequence]]' },
        parsed,
      }
    }
    const ids = qwen3TokenIds(query + d)
    const t = ids.length
    if (t > maxModelLen) return { error: bad(contextLengthMessage(maxModelLen, t)), parsed }
    let control = 0
    for (const id of ids) if (id >= FIRST_ADDED_TOKEN_ID) control++
    pairTokens.push(t)
    controlTokens.push(control - FIXED_CONTROL_TOKENS)
    promptTokens += t
  }
  return { parsed, pairTokens, controlTokens, promptTokens }
}
