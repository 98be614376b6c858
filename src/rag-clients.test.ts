/**
 * The RAG frameworks' Cohere rerankers, unmodified, against this worker's app: LangChain's
 * `CohereRerank` (@langchain/cohere, on its own cohere-ai 7.21) and LlamaIndex's `CohereRerank`
 * (@llamaindex/cohere, on cohere-ai 7.14). Both build their own CohereClient on the global
 * `fetch`, so the test swaps the global for one that hands Cohere's hosts to the app and keeps
 * each body the library sent: the payloads below are what these versions really put on the wire,
 * nulls included. In Node (the `unit` project), because cohere-ai 7 does not load in workerd
 * (its Bedrock client pulls in readable-stream, which redefines a frozen util symbol); the app is
 * the worker's own (`createApp`), on the lexical scorer. The official cohere-ai 8 SDK is tested
 * inside workerd, against the fake vLLM (test/integration/cohere-sdk.test.ts).
 */
import { CohereRerank as LangChainCohereRerank } from '@langchain/cohere'
import { Document } from '@langchain/core/documents'
import { CohereRerank as LlamaIndexCohereRerank } from '@llamaindex/cohere'
import { TextNode } from '@llamaindex/core/schema'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp } from './app'
import { createServices } from './services'

const COHERE_HOSTS = new Set(['api.cohere.com', 'api.cohere.ai', 'rerank.test'])

const PASSAGES = [
  { text: 'Carson City is the capital city of the American state of Nevada.', metadata: { source: 'nevada.md', page: 3, draft: false } },
  { text: 'Washington, D.C. is the capital of the United States.', metadata: { source: 'usa.md', page: 1, tags: ['capital'], loc: { lines: { from: 1, to: 4 } } } },
  { text: 'Bananas are yellow.', metadata: { source: 'fruit.md', page: null } },
]

const ENV = { VLLM_URLS: '', LOG_REQUESTS: 'false' }
const CTX = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} }

let sent: Array<{ path: string; body: unknown }>

beforeEach(() => {
  sent = []
  const app = createApp(createServices())
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init)
    const url = new URL(req.url)
    // Nothing else may leave the test: an unexpected host is a failure, not a network call.
    if (!COHERE_HOSTS.has(url.hostname)) throw new Error(`unexpected fetch of ${url.hostname}`)
    const body = req.method === 'POST' ? await req.text() : undefined
    sent.push({ path: url.pathname, body: body === undefined ? undefined : JSON.parse(body) })
    return app.request(`http://rerank.test${url.pathname}`, { method: req.method, headers: req.headers, ...(body === undefined ? {} : { body }) }, ENV, CTX)
  })
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('LangChain CohereRerank (@langchain/cohere)', () => {
  it('compressDocuments sends nulls for what it leaves unset, and gets its documents back best first with scores', async () => {
    const reranker = new LangChainCohereRerank({ apiKey: 'any', model: 'rerank-v3.5', topN: 2 })
    const docs = PASSAGES.map((p) => new Document({ pageContent: p.text, metadata: { ...p.metadata } }))
    const out = await reranker.compressDocuments(docs, 'What is the capital of the United States?')
    // What LangChain put on the wire: pageContent only, and null for the unset max_chunks_per_doc.
    expect(sent).toEqual([
      {
        path: '/v1/rerank',
        body: { model: 'rerank-v3.5', query: 'What is the capital of the United States?', documents: PASSAGES.map((p) => p.text), top_n: 2, max_chunks_per_doc: null },
      },
    ])
    expect(out).toHaveLength(2)
    expect(out[0]?.pageContent).toBe(PASSAGES[1]?.text)
    expect(out[0]?.metadata.loc).toEqual(PASSAGES[1]?.metadata.loc)
    const scores = out.map((d) => d.metadata.relevanceScore as number)
    for (const s of scores) expect(s).toBeGreaterThanOrEqual(0)
    expect(scores[0]).toBeGreaterThanOrEqual(scores[1] as number)
  })

  it('rerank passes topN 0 and maxChunksPerDoc through as sent; top_n 0 returns every index (vLLM: top_n <= 0 is all)', async () => {
    const reranker = new LangChainCohereRerank({ apiKey: 'any', model: 'rerank-v3.5' })
    const ranked = await reranker.rerank(PASSAGES.map((p) => p.text), 'capital of Nevada', { topN: 0, maxChunksPerDoc: 2 })
    expect((sent[0]?.body as Record<string, unknown>).top_n).toBe(0)
    expect((sent[0]?.body as Record<string, unknown>).max_chunks_per_doc).toBe(2)
    expect(ranked.map((r) => r.index).sort()).toEqual([0, 1, 2])
    expect(ranked[0]?.index).toBe(0)
  })
})

describe('LlamaIndex CohereRerank (@llamaindex/cohere)', () => {
  it('postprocessNodes sends each node with its metadata folded in by LlamaIndex, and reorders the nodes', async () => {
    const reranker = new LlamaIndexCohereRerank({ apiKey: 'any', baseUrl: 'http://rerank.test', topN: 2, model: 'rerank-v3.5' })
    const nodes = PASSAGES.map((p, i) => ({ node: new TextNode({ id_: `node-${i}`, text: p.text, metadata: { ...p.metadata } }), score: 0.5 }))
    const out = await reranker.postprocessNodes(nodes, 'capital of Nevada')
    expect(sent).toHaveLength(1)
    const body = sent[0]?.body as Record<string, unknown>
    expect(sent[0]?.path).toBe('/v1/rerank')
    expect(body).toMatchObject({ query: 'capital of Nevada', model: 'rerank-v3.5', top_n: 2 })
    // MetadataMode.ALL: "key: value" lines, a blank line, then the text; nested values as JSON.
    const documents = body.documents as string[]
    expect(documents).toHaveLength(3)
    expect(documents[0]).toContain(PASSAGES[0]?.text)
    expect(documents[0]).toMatch(/source: nevada\.md/u)
    expect(out).toHaveLength(2)
    expect(out[0]?.node.id_).toBe('node-0')
    expect(typeof out[0]?.score).toBe('number')
  })
})
