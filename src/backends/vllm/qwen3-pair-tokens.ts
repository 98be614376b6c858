/**
 * @module qwen3-pair-tokens
 * Each pair's share of the prompt tokens vLLM reported for one batch. vLLM reports
 * `usage.prompt_tokens` once per request (vllm/entrypoints/pooling/score/serving.py: the sum of
 * every pair's prompt length), not per pair, and a request here is one batch of pairs. A pair's
 * prompt is the formatted query followed by the formatted document (qwen3-prompt.ts), so its share
 * is apportioned in proportion to that prompt's UTF-8 bytes (lib/apportion-tokens.ts: whole
 * numbers summing exactly to the batch's total). The shares are estimates (a tokenizer's tokens
 * per byte varies with the text); their sum is what the backend reported. Pure.
 */
import { apportionTokens, utf8Length } from '../../lib/apportion-tokens'
import { formatQwen3Document, formatQwen3Query } from './qwen3-prompt'

/** The bytes the Qwen3 format adds around every document. */
const DOCUMENT_FORMAT_BYTES = utf8Length(formatQwen3Document(''))

/**
 * One backend request's `total` prompt tokens split among its pairs by the UTF-8 bytes of each
 * pair's prompt (formatted query + formatted document).
 */
export function apportionPairTokens(
  total: number,
  pair: { instruction: string; query: string },
  documents: readonly string[],
  /** Each document's UTF-8 length when already known (vllm-request-body.ts counts it while writing). */
  documentBytes?: readonly number[]
): number[] {
  const queryBytes = utf8Length(formatQwen3Query(pair.instruction, pair.query)) + DOCUMENT_FORMAT_BYTES
  const known = documentBytes !== undefined && documentBytes.length === documents.length ? documentBytes : undefined
  return apportionTokens(total, documents.map((d, i) => queryBytes + (known ? (known[i] as number) : utf8Length(d))))
}
