/**
 * One `npm start` configured the way the README says, through the environment, with values that
 * broke it before: API_KEYS, FOLDING and TEMPLATES as JSON, and a VLLM_API_KEY holding `$ " \ '`.
 * The backend is the strict fake vLLM (test/fakes/fake-vllm.ts) demanding that exact key, so a
 * key changed on the way answers 401 there and 502 here. Against the same server, the real
 * client libraries (LangChain, LlamaIndex, cohere-ai) and the Jina and vLLM request shapes, each
 * with the nulls those clients put on the wire, must rank an obvious case correctly.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { Document } from '@langchain/core/documents'
import { CohereRerank as LangChainCohereRerank } from '@langchain/cohere'
import { CohereRerank as LlamaIndexCohereRerank } from '@llamaindex/cohere'
import { CohereClient, CohereClientV2 } from 'cohere-ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeVllm, type FakeVllm } from '../fakes/fake-vllm'
import { serve, type Served } from './serve'

const API_KEY = 'rk_e2e-client-key'
// Every character the old `JSON.stringify` into a dotenv file mangled, and `$HOME`, which
// dotenv-expand would substitute if it were not escaped.
const VLLM_KEY = `p$HOME"q\\r'${'$'}{PATH}s`
const sha = (s: string) => `sha256:${createHash('sha256').update(s, 'utf8').digest('hex')}`

// The obvious case: only document 2 mentions the query's words at all.
const QUERY = 'capital of France'
const DOCS = [
  'Bananas are rich in potassium.',
  'The Eiffel Tower was completed in 1889.',
  'Paris is the capital of France.',
  'Lyon is known for its cuisine.',
]
const TOP = 2

/** LangChain types `client` as its bundled cohere-ai's class; it only calls `.rerank` on it. */
type LangChainClient = NonNullable<ConstructorParameters<typeof LangChainCohereRerank>[0]>['client']

let fake: FakeVllm
let s: Served
/** Request bodies as the client libraries put them on the wire. */
const wire: Array<{ url: string; body: Record<string, unknown> }> = []
const recordingFetch: typeof fetch = async (input, init) => {
  const req = new Request(input as RequestInfo, init)
  const text = await req.clone().text()
  wire.push({ url: req.url, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} })
  return fetch(req)
}

beforeAll(async () => {
  fake = await startFakeVllm({ port: 0 })
  fake.instance('e2e-env').control.apiKey = VLLM_KEY
  s = await serve({
    VLLM_URLS: `${fake.url}/i/e2e-env`,
    VLLM_API_KEY: VLLM_KEY,
    API_KEYS: JSON.stringify([{ id: 'k1', hash: sha(API_KEY), tenant: 'acme', scopes: ['rerank'] }]),
    FOLDING: JSON.stringify({ source_label: 'Herkunft', date: 'off' }),
    TEMPLATES: JSON.stringify([
      {
        id: 'e2e-env',
        version: 1,
        description: 'costs $5, "quoted", C:\\path',
        language: 'en',
        text: 'Find passages about {topic}',
        variables: { topic: { type: 'string', description: 'what to find', required: true } },
        example: { template_vars: { topic: 'cities' } },
      },
    ]),
  })
})

afterAll(async () => {
  await s?.stop()
  await fake?.close()
})

const post = (path: string, body: unknown, key: string | null = API_KEY) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    // no-store: the local KV cache persists across runs, and a hit would not reach the backend.
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  })

describe('npm start configured through the environment', () => {
  it('enforces API_KEYS given as JSON, and the banner and /healthz say so', async () => {
    expect((await post('/v1/rerank', { query: QUERY, documents: DOCS }, null)).status).toBe(401)
    expect((await post('/v1/rerank', { query: QUERY, documents: DOCS }, 'wrong')).status).toBe(401)
    const ok = await post('/v1/rerank', { query: QUERY, documents: DOCS })
    expect(ok.status).toBe(200)
    const health = (await (await fetch(`${s.url}/healthz`)).json()) as { auth: string; backend: string }
    expect(health).toMatchObject({ auth: 'api_keys', backend: 'vllm' })
    expect(s.output()).toMatch(/access requires an API key \(API_KEYS from environment\)/u)
    expect(s.output()).not.toMatch(/access is OPEN/u)
    expect(s.output()).not.toMatch(/serving on/u)
    // One ready line, ours, printed after the worker answered (serve() waited for both).
    expect(s.output().match(/ready on/giu)).toHaveLength(1)
  })

  it('hands VLLM_API_KEY to the backend byte for byte', async () => {
    // A query no other test sends: a cached score would not reach the backend.
    const res = await post('/v2/rerank', { model: 'm', query: 'key probe', documents: DOCS })
    expect(res.status).toBe(200)
    const auths = fake.instance('e2e-env').requests.map((r) => r.authorization)
    expect(auths.length).toBeGreaterThan(0)
    expect(new Set(auths)).toEqual(new Set([`Bearer ${VLLM_KEY}`]))
    expect(s.output()).not.toContain(VLLM_KEY)
  })

  it('applies FOLDING and TEMPLATES given as JSON', async () => {
    const res = await post('/v1/rerank', {
      query: 'potassium',
      documents: [{ text: 'Bananas are rich in potassium.', source: 'wiki-e2e' }],
      template: 'e2e-env',
      template_vars: { topic: 'fruit' },
    })
    expect(res.status).toBe(200)
    const last = fake.instance('e2e-env').requests.at(-1)
    expect(last?.parsed?.instruction).toBe('Find passages about fruit')
    expect(last?.parsed?.documents[0]).toContain('Herkunft')
    expect(last?.parsed?.documents[0]).toContain('wiki-e2e')
    const list = (await (await fetch(`${s.url}/v1/templates`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
      templates: Array<{ id: string; description: string }>
    }
    expect(list.templates.find((t) => t.id === 'e2e-env')?.description).toBe('costs $5, "quoted", C:\\path')
  })

  it('prints one structured log line per request, and not wrangler\'s own request line', async () => {
    const res = await post('/v1/rerank', { query: 'log-line-probe', documents: ['x'] }, null)
    expect(res.status).toBe(401)
    const requestId = res.headers.get('x-request-id')
    expect(requestId).toBeTruthy()
    await new Promise((r) => setTimeout(r, 500))
    const lines = s.output().split('\n').filter((l) => l.includes(requestId as string))
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'request', path: '/v1/rerank', status: 401 })
    expect(s.output()).not.toMatch(/\[wrangler:info\] POST \/v1\/rerank/u)
  })
})

describe('real clients against npm start', () => {
  it('LangChain CohereRerank.rerank() and .compressDocuments() (cohere-ai 8 client, nulls on the wire)', async () => {
    wire.length = 0
    const client = new CohereClient({ token: API_KEY, environment: s.url, fetch: recordingFetch })
    const reranker = new LangChainCohereRerank({ client: client as unknown as LangChainClient, model: 'rerank-v3.5', topN: 2 })
    const ranked = await reranker.rerank(DOCS, QUERY)
    expect(ranked[0]?.index).toBe(TOP)
    const docs = DOCS.map((d, i) => new Document({ pageContent: d, metadata: { i } }))
    const compressed = await reranker.compressDocuments(docs, QUERY)
    expect(compressed).toHaveLength(2)
    expect(compressed[0]?.metadata.i).toBe(TOP)
    // What made every call a 400 before: the SDK serialises the unset option as null.
    expect(wire.some((w) => w.body.max_chunks_per_doc === null)).toBe(true)
  })

  it("LangChain CohereRerank with the cohere-ai it bundles (7.x)", async () => {
    const requireFromLangChain = createRequire(createRequire(import.meta.url).resolve('@langchain/cohere'))
    const { CohereClient: BundledClient } = requireFromLangChain('cohere-ai') as typeof import('cohere-ai')
    const reranker = new LangChainCohereRerank({ client: new BundledClient({ token: API_KEY, environment: s.url }) as unknown as LangChainClient, model: 'rerank-v3.5', topN: 3 })
    const ranked = await reranker.rerank(DOCS, QUERY)
    expect(ranked).toHaveLength(3)
    expect(ranked[0]?.index).toBe(TOP)
  })

  it('LlamaIndex CohereRerank.postprocessNodes', async () => {
    const { TextNode } = await import('@llamaindex/core/schema')
    const reranker = new LlamaIndexCohereRerank({ apiKey: API_KEY, baseUrl: s.url, topN: 2 })
    const nodes = DOCS.map((text, i) => ({ node: new TextNode({ text, id_: `n${i}` }), score: 0 }))
    const out = await reranker.postprocessNodes(nodes, QUERY)
    expect(out).toHaveLength(2)
    expect(out[0]?.node.id_).toBe(`n${TOP}`)
    expect(out[0]?.score).toBeGreaterThan(out[1]?.score ?? 1)
  })

  it('cohere-ai 8 CohereClient (v1) and CohereClientV2 over HTTP', async () => {
    const v1 = new CohereClient({ token: API_KEY, environment: s.url })
    const r1 = await v1.rerank({ query: QUERY, documents: DOCS, topN: 2, returnDocuments: true })
    expect(r1.results[0]?.index).toBe(TOP)
    expect(r1.results[0]?.document?.text).toBe(DOCS[TOP])
    const v2 = new CohereClientV2({ token: API_KEY, environment: s.url })
    const r2 = await v2.rerank({ model: 'rerank-v3.5', query: QUERY, documents: DOCS, topN: 2 })
    expect(r2.results[0]?.index).toBe(TOP)
  })

  it('Jina request shape (POST /v1/rerank, nulls for unset options)', async () => {
    const res = await post('/v1/rerank', {
      model: 'jina-reranker-v2-base-multilingual',
      query: QUERY,
      documents: DOCS,
      top_n: null,
      return_documents: null,
    })
    expect(res.status).toBe(200)
    const json = (await res.json()) as { results: Array<{ index: number; document?: { text: string } }> }
    expect(json.results).toHaveLength(DOCS.length)
    expect(json.results[0]?.index).toBe(TOP)
    expect(json.results[0]?.document?.text).toBe(DOCS[TOP])
    // A bad call, read as LangChain's and LlamaIndex's Jina rerankers read every reply:
    // `if "results" not in resp: raise RuntimeError(resp["detail"])`.
    const bad = (await (await post('/v1/rerank', { model: 'jina-reranker-v2-base-multilingual', query: QUERY, documents: DOCS, top_n: 'two' })).json()) as Record<string, unknown>
    expect(bad).not.toHaveProperty('results')
    expect(bad.detail).toMatch(/^top_n: /u)
  })

  it('vLLM request shape (POST /rerank, pydantic-style nulls)', async () => {
    const res = await post('/rerank', { model: 'qwen3-reranker-8b', query: QUERY, documents: DOCS, top_n: null, max_tokens_per_doc: null })
    expect(res.status).toBe(200)
    const json = (await res.json()) as { results: Array<{ index: number }> }
    expect(json.results[0]?.index).toBe(TOP)
  })
})
