/**
 * @module fake-vllm-reply
 * The body of the fake vLLM's 200 to a rerank request (test/fakes/fake-vllm.ts), misbehaviour
 * modes included: `{id, model, usage, results:[{index, document:{text, multi_modal},
 * relevance_score}]}` sorted by score and cut to `top_n` (0 = all), as vLLM 0.13's `RerankResponse`
 * (vllm/entrypoints/pooling/score/protocol.py), each score written as Python writes a float
 * (`1.0`, `1.2e-05`: fake-vllm-model.ts `pythonFloat`).
 */
import type { FakeControl, FakeMode } from './fake-vllm-control'
import { fakeScore, pythonFloat } from './fake-vllm-model'

/** `extremes` mode's scores, by document index: fp32 sigmoid saturates to exactly 1.0 and 0.0. */
const EXTREMES = [1.0, 0.000012, 1.0, 0.0, 0.99999, 3.4e-7]

export interface ScoredRequest {
  /** The documents as sent (formatted), echoed in the reply. */
  documents: string[]
  /** The same documents parsed out of the Qwen3 format. */
  docs: string[]
  pq: { instruction: string; query: string }
  promptTokens: number
  /** 0: every result. */
  topN: number
}

/** The scores this fake gives, by document index, before any misbehaviour of the reply. */
export function scoresOf(mode: FakeMode, pq: ScoredRequest['pq'], docs: readonly string[]): number[] {
  return docs.map((d, index) =>
    mode === 'constant' ? 0.5 : mode === 'extremes' ? (EXTREMES[index % EXTREMES.length] as number) : fakeScore(pq.instruction, pq.query, d)
  )
}

export function rerankReply(mode: FakeMode, c: FakeControl, r: ScoredRequest): { text: string; scores: number[] } {
  const scores = scoresOf(mode, r.pq, r.docs)
  let results = scores.map((relevance_score, index) => ({ index, document: { text: r.documents[index], multi_modal: null }, relevance_score }))
  results.sort((a, b) => b.relevance_score - a.relevance_score)
  results = results.slice(0, r.topN > 0 ? r.topN : results.length)
  const reply = {
    id: `rerank-${Math.random().toString(16).slice(2)}`,
    model: c.servedModel,
    usage: mode === 'usage_total_only' ? { total_tokens: r.promptTokens } : { prompt_tokens: r.promptTokens, total_tokens: r.promptTokens },
    results,
  }
  if (mode === 'wrong_count') reply.results = results.slice(1)
  if (mode === 'unknown_index' && results[0]) results[0].index = r.docs.length + 3
  if (mode === 'duplicate_index' && results[0] && results[1]) results[1].index = results[0].index
  if (mode === 'out_of_range' && results[0]) results[0].relevance_score = 1.7
  // Scores written as vLLM writes them (pythonFloat): `1.0`, `1.2e-05`.
  let text = JSON.stringify(reply).replace(/"relevance_score":(-?[0-9][0-9.e+-]*)/gu, (_m, n: string) => `"relevance_score":${pythonFloat(Number(n))}`)
  if (mode === 'usage_bogus') text = text.replace(/"(prompt|total)_tokens":\d+/gu, (_m, k: string) => `"${k}_tokens":${c.bogusTokens}`)
  // Not vLLM: a server writing floats with Python's json.dumps defaults (allow_nan=True) puts the
  // bare token NaN in a 200, which JSON.parse rejects or a lenient client accepts.
  if (mode === 'proxy_nan' && results[0]) text = text.replace(/"relevance_score":[0-9.e-]+/u, '"relevance_score":NaN')
  return { text, scores }
}
