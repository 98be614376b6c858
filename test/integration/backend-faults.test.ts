/**
 * Trust nothing from the backend: every fault becomes a clear 502/503/504 JSON error, the
 * secret never leaks, and (see cache tests) nothing from a bad reply is cached.
 */
import { describe, expect, it } from 'vitest'
import { fakeVllm, rerank } from './helpers'

const body = { query: 'capital of China', documents: ['Beijing is the capital of China.', 'Gravity.', 'Paris.'] }
const SECRET = 'sk-very-secret-987'

const cases: Array<[mode: string, status: number, message: RegExp]> = [
  ['error500', 502, /backend answered 500: CUDA error/u],
  ['error503', 503, /backend answered 503/u],
  ['html', 502, /HTML page/u],
  ['garbage', 502, /not valid JSON/u],
  ['nan', 502, /not valid JSON|non-finite/u],
  ['out_of_range', 502, /out-of-range score 1\.7/u],
  ['wrong_count', 502, /returned 2 results for 3 documents/u],
  ['unknown_index', 502, /unknown index 6/u],
  ['duplicate_index', 502, /twice/u],
  ['reset', 503, /unreachable/u],
]

describe('backend faults', () => {
  for (const [mode, status, message] of cases) {
    it(`${mode} → ${status}`, async () => {
      const fake = fakeVllm(mode)
      await fake.control({ mode, apiKey: SECRET })
      const res = await rerank(body, { vars: { VLLM_URLS: fake.url, VLLM_API_KEY: SECRET } })
      expect(res.status).toBe(status)
      expect(res.json.error.message).toMatch(message)
      expect(res.json.request_id).toBeTruthy()
      expect(res.text).not.toContain(SECRET)
    })
  }

  it('a hanging backend gives 504 within the deadline', async () => {
    const fake = fakeVllm('hang')
    await fake.control({ mode: 'hang' })
    const t0 = Date.now()
    const res = await rerank(body, { vars: { VLLM_URLS: fake.url, BACKEND_TIMEOUT_MS: '300' } })
    const took = Date.now() - t0
    expect(res.status).toBe(504)
    expect(res.json.error.code).toBe('backend_timeout')
    expect(took).toBeLessThan(2000)
    expect(took).toBeGreaterThanOrEqual(250)
  })

  it('a closed port gives 503', async () => {
    const res = await rerank(body, { vars: { VLLM_URLS: 'http://127.0.0.1:9' } })
    expect(res.status).toBe(503)
    expect(res.json.error.code).toBe('backend_unavailable')
  })

  it('a wrong API key is reported as a backend error without echoing the key', async () => {
    const fake = fakeVllm('badkey')
    await fake.control({ apiKey: 'the-right-key' })
    const res = await rerank(body, { vars: { VLLM_URLS: fake.url, VLLM_API_KEY: SECRET } })
    expect(res.status).toBe(502)
    expect(res.json.error.message).toMatch(/401: Unauthorized/u)
    expect(res.text).not.toContain(SECRET)
  })

  it('a model the backend does not serve is a 502 that says so', async () => {
    const fake = fakeVllm('model')
    await fake.control({ servedModel: 'qwen3-reranker-0.6b' })
    const res = await rerank(body, { vars: { VLLM_URLS: fake.url, VLLM_MODEL: 'qwen3-reranker-8b' } })
    expect(res.status).toBe(502)
    expect(res.json.error.message).toMatch(/does not exist/u)
  })

  it('fails over to a second URL when the first is unreachable', async () => {
    const fake = fakeVllm('failover')
    const res = await rerank(body, { vars: { VLLM_URLS: `http://127.0.0.1:9,${fake.url}` } })
    expect(res.status).toBe(200)
    expect((await fake.requests()).length).toBe(1)
  })
})
