/**
 * The rerank API end to end against the fake vLLM server: exact Qwen3 prompt format, bearer
 * key, index mapping, route defaults, top_n, truncation, and peer-client shapes.
 */
import { describe, expect, it } from 'vitest'
import { fakeVllm, rerank } from './helpers'

const PREFIX =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n'
const SUFFIX = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n'
const DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query'

const DOCS = [
  'Gravity is a force that attracts two bodies towards each other.',
  'The capital of China is Beijing.',
  'Beijing hosted the 2008 Summer Olympics.',
  'Paris is the capital of France.',
  'Photosynthesis converts light into chemical energy.',
]

describe('POST /v1/rerank with a vLLM backend', () => {
  it('sends every pair in the exact Qwen3 format with the bearer key and maps scores back', async () => {
    const fake = fakeVllm('format')
    await fake.control({ apiKey: 'test-key-123' })
    const { status, json } = await rerank(
      { query: 'What is the capital of China?', documents: DOCS, instruction: 'Prefer documents that name a capital city' },
      { vars: { VLLM_URLS: fake.url, VLLM_API_KEY: 'test-key-123', VLLM_MODEL: 'qwen3-reranker-8b' } }
    )
    expect(status).toBe(200)
    const [req] = await fake.requests()
    expect(req?.path).toBe('/v1/rerank')
    expect(req?.authorization).toBe('Bearer test-key-123')
    // Byte-exact model-card format, built here from the literal strings.
    expect(req?.body.query).toBe(
      `${PREFIX}<Instruct>: Prefer documents that name a capital city\n<Query>: What is the capital of China?\n`
    )
    expect(req?.body.documents).toEqual(DOCS.map((d) => `<Document>: ${d}${SUFFIX}`))
    expect(req?.body.model).toBe('qwen3-reranker-8b')
    expect(req?.body).not.toHaveProperty('truncate_prompt_tokens')

    // Every result's score is the one the backend computed for that index.
    expect(json.results).toHaveLength(DOCS.length)
    for (const r of json.results) expect(r.relevance_score).toBe(req?.scores?.[r.index])
    const scores = json.results.map((r) => r.relevance_score)
    expect([...scores].sort((a, b) => b - a)).toEqual(scores)
    expect(json.results[0]?.index).toBe(1)
    expect(json.meta.backend).toBe('vllm')
    expect(json.model).toBe('qwen3-reranker-8b')
    expect(json.meta.instruction).toBe('Prefer documents that name a capital city')
    expect(json.usage.pairs_scored).toBe(5)
  })

  it('sends a Cloudflare Access service token when configured, and only then', async () => {
    const fake = fakeVllm('cf-access')
    const token = { VLLM_ACCESS_CLIENT_ID: 'abc.access', VLLM_ACCESS_CLIENT_SECRET: 'shh-secret-1' }
    const res = await rerank({ query: 'q', documents: DOCS.slice(0, 2) }, { vars: { VLLM_URLS: fake.url, ...token } })
    expect(res.status).toBe(200)
    expect(res.text).not.toContain('shh-secret-1')
    await rerank({ query: 'q2', documents: DOCS.slice(0, 2) }, { vars: { VLLM_URLS: fake.url } })
    const [withToken, without] = await fake.requests()
    expect(withToken?.cfAccess).toEqual({ clientId: 'abc.access', clientSecret: 'shh-secret-1' })
    expect(without?.cfAccess).toBeUndefined()
    const half = await rerank({ query: 'q', documents: ['a'] }, { vars: { VLLM_URLS: fake.url, VLLM_ACCESS_CLIENT_ID: 'only-id' } })
    expect(half.status).toBe(500)
    expect(half.json.error.message).toMatch(/VLLM_ACCESS_CLIENT_SECRET/u)
  })

  it('uses the model card default instruction when none is given', async () => {
    const fake = fakeVllm('default-instr')
    await rerank({ query: 'capital of France', documents: DOCS }, { vars: { VLLM_URLS: fake.url } })
    const [req] = await fake.requests()
    expect(req?.parsed?.instruction).toBe(DEFAULT_INSTRUCTION)
    expect(req?.parsed?.query).toBe('capital of France')
  })

  it('applies top_n and the per-route return_documents defaults', async () => {
    const fake = fakeVllm('topn')
    const vars = { VLLM_URLS: fake.url }
    const v1 = await rerank({ query: 'Beijing', documents: DOCS, top_n: 2 }, { vars })
    expect(v1.json.results).toHaveLength(2)
    expect(v1.json.results[0]?.document?.text).toBe(DOCS[v1.json.results[0]?.index ?? 0])
    const v2 = await rerank({ model: 'rerank-v3.5', query: 'Beijing', documents: DOCS, top_n: 3 }, { vars, path: '/v2/rerank' })
    expect(v2.json.results).toHaveLength(3)
    expect(v2.json.results[0]).not.toHaveProperty('document')
    expect(v2.json.meta.warnings?.join(' ')).toMatch(/rerank-v3\.5/u)
    const none = await rerank({ query: 'Beijing', documents: DOCS, return_documents: false }, { vars })
    expect(none.json.results[0]).not.toHaveProperty('document')
    // top_n larger than the set returns everything; 0 means all (vLLM).
    expect((await rerank({ query: 'x', documents: DOCS, top_n: 50 }, { vars })).json.results).toHaveLength(5)
    expect((await rerank({ query: 'x', documents: DOCS, top_n: 0 }, { vars })).json.results).toHaveLength(5)
  })

  it('serves a plain vLLM-style client on /rerank', async () => {
    const fake = fakeVllm('vllm-client')
    const { status, json } = await rerank(
      { model: 'qwen3-reranker-8b', query: 'capital of China', documents: DOCS.slice(0, 3), top_n: 2 },
      { vars: { VLLM_URLS: fake.url }, path: '/rerank' }
    )
    expect(status).toBe(200)
    expect(json.results).toHaveLength(2)
    for (const r of json.results) {
      expect(Number.isInteger(r.index)).toBe(true)
      expect(typeof r.relevance_score).toBe('number')
      expect(r.document?.text).toBe(DOCS[r.index])
    }
    expect(json.usage.total_tokens).toBeGreaterThan(0)
  })

  it('truncates over-long documents itself so the pair fits max_model_len', async () => {
    const fake = fakeVllm('truncate')
    await fake.control({ maxModelLen: 512 })
    const long = 'beijing '.repeat(5000)
    const { status, json } = await rerank(
      { query: 'Beijing', documents: ['short doc', long] },
      { vars: { VLLM_URLS: fake.url, MAX_MODEL_LEN: '512' } }
    )
    expect(status).toBe(200)
    const [req] = await fake.requests()
    const sent = req?.parsed?.documents[1] ?? ''
    expect(sent.length).toBeLessThan(long.length)
    expect(long.startsWith(sent)).toBe(true)
    expect(req?.body.documents[1]?.endsWith(SUFFIX)).toBe(true)
    expect(json.meta.truncated_documents).toBe(1)
    // The caller still gets its own full text back.
    expect(json.results.find((r) => r.index === 1)?.document?.text).toBe(long)
  })

  it('honours max_tokens_per_doc', async () => {
    const fake = fakeVllm('mtpd')
    await rerank({ query: 'q', documents: ['a '.repeat(1000)], max_tokens_per_doc: 20 }, { vars: { VLLM_URLS: fake.url } })
    const [req] = await fake.requests()
    expect(req?.parsed?.documents[0]?.length).toBeLessThanOrEqual(60)
  })

  it('splits large candidate sets into batches and merges them in order', async () => {
    const fake = fakeVllm('batch')
    const docs = Array.from({ length: 25 }, (_, i) => `document number ${i} about topic ${i % 3}`)
    const { json } = await rerank({ query: 'topic 1', documents: docs }, { vars: { VLLM_URLS: fake.url, BACKEND_BATCH_SIZE: '10' } })
    const reqs = await fake.requests()
    expect(reqs.map((r) => r.body.documents.length).sort()).toEqual([10, 10, 5])
    const byDoc = new Map<string, number>()
    for (const r of reqs) r.parsed?.documents.forEach((d, i) => byDoc.set(d, r.scores?.[i] ?? -1))
    for (const r of json.results) expect(r.relevance_score).toBe(byDoc.get(docs[r.index] ?? ''))
  })
})
