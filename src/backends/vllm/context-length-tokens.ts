/**
 * @module context-length-tokens
 * Recovery from vLLM's context-length answer, per batch. vLLM 0.13 rejects a whole request when
 * one pair is longer than `--max-model-len`, with 400 and `This model's maximum context length is
 * N tokens. However, you requested M tokens in the input for embedding generation. Please reduce
 * the length of the input.` (`vllm/entrypoints/openai/serving_engine.py` `_validate_input`). The
 * backend's real limit may be smaller than the worker's MAX_MODEL_LEN (a misconfiguration, or one
 * upstream of several started differently), so the batch is re-cut to the N the backend states and
 * sent again; the other batches of the call are untouched. Pure.
 */
import { BackendError } from '../backend-error'
import { formatQwen3Query } from './qwen3-prompt'
import { fitDocument, MIN_DOCUMENT_TOKENS, type TokenCounter } from './qwen3-token-budget'

const CONTEXT_LENGTH = /maximum context length is (\d+) tokens/u

/** The backend's stated context length when `error` is vLLM's context-length 400; else undefined. */
export function contextLengthOf(error: unknown): number | undefined {
  if (!(error instanceof BackendError) || error.fault.kind !== 'status' || error.fault.status !== 400) return undefined
  const m = CONTEXT_LENGTH.exec(error.fault.message)
  const n = m ? Number(m[1]) : Number.NaN
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

export interface Refit {
  documents: string[]
  /** Indices (in the batch) whose text changed: scored, but not as the cache key says. */
  changed: number[]
}

/**
 * The batch's documents cut to fit `maxModelLen` tokens a pair, counted exactly. `margin` tokens are
 * kept free on a second round, in case the backend's tokenizer counts a few more than ours. The text
 * is cut from its end (the folded parts are not known here: metadata at the end may be lost on this
 * rare path; later calls are prepared for the learned length with their metadata kept).
 * Undefined when the query alone leaves no room: the 400 then stands.
 */
export function refitBatch(
  instruction: string,
  query: string,
  documents: readonly string[],
  maxModelLen: number,
  counter: TokenCounter,
  margin = 0
): Refit | undefined {
  const room = maxModelLen - margin - counter.count(formatQwen3Query(instruction, query))
  if (room < MIN_DOCUMENT_TOKENS) return undefined
  const changed: number[] = []
  const out = documents.map((d, i) => {
    const fitted = fitDocument({ head: '', body: d, tail: '' }, counter, room, undefined)
    if (fitted.text !== d) changed.push(i)
    return fitted.text
  })
  return { documents: out, changed }
}
