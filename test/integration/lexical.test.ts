/**
 * With no VLLM_URLS the embedded lexical scorer answers, and says so.
 */
import { describe, expect, it } from 'vitest'
import { rerank } from './helpers'

describe('lexical fallback', () => {
  it('ranks five documents and labels the backend', async () => {
    const docs = [
      'Bananas are yellow fruit rich in potassium.',
      'The Eiffel Tower is in Paris, the capital of France.',
      'Paris is the capital and largest city of France.',
      'Tokyo is the capital of Japan.',
      'A recipe for banana bread.',
    ]
    const { status, json, headers } = await rerank({ query: 'capital of France', documents: docs }, { vars: { VLLM_URLS: '' } })
    expect(status).toBe(200)
    expect(json.meta.backend).toBe('lexical')
    expect(json.model).toBe('lexical-bm25')
    expect(json.results).toHaveLength(5)
    expect([1, 2]).toContain(json.results[0]?.index)
    for (const r of json.results) {
      expect(Number.isFinite(r.relevance_score)).toBe(true)
      expect(r.relevance_score).toBeGreaterThanOrEqual(0)
      expect(r.relevance_score).toBeLessThanOrEqual(1)
    }
    const scores = json.results.map((r) => r.relevance_score)
    expect([...scores].sort((a, b) => b - a)).toEqual(scores)
    expect(json.meta.warnings?.join(' ')).toMatch(/lexical/u)
    expect(headers.get('x-request-id')).toBeTruthy()
  })

  it('segments Chinese text', async () => {
    const docs = ['北京是中国的首都。', '今天的天气很好。', '上海是一个大城市。']
    const { json } = await rerank({ query: '中国的首都是哪里', documents: docs }, { vars: { VLLM_URLS: '' } })
    expect(json.results[0]?.index).toBe(0)
  })
})
