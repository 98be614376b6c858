/**
 * `GET /openapi.json` validates against the official OpenAPI 3.1 JSON Schema (the schema
 * published with the specification, as bundled by @seriousme/openapi-schema-validator), not only
 * against our own structural checker. The document is served by the real app (Hono in Node).
 */
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { createApp } from '../app'

describe('/openapi.json', () => {
  it('is valid OpenAPI 3.1 by the official JSON Schema', async () => {
    const res = await createApp().request('/openapi.json', {}, { VLLM_URLS: '', LOG_REQUESTS: 'false' })
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toMatch(/^3\.1\./u)
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/rerank', '/v2/rerank', '/rerank', '/v1/templates']))
    const validator = new Validator()
    const result = await validator.validate(doc as never)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('the validator can fail: a broken document is rejected', async () => {
    const res = await createApp().request('/openapi.json', {}, { VLLM_URLS: '', LOG_REQUESTS: 'false' })
    const doc = (await res.json()) as { paths: Record<string, Record<string, { responses?: unknown }>> }
    const post = doc.paths['/v1/rerank']?.post
    if (post) post.responses = 'not an object'
    const result = await new Validator().validate(doc as never)
    expect(result.valid).toBe(false)
  })
})
