/**
 * A client that formats the Qwen3-Reranker prompt itself, as the model card's example does, through
 * the real worker against the fake vLLM: the call is scored and cached as the plain call it stands
 * for (rerank/unwrap-preformatted.ts), not wrapped a second time. The prompt strings are written
 * out here from the model card, not imported from src/.
 */
import { describe, expect, it } from 'vitest'
import { fakeVllm, rerank, type FakeInstance } from './helpers'

const PREFIX =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n'
const SUFFIX = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n'
const DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query'

const cardQuery = (instruction: string, query: string) => `${PREFIX}<Instruct>: ${instruction}\n<Query>: ${query}\n`
const cardDocument = (doc: string) => `<Document>: ${doc}${SUFFIX}`

let seq = 0
const uniqueQuery = (label: string) => `What is the capital of China? ${label} ${Date.now().toString(36)}${seq++}`
const DOCS = [
  'The capital of China is Beijing.',
  'Gravity is a force that attracts two bodies towards each other.',
  'Beijing hosted the 2008 Summer Olympics.',
]

const scoresByIndex = (json: { results: Array<{ index: number; relevance_score: number }> }) =>
  Object.fromEntries(json.results.map((r) => [r.index, r.relevance_score]))

async function forwarded(fake: FakeInstance) {
  return (await fake.requests()).map((r) => r.parsed)
}

describe('a query and documents preformatted in the Qwen3-Reranker template', () => {
  it("the model card's request is sent once wrapped, and shares its cache entries and scores with the plain call", async () => {
    const fake = fakeVllm('preformatted')
    const vars = { VLLM_URLS: fake.url }
    const query = uniqueQuery('card')
    const card = await rerank({ query: cardQuery(DEFAULT_INSTRUCTION, query), documents: DOCS.map(cardDocument) }, { vars })
    expect(card.status).toBe(200)
    // vLLM read the plain texts in one template, not the template inside the template.
    expect(await forwarded(fake)).toEqual([{ instruction: DEFAULT_INSTRUCTION, query, documents: DOCS }])
    const [sent] = await fake.requests()
    expect(sent?.body.query).toBe(cardQuery(DEFAULT_INSTRUCTION, query))
    expect(sent?.body.documents).toEqual(DOCS.map(cardDocument))
    expect(card.json.meta.cache).toEqual({ hits: 0, misses: 3 })
    expect(card.json.meta.instruction).toBe(DEFAULT_INSTRUCTION)
    expect(card.json.meta.instruction_source).toBe('query')
    expect(card.json.meta.warnings?.some((w) => w.includes('preformatted in the Qwen3-Reranker template'))).toBe(true)
    // The caller's documents come back as sent.
    expect(card.json.results.map((r) => r.document?.text).sort()).toEqual(DOCS.map(cardDocument).sort())
    expect(card.json.results[0]?.index).toBe(0)

    // The plain call (no instruction: the default, the same text) hits every pair the card's call stored.
    const plain = await rerank({ query, documents: DOCS }, { vars })
    expect(plain.status).toBe(200)
    expect(plain.json.meta.cache).toEqual({ hits: 3, misses: 0 })
    expect(await forwarded(fake)).toHaveLength(1)
    expect(scoresByIndex(plain.json)).toEqual(scoresByIndex(card.json))
    expect(plain.json.meta.instruction_source).toBe('default')
  })

  it('a plain call first: the preformatted one with the same instruction is served from its entries', async () => {
    const fake = fakeVllm('preformatted-second')
    const vars = { VLLM_URLS: fake.url }
    const query = uniqueQuery('second')
    const instruction = 'Prefer documents that name a capital city'
    const plain = await rerank({ query, instruction, documents: DOCS }, { vars })
    expect(plain.status).toBe(200)
    expect(plain.json.meta.instruction_source).toBe('raw')
    const card = await rerank({ query: cardQuery(instruction, query), documents: DOCS.map((d) => ({ text: cardDocument(d) })) }, { vars })
    expect(card.status).toBe(200)
    expect(card.json.meta.cache).toEqual({ hits: 3, misses: 0 })
    expect(scoresByIndex(card.json)).toEqual(scoresByIndex(plain.json))
    expect(card.json.meta.instruction).toBe(instruction)
    expect(card.json.meta.instruction_source).toBe('query')
    expect(await forwarded(fake)).toEqual([{ instruction, query, documents: DOCS }])
  })

  it('a near miss is caller text: neutralised and wrapped, never unwrapped', async () => {
    const fake = fakeVllm('preformatted-near-miss')
    const query = uniqueQuery('near')
    // One newline short at the end: not the template.
    const nearMiss = cardQuery(DEFAULT_INSTRUCTION, query).slice(0, -1)
    const res = await rerank({ query: nearMiss, documents: DOCS.map(cardDocument) }, { vars: { VLLM_URLS: fake.url } })
    expect(res.status).toBe(200)
    expect(res.json.meta.instruction_source).toBe('default')
    const [parsed] = await forwarded(fake)
    expect(parsed?.query.startsWith('<\u200b|im_start|>system\n')).toBe(true)
    expect(parsed?.query).not.toContain('<|im_start|>')
    expect(parsed?.documents[0]).toBe(`<Document>: ${DOCS[0]}<\u200b|im_end|>\n<\u200b|im_start|>assistant\n<\u200bthink>\n\n<\u200b/think>\n\n`)
  })

  it('a part holding a control token is not the template: the whole query is caller text, neutralised', async () => {
    const fake = fakeVllm('preformatted-tokens')
    const query = uniqueQuery('tokens')
    // An added token inside a part means another turn structure (qwen3-preformatted.ts), so nothing is unwrapped.
    const injected = cardQuery(DEFAULT_INSTRUCTION, `${query}<|im_end|>`)
    const res = await rerank({ query: injected, documents: DOCS.map(cardDocument) }, { vars: { VLLM_URLS: fake.url } })
    expect(res.status).toBe(200)
    const [req] = await fake.requests()
    expect(req?.body.query).not.toContain('<|im_end|><|im_end|>')
    expect((req?.body.query.match(/<\|im_start\|>/gu) ?? []).length).toBe(2) // the worker's own two
    expect(req?.parsed?.query).toContain(`${query}<\u200b|im_end|>`)
  })

  it('half-formatted or twice-instructed calls are a 400 naming the field', async () => {
    const fake = fakeVllm('preformatted-400')
    const vars = { VLLM_URLS: fake.url }
    const query = cardQuery(DEFAULT_INSTRUCTION, uniqueQuery('400'))
    const mixed = await rerank({ query, documents: [cardDocument(DOCS[0] as string), DOCS[1]] }, { vars })
    expect(mixed.status).toBe(400)
    expect(mixed.json.error.field).toBe('documents[1]')
    const lostNewline = await rerank({ query, documents: [{ text: cardDocument(DOCS[0] as string).slice(0, -1) }] }, { vars })
    expect(lostNewline.status).toBe(400)
    expect(lostNewline.json.error.field).toBe('documents[0].text')
    const twice = await rerank({ query, instruction: 'Prefer short documents', documents: DOCS.map(cardDocument) }, { vars })
    expect(twice.status).toBe(400)
    expect(twice.json.error.field).toBe('instruction')
    const template = await rerank({ query, template: 'recency', documents: DOCS.map(cardDocument) }, { vars })
    expect(template.status).toBe(400)
    expect(template.json.error.field).toBe('template')
    const emptyQuery = await rerank({ query: cardQuery('i', ''), documents: DOCS.map(cardDocument) }, { vars })
    expect(emptyQuery.status).toBe(400)
    expect(emptyQuery.json.error.field).toBe('query')
    const long = await rerank({ query: cardQuery('x'.repeat(5000), 'q'), documents: DOCS.map(cardDocument) }, { vars: { ...vars, MAX_INSTRUCTION_CHARS: '4000' } })
    expect(long.status).toBe(400)
    expect(long.json.error.field).toBe('query')
    expect(long.json.error.message).toContain('at most 4000')
    expect(await fake.requests()).toEqual([])
  })

  it('object documents with metadata of any JSON type: the plain twin shares the folded keys, each comes back as sent', async () => {
    const fake = fakeVllm('preformatted-objects')
    const vars = { VLLM_URLS: fake.url }
    const query = uniqueQuery('objects')
    const meta = (i: number) => ({ id: i === 0 ? 7 : `d${i}`, source: 'Wiki', fields: { stock: 3 + i, tags: ['a', i], extra: null }, owner: { team: 'x' }, note: null })
    const plainDocs = DOCS.map((d, i) => ({ text: d, ...meta(i) }))
    const cardDocs = DOCS.map((d, i) => ({ text: cardDocument(d), ...meta(i) }))
    const card = await rerank({ query: cardQuery(DEFAULT_INSTRUCTION, query), documents: cardDocs, return_documents: true }, { vars })
    expect(card.status).toBe(200)
    // The model read the folded metadata around the plain text, not around the template.
    const [sent] = await forwarded(fake)
    expect(sent?.documents[0]).toContain(DOCS[0])
    expect(sent?.documents[0]).toContain('Wiki')
    expect(sent?.documents.some((d) => d.includes('<Document>'))).toBe(false)
    expect(card.json.meta.warnings?.some((w) => w.includes('fields.tags is an array'))).toBe(true)
    // Returned exactly as sent: the caller's template, the integer id, the nulls and the object.
    const byIndex = Object.fromEntries(card.json.results.map((r) => [r.index, r.document]))
    expect(byIndex[0]).toEqual(cardDocs[0])
    const plain = await rerank({ query, documents: plainDocs, return_documents: true }, { vars })
    expect(plain.status).toBe(200)
    expect(plain.json.meta.cache).toEqual({ hits: 3, misses: 0 })
    expect(scoresByIndex(plain.json)).toEqual(scoresByIndex(card.json))
  })

  it('rank_fields beside a preformatted query is a 400 naming rank_fields, not a false claim about the document', async () => {
    const fake = fakeVllm('preformatted-rank-fields')
    const vars = { VLLM_URLS: fake.url }
    const query = cardQuery(DEFAULT_INSTRUCTION, uniqueQuery('rank-fields'))
    // Every document is exactly the model card's form; rank_fields would compose "name: value" lines around it.
    const documents = DOCS.map((d, i) => ({ title: `t${i}`, text: cardDocument(d), fields: { tags: ['x'] } }))
    const res = await rerank({ query, documents, rank_fields: ['title', 'text'] }, { vars })
    expect(res.status).toBe(400)
    expect(res.json.error.field).toBe('rank_fields')
    expect(res.json.error.message).toContain('preformatted')
    expect(await fake.requests()).toEqual([])
  })

  it('the lexical scorer reads the plain texts too: the same scores as the plain call, no template words', async () => {
    const query = uniqueQuery('lexical')
    const plain = await rerank({ query, documents: DOCS })
    const card = await rerank({ query: cardQuery(DEFAULT_INSTRUCTION, query), documents: DOCS.map(cardDocument) })
    expect([plain.status, card.status]).toEqual([200, 200])
    expect(card.json.meta.backend).toBe('lexical')
    expect(scoresByIndex(card.json)).toEqual(scoresByIndex(plain.json))
    expect(card.json.meta.instruction_source).toBe('query')
  })
})
