/**
 * gpu-backend/fixtures/: vLLM /v1/rerank contract bodies (vllm/entrypoints/pooling/score/protocol.py
 * `RerankRequest`/`RerankResponse`; `ErrorResponse`, vllm PR #22099) that the worker's tests also read. Each must parse and have its documented shape;
 * messages are vLLM 0.13's text and token counts are the real Qwen3 tokenizer's.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { contextLengthMessage, countTokens, DEFAULT_INSTRUCTION, GPU_DIR, QWEN3_PREFIX, QWEN3_SUFFIX } from './support'

const dir = join(GPU_DIR, 'fixtures')
const read = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'))

const rerankRequest = z
  .object({ model: z.string().min(1), query: z.string(), documents: z.array(z.string()).min(1) })
  .strict()

const score = z.number().finite().min(0).max(1)
const rerankResponse = z
  .object({
    id: z.string().startsWith('rerank-'),
    model: z.string().min(1),
    usage: z.object({ prompt_tokens: z.number().int().nonnegative(), total_tokens: z.number().int().nonnegative() }).strict(),
    results: z.array(
      z
        .object({
          index: z.number().int().nonnegative(),
          document: z.object({ text: z.string(), multi_modal: z.null() }).strict(),
          relevance_score: score,
        })
        .strict()
    ),
  })
  .strict()

// vLLM 0.9/0.10: usage without prompt_tokens, document without multi_modal (added by vllm PR #20260).
const legacyResponse = rerankResponse.extend({
  usage: z.object({ total_tokens: z.number().int().nonnegative() }).strict(),
  results: z.array(
    z.object({ index: z.number().int().nonnegative(), document: z.object({ text: z.string() }).strict(), relevance_score: score }).strict()
  ),
})

const nestedError = z
  .object({
    error: z
      .object({ message: z.string().min(1), type: z.string().min(1), param: z.null(), code: z.number().int().min(400).max(599) })
      .strict(),
  })
  .strict()
const flatError = z
  .object({ object: z.literal('error'), message: z.string().min(1), type: z.string(), param: z.null(), code: z.number().int() })
  .strict()

const EXPECTED: Record<string, z.ZodType> = {
  'rerank-request.json': rerankRequest,
  'rerank-response.json': rerankResponse,
  'rerank-response-legacy.json': legacyResponse,
  'error-400-context-length.json': nestedError,
  'error-400-validation.json': nestedError,
  'error-404-model-not-found.json': nestedError,
  'error-500-internal.json': nestedError,
  'error-401-unauthorized.json': z.object({ error: z.literal('Unauthorized') }).strict(),
  'error-legacy-flat.json': flatError,
  'proxy-error-404.json': nestedError,
  'proxy-error-502.json': nestedError,
  'proxy-error-503.json': nestedError,
}

describe('gpu-backend/fixtures', () => {
  it('has a schema for every JSON file and a file for every schema', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    expect(files).toEqual(Object.keys(EXPECTED).sort())
  })

  it.each(Object.entries(EXPECTED))('%s parses and has its documented shape', (name, schema) => {
    const result = schema.safeParse(read(name))
    expect(result.error?.issues ?? []).toEqual([])
  })

  it('error codes are the HTTP status the file is named after, types as vLLM names them', () => {
    const code = (n: string) => nestedError.parse(read(n)).error
    expect(code('error-400-context-length.json')).toMatchObject({ code: 400, type: 'BadRequestError' })
    expect(code('error-400-context-length.json').message).toMatch(/maximum context length/u)
    expect(code('error-400-validation.json')).toMatchObject({ code: 400, type: 'Bad Request' })
    expect(code('error-404-model-not-found.json')).toMatchObject({ code: 404, type: 'NotFoundError' })
    expect(code('error-404-model-not-found.json').message).toMatch(/^The model `.+` does not exist\.$/u)
    expect(code('error-500-internal.json')).toMatchObject({ code: 500, type: 'InternalServerError' })
    expect(code('proxy-error-404.json')).toMatchObject({ code: 404, type: 'ProxyError' })
    expect(code('proxy-error-502.json')).toMatchObject({ code: 502, type: 'ProxyError' })
    expect(code('proxy-error-503.json')).toMatchObject({ code: 503, type: 'ProxyError' })
  })

  it("the over-length message is vLLM 0.13's, word for word (RerankRequest: 'embedding generation')", () => {
    const message = nestedError.parse(read('error-400-context-length.json')).error.message
    const m = /^This model's maximum context length is (\d+) tokens\. However, you requested (\d+) tokens/u.exec(message)
    expect(m).not.toBeNull()
    const [max, requested] = [Number(m![1]), Number(m![2])]
    expect(requested).toBeGreaterThan(max)
    expect(message).toBe(contextLengthMessage(max, requested))
    expect(flatError.parse(read('error-legacy-flat.json')).message).toBe(message)
  })

  it('usage counts exactly the tokens of the request (query + document per pair, real Qwen3 tokenizer)', () => {
    const req = rerankRequest.parse(read('rerank-request.json'))
    const tokens = req.documents.reduce((sum, d) => sum + countTokens(req.query + d), 0)
    expect(rerankResponse.parse(read('rerank-response.json')).usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens })
    expect(legacyResponse.parse(read('rerank-response-legacy.json')).usage).toEqual({ total_tokens: tokens })
  })

  it('the request is the model card pair in the exact Qwen3 format', () => {
    const req = rerankRequest.parse(read('rerank-request.json'))
    expect(req.model).toBe('qwen3-reranker-8b')
    expect(req.query).toBe(`${QWEN3_PREFIX}<Instruct>: ${DEFAULT_INSTRUCTION}\n<Query>: What is the capital of China?\n`)
    expect(req.documents).toHaveLength(2)
    expect(req.documents[0]).toBe(`<Document>: The capital of China is Beijing.${QWEN3_SUFFIX}`)
    for (const d of req.documents) {
      expect(d.startsWith('<Document>: ')).toBe(true)
      expect(d.endsWith(QWEN3_SUFFIX)).toBe(true)
    }
    expect(req.documents[1]).toMatch(/^<Document>: Gravity is a force/u)
  })

  it.each(['rerank-response.json', 'rerank-response-legacy.json'])('%s answers the request: every index once, echoed text, sorted by score', (name) => {
    const req = rerankRequest.parse(read('rerank-request.json'))
    const res = legacyResponse.or(rerankResponse).parse(read(name))
    expect(res.model).toBe(req.model)
    expect(res.results.map((r) => r.index).sort()).toEqual(req.documents.map((_, i) => i))
    for (const r of res.results) expect(r.document.text).toBe(req.documents[r.index])
    const scores = res.results.map((r) => r.relevance_score)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    expect(res.results[0]!.index).toBe(0)
    expect(res.results[0]!.relevance_score).toBeGreaterThan(0.9)
    expect(res.results[1]!.relevance_score).toBeLessThan(0.1)
  })
})
