/**
 * The vLLM scorer fits documents at `score` under the budget `prepare` chose, which is part of
 * every cache key. A request without that budget would be cut to whatever context length was
 * learned last while keyed as if uncut, so it is refused before anything is sent.
 */
import { describe, expect, it } from 'vitest'
import { createUpstreamPool } from './upstream-pool'
import { createVllmScorer } from './vllm-client'

function setup() {
  const sent: string[] = []
  const pool = createUpstreamPool(['http://vllm.test'], { now: () => 1_000, sleep: () => Promise.resolve(), random: () => 0 })
  const scorer = createVllmScorer({
    pool,
    apiKey: 'k',
    model: 'qwen3-reranker-8b',
    batchSize: 32,
    maxModelLen: 8192,
    now: () => 1_000,
    fetch: (input) => {
      sent.push(String(input instanceof Request ? input.url : input))
      return Promise.resolve(Response.json({ id: 'x', model: 'qwen3-reranker-8b', usage: { total_tokens: 10 }, results: [{ index: 0, relevance_score: 0.5, document: { text: 'd' } }] }))
    },
  })
  return { scorer, sent }
}

describe('vLLM score without the prepared budget', () => {
  it('is refused before any request is sent', async () => {
    const { scorer, sent } = setup()
    await expect(scorer.score({ instruction: 'i', query: 'q', documents: ['d'] }, { deadline: 60_000 })).rejects.toThrow(/without the budget/)
    expect(sent).toEqual([])
  })

  it('the same request with the budget prepare chose is sent', async () => {
    const { scorer, sent } = setup()
    const prepared = await scorer.prepare({ instruction: 'i', query: 'q', documents: [{ head: '', body: 'd', tail: '' }] })
    expect(prepared.budget).toBeDefined()
    const result = await scorer.score({ instruction: prepared.instruction, query: prepared.query, documents: prepared.documents, budget: prepared.budget }, { deadline: 60_000 })
    expect(result.scores).toEqual([0.5])
    expect(sent).toEqual(['http://vllm.test/v1/rerank'])
  })
})
