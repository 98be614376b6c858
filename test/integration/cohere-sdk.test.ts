/**
 * The official `cohere-ai` SDK (v8), unmodified, pointed at our base URL, gets correct parsed
 * results from /v2/rerank (CohereClientV2) and /v1/rerank (CohereClient). Its `fetch` option
 * routes the SDK's real HTTP requests into the worker.
 */
import { CohereClient, CohereClientV2 } from 'cohere-ai'
// The SDK's response schemas: not in the package's exports map, so reached by path. The clients
// parse with `skipValidation: true` (cohere-ai 8 Client.js `rerank`), which would let a wrong type
// or a null where a number belongs through; these are parsed with validation on.
import { RerankResponse as V1RerankResponseSchema, V2RerankResponse as V2RerankResponseSchema } from '../../node_modules/cohere-ai/serialization/index.js'
import { describe, expect, it } from 'vitest'
import { callWorker, fakeVllm, rerank } from './helpers'

/** The SDK's own parse options (Client.js `rerank`), with validation on and unknown union members refused. */
const STRICT = { unrecognizedObjectKeys: 'passthrough', allowUnrecognizedUnionMembers: false, allowUnrecognizedEnumValues: false, skipValidation: false } as const

const DOCS = [
  'Carson City is the capital city of the American state of Nevada.',
  'Washington, D.C. is the capital of the United States.',
  'Capital punishment has existed in the United States since before it was a country.',
  'The Commonwealth of the Northern Mariana Islands has Saipan as its capital.',
  'Bananas are yellow.',
]

function workerFetch(vars: Record<string, string>): typeof fetch {
  return async (input, init) => {
    const req = new Request(input as RequestInfo, init)
    const url = new URL(req.url)
    const body = req.method === 'POST' ? await req.text() : undefined
    const headers: Record<string, string> = {}
    req.headers.forEach((v, k) => (headers[k] = v))
    return callWorker(url.pathname, undefined, {
      method: req.method,
      headers,
      vars,
      ...(body === undefined ? {} : { rawBody: body }),
    })
  }
}

describe('cohere-ai SDK', () => {
  it('CohereClientV2.rerank parses our /v2/rerank reply', async () => {
    const fake = fakeVllm('cohere-v2')
    const client = new CohereClientV2({
      token: 'any',
      baseUrl: 'http://rerank.test',
      fetch: workerFetch({ VLLM_URLS: fake.url }),
    })
    const res = await client.rerank({
      model: 'rerank-v3.5',
      query: 'What is the capital of the United States?',
      documents: DOCS,
      topN: 3,
    })
    expect(res.results).toHaveLength(3)
    for (const r of res.results) {
      expect(typeof r.index).toBe('number')
      expect(typeof r.relevanceScore).toBe('number')
    }
    expect(res.results[0]?.index).toBe(1)
    expect(res.id).toBeTruthy()
    expect(res.meta?.billedUnits?.searchUnits).toBe(1)
    const [req] = await fake.requests()
    expect(req?.parsed?.query).toBe('What is the capital of the United States?')
  })

  it('CohereClient (v1).rerank parses our /v1/rerank reply with documents', async () => {
    const client = new CohereClient({ token: 'any', baseUrl: 'http://rerank.test', fetch: workerFetch({ VLLM_URLS: '' }) })
    const res = await client.rerank({ query: 'capital of Nevada', documents: DOCS, topN: 2, returnDocuments: true })
    expect(res.results).toHaveLength(2)
    expect(res.results[0]?.index).toBe(0)
    expect(res.results[0]?.document?.text).toBe(DOCS[0])
    expect(typeof res.results[0]?.relevanceScore).toBe('number')
  })

  it('meta.api_version names the API of the path called, as Cohere answers: "1" from /v1/rerank, "2" from /v2/rerank', async () => {
    // Cohere's own answers, as the cohere-ai 8.1 wire tests replay them (tests/wire/main.test.ts
    // `rerank (1)`: version "1"; tests/wire/v2.test.ts: version "2").
    const fetch = workerFetch({ VLLM_URLS: '' })
    const v1 = await new CohereClient({ token: 'any', baseUrl: 'http://rerank.test', fetch }).rerank({ query: 'capital of Nevada', documents: DOCS, topN: 1 })
    const v2 = await new CohereClientV2({ token: 'any', baseUrl: 'http://rerank.test', fetch }).rerank({ model: 'rerank-v3.5', query: 'capital of Nevada', documents: DOCS, topN: 1 })
    expect(v1.meta?.apiVersion?.version).toBe('1')
    expect(v2.meta?.apiVersion?.version).toBe('2')
    // vLLM's route answers in the /v1/rerank shape.
    const plain = await rerank({ query: 'capital of Nevada', documents: DOCS }, { path: '/rerank', vars: { VLLM_URLS: '' } })
    expect(plain.json.meta.api_version).toEqual({ version: '1' })
  })

  it('CohereClient (v1).rerank with object documents gets each back with every field (Cohere: "all other fields will be preserved")', async () => {
    const client = new CohereClient({ token: 'any', baseUrl: 'http://rerank.test', fetch: workerFetch({ VLLM_URLS: '' }) })
    const documents = DOCS.map((text, i) => ({ text, title: `doc ${i}`, url: `https://example.com/${i}` }))
    const res = await client.rerank({ query: 'capital of Nevada', documents, returnDocuments: true })
    expect(res.results).toHaveLength(DOCS.length)
    for (const r of res.results) expect(r.document).toEqual(documents[r.index])
  })

  it('every reply shape parses under the SDK schemas with validation on (no null where the SDK wants a number or a string)', async () => {
    const fake = fakeVllm('cohere-strict')
    const bodies: Array<[path: string, body: Record<string, unknown>, vars: Record<string, string>]> = [
      ['/v2/rerank', { model: 'rerank-v3.5', query: 'capital of the United States', documents: DOCS, top_n: 3 }, { VLLM_URLS: fake.url }],
      ['/v2/rerank', { model: 'rerank-v3.5', query: 'capital', documents: DOCS, top_n: null, max_tokens_per_doc: null, priority: null }, { VLLM_URLS: '' }],
      ['/v1/rerank', { query: 'capital of Nevada', documents: DOCS, return_documents: true, max_chunks_per_doc: null, rank_fields: null, top_n: null }, { VLLM_URLS: fake.url }],
      ['/v1/rerank', { query: 'capital of Nevada', documents: DOCS.map((text, i) => ({ text, n: i, meta: { ok: true } })), return_documents: true }, { VLLM_URLS: '' }],
      ['/v1/rerank', { query: 'capital of Nevada', documents: DOCS, return_documents: false }, { VLLM_URLS: '' }],
    ]
    for (const [path, body, vars] of bodies) {
      const res = await rerank(body, { path, vars })
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(200)
      const schema = path === '/v2/rerank' ? V2RerankResponseSchema : V1RerankResponseSchema
      const parsed = schema.parse(res.json, STRICT)
      expect(parsed.ok ? [] : parsed.errors, path).toEqual([])
      if (!parsed.ok) continue
      expect(parsed.value.results.length).toBeGreaterThan(0)
      expect(parsed.value.meta?.billedUnits?.searchUnits).toBeTypeOf('number')
      // No null anywhere in the reply: the SDK reads a null optional as absent, but a null required value fails.
      expect(res.text).not.toMatch(/:null[,}]/u)
    }
    // The check can fail: a null relevance_score is refused.
    const broken = V2RerankResponseSchema.parse({ id: 'x', results: [{ index: 0, relevance_score: null }] }, STRICT)
    expect(broken.ok).toBe(false)
  })

  it('SDK errors surface as the SDK typed errors with our message', async () => {
    const client = new CohereClientV2({ token: 'any', baseUrl: 'http://rerank.test', fetch: workerFetch({ VLLM_URLS: '' }), maxRetries: 0 } as never)
    await expect(client.rerank({ model: 'm', query: '', documents: ['a'] })).rejects.toMatchObject({ statusCode: 400 })
  })
})
