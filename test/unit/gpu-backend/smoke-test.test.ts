/**
 * gpu-backend/smoke-test.sh: its request is the fixture (exact Qwen3 format), and, run against a
 * vLLM stand-in behind the real proxy, it passes a healthy backend and names each known failure:
 * constant 0.5 scores (vLLM #27857), uniformly high scores (unformatted prompt), no API key, and
 * routes vLLM leaves unguarded being reachable.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GPU_DIR, hasCaddy, startCaddy, startFakeVllm, which, type FakeVllm, type RunningCaddy } from './support'

const SCRIPT = join(GPU_DIR, 'smoke-test.sh')
const KEY = 'smoke-test-key-8e41d2f07a6b'
const tools = ['bash', 'curl', 'python3'].every((t) => which(t) !== null)

/** Runs the script asynchronously (the stand-in server lives in this process). */
function runSmoke(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn('bash', [SCRIPT, ...args], {
      // System directories first: a pyenv-style python3 shim costs ~0.4 s per call, the script makes several.
      env: { PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Uint8Array) => (out += new TextDecoder().decode(d)))
    child.stderr.on('data', (d: Uint8Array) => (out += new TextDecoder().decode(d)))
    child.on('close', (code) => resolvePromise({ code, out }))
  })
}

// Each run makes ~20 curl and python3 calls: a few seconds, more on a loaded machine.
describe.skipIf(!tools)('smoke-test.sh', { timeout: 60_000 }, () => {
  it('sends exactly the fixture request (the model card pair in the Qwen3 format)', async () => {
    const r = await runSmoke(['--print-request'], {})
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync(join(GPU_DIR, 'fixtures', 'rerank-request.json'), 'utf8')))
    const small = await runSmoke(['--print-request'], { MODEL_SIZE: '0.6B' })
    expect((JSON.parse(small.out) as { model: string }).model).toBe('qwen3-reranker-0.6b')
  })

  it('exits 2 without a key', async () => {
    const r = await runSmoke(['http://127.0.0.1:9'], {})
    expect(r.code).toBe(2)
    expect(r.out).toMatch(/set VLLM_API_KEY/u)
  })

  describe('against a vLLM stand-in', () => {
    let fake: FakeVllm
    beforeAll(async () => {
      fake = await startFakeVllm({ apiKey: KEY, servedModel: 'qwen3-reranker-8b', maxModelLen: 8192 })
    })
    afterAll(async () => {
      await fake?.close()
    })

    it('without the proxy, flags every unguarded vLLM route as exposed', async () => {
      fake.setMode('ok')
      const r = await runSmoke([fake.url], { VLLM_API_KEY: KEY, DIRECT_URL: fake.url })
      expect(r.code).toBe(1)
      expect(r.out).toMatch(/^PASS {2}POST \/v1\/rerank scores: doc0=0\.9985, doc1=0\.0006$/mu)
      for (const route of ['POST /rerank', 'POST /v2/rerank', 'POST /score', 'GET /metrics', 'POST /tokenize']) {
        expect(r.out).toContain(`FAIL  ${route} without the key -> 200: the proxy exposes a route vLLM does not guard`)
      }
      expect(r.out).not.toContain(KEY)
    })

    describe.skipIf(!hasCaddy)('behind the real proxy', () => {
      let caddy: RunningCaddy
      beforeAll(async () => {
        caddy = await startCaddy(`127.0.0.1:${fake.port}`)
      })
      afterAll(async () => {
        await caddy?.stop()
      })
      const smoke = (env: Record<string, string> = {}) =>
        runSmoke([caddy.url], { VLLM_API_KEY: KEY, DIRECT_URL: fake.url, ...env })

      it('passes a healthy backend, every check', async () => {
        fake.setMode('ok')
        const r = await smoke()
        expect(r.out).not.toMatch(/^FAIL/mu)
        expect(r.code).toBe(0)
        expect(r.out).toContain('PASS  GET /health -> 200')
        expect(r.out).toContain('PASS  /v1/models data[0].id = qwen3-reranker-8b')
        expect(r.out).toContain('PASS  POST /v1/rerank without the key -> 401 {"error":"Unauthorized"}')
        expect(r.out).toContain('PASS  POST /rerank without the key -> 404 at the proxy')
        expect(r.out).toMatch(/PASS {2}pair over MAX_MODEL_LEN=8192 -> 400: This model's maximum context length/u)
        expect(r.out).toMatch(/all checks passed\n$/u)
        expect(r.out).not.toContain(KEY)
      })

      it('names the broken score head (every score 0.5)', async () => {
        fake.setMode('constant')
        const r = await smoke()
        expect(r.code).toBe(1)
        expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank: every score ≈ 0\.5 \(doc0=0\.5000, doc1=0\.5000\): the score head is not loaded/u)
      })

      it('names the unformatted-prompt failure (every score high)', async () => {
        fake.setMode('unformatted')
        const r = await smoke()
        expect(r.code).toBe(1)
        expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank: every score high \(doc0=0\.8300, doc1=0\.8100\)/u)
      })

      it('notices vLLM running without an API key', async () => {
        fake.setMode('nokey')
        const r = await smoke()
        expect(r.code).toBe(1)
        expect(r.out).toContain('FAIL  POST /v1/rerank without the key -> 200: vLLM runs WITHOUT an API key')
      })

      it('notices a served-name mismatch', async () => {
        fake.setMode('ok')
        const r = await smoke({ EXPECTED_MODEL: 'qwen3-reranker-4b' })
        expect(r.code).toBe(1)
        expect(r.out).toContain('FAIL  /v1/models data[0].id = qwen3-reranker-8b, expected qwen3-reranker-4b')
        expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank -> 404 .*does not exist/u)
      })
    })
  })
})
