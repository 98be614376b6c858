/**
 * gpu-backend/smoke-test.sh, run against a strict vLLM stand-in (real Qwen3 token counts, vLLM
 * 0.13's over-length 400) behind the real proxy: it passes a healthy backend and FAILS, naming the
 * cause, when the backend joins query and document with a separator, adds a BOS token, replaces or
 * ignores the instruction, swaps a graded ranking, drifts between TP runs or between replicas by
 * more than 0.02, loses
 * the score head (every score 0.5), sees unformatted prompts, runs without a key, or when the
 * operator's MAX_MODEL_LEN is not the backend's.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnv, contextLengthMessage, GPU_DIR, startCaddy, startFakeVllm, type FakeVllm, type RunningCaddy } from './support'

const SCRIPT = join(GPU_DIR, 'smoke-test.sh')
const KEY = 'smoke-test-key-8e41d2f07a6b'

interface ExpectedRequest {
  name: string
  query: string
  documents: string[]
  order: number[]
  pair_tokens: number[]
  prompt_tokens: number
}
const expected = JSON.parse(readFileSync(join(GPU_DIR, 'smoke', 'expected.json'), 'utf8')) as {
  requests: ExpectedRequest[]
  long: { base_tokens: number }
}
const byName = (name: string) => expected.requests.find((r) => r.name === name)!

/**
 * A stand-in `docker` on PATH for `docker compose version | config --services | exec -T SVC python3
 * -c CODE ARG`: the exec runs CODE here, with the replica's stand-in port in place of the container's
 * 127.0.0.1:8000 and the key in the environment, as compose gives it to the container.
 */
function dockerShim(ports: Record<string, number>): string {
  const bin = mkdtempSync(join(tmpdir(), 'docker-shim-'))
  const cases = Object.entries(ports)
    .map(([svc, port]) => `    ${svc}) port=${port} ;;`)
    .join('\n')
  writeFileSync(
    join(bin, 'docker'),
    `#!/bin/sh
[ "$1" = compose ] || exit 1
shift
case $1 in
  version) echo 'Docker Compose version v2.30.3' ;;
  config) printf '%s\\n' ${Object.keys(ports).join(' ')} proxy ;;
  exec)
    shift
    [ "$1" = -T ] && shift
    svc=$1
    shift 2 # the service and python3
    case $svc in
${cases}
      *) echo "no such service: $svc" >&2; exit 1 ;;
    esac
    code=$(printf '%s' "$2" | sed "s/127.0.0.1:8000/127.0.0.1:$port/")
    VLLM_API_KEY=$SHIM_KEY exec python3 -c "$code" "$3" ;;
  *) exit 1 ;;
esac
`
  )
  chmodSync(join(bin, 'docker'), 0o755)
  return bin
}

/** Runs the script asynchronously (the stand-in server lives in this process). */
function runSmoke(args: string[], env: Record<string, string>, dockerBin?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise) => {
    // A bin folder without `docker` unless a shim is given, so the host's docker never answers.
    const path = `${dockerBin ? `${dockerBin}:` : ''}/usr/bin:/bin:${process.env.PATH ?? ''}`
    const child = spawn('bash', [SCRIPT, ...args], {
      // System directories first: a pyenv-style python3 shim costs ~0.4 s per call, the script makes several.
      env: childEnv({ PATH: path, HOME: process.env.HOME ?? '/tmp', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Uint8Array) => (out += new TextDecoder().decode(d)))
    child.stderr.on('data', (d: Uint8Array) => (out += new TextDecoder().decode(d)))
    child.on('close', (code) => resolvePromise({ code, out }))
  })
}

// Each run makes ~25 curl and python3 calls: a few seconds, more on a loaded machine.
describe('smoke-test.sh', { timeout: 90_000 }, () => {
  it('sends exactly the fixture request (the model card pair in the worker format), model from defaults.env', async () => {
    const r = await runSmoke(['--print-request'], {})
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync(join(GPU_DIR, 'fixtures', 'rerank-request.json'), 'utf8')))
    const small = await runSmoke(['--print-request'], { MODEL_SIZE: '0.6B' })
    expect((JSON.parse(small.out) as { model: string }).model).toBe('qwen3-reranker-0.6b')
    // The name the entrypoint serves under, whichever setting gives it (a MODEL repo id included).
    const byRepo = await runSmoke(['--print-request'], { MODEL: 'Qwen/Qwen3-Reranker-4B' })
    expect((JSON.parse(byRepo.out) as { model: string }).model).toBe('qwen3-reranker-4b')
    const named = await runSmoke(['--print-request'], { MODEL: '/models/my-reranker', SERVED_MODEL_NAME: 'mine' })
    expect((JSON.parse(named.out) as { model: string }).model).toBe('mine')
    const unknown = await runSmoke(['--print-request'], { MODEL: '/models/my-reranker' })
    expect(unknown.code).toBe(2)
    expect(unknown.out).toMatch(/cannot tell the model size from MODEL=\/models\/my-reranker[\s\S]*set EXPECTED_MODEL/u)
    const graded = await runSmoke(['--print-request', 'graded'], {})
    expect(JSON.parse(graded.out)).toEqual({ model: 'qwen3-reranker-8b', query: byName('graded').query, documents: byName('graded').documents })
  })

  it('exits 2 without a key', async () => {
    const r = await runSmoke(['http://127.0.0.1:9'], {})
    expect(r.code).toBe(2)
    expect(r.out).toMatch(/set VLLM_API_KEY/u)
  })

  describe('against a strict vLLM stand-in behind the real proxy', () => {
    let fake: FakeVllm
    let caddy: RunningCaddy
    beforeAll(async () => {
      fake = await startFakeVllm({ apiKey: KEY, servedModel: 'qwen3-reranker-8b', maxModelLen: 8192 })
      caddy = await startCaddy(`127.0.0.1:${fake.port}`)
    })
    afterAll(async () => {
      await caddy?.stop()
      await fake?.close()
    })
    const scoresFile = () => join(mkdtempSync(join(tmpdir(), 'smoke-scores-')), 'scores.json')
    const smoke = (env: Record<string, string> = {}) =>
      runSmoke([caddy.url], { VLLM_API_KEY: KEY, DIRECT_URL: fake.url, SCORES_FILE: scoresFile(), ...env })

    it('passes a healthy backend, every check by value', async () => {
      fake.setMode('ok')
      const r = await smoke()
      expect(r.out).not.toMatch(/^FAIL/mu)
      expect(r.code).toBe(0)
      expect(r.out).toContain('PASS  GET /health -> 200')
      expect(r.out).toContain('PASS  /v1/models data[0].id = qwen3-reranker-8b')
      for (const req of expected.requests) {
        expect(r.out).toContain(`PASS  POST /v1/rerank ${req.name}: prompt_tokens=${req.prompt_tokens}, ranking [${req.order.join(', ')}]`)
      }
      expect(r.out).toContain('PASS  every round alike: 4 rounds: max |Δ| between rounds = 0.0000')
      expect(r.out).toMatch(/PASS {2}scores at TP=1: first run recorded for qwen3-reranker-8b at tp=1/u)
      expect(r.out).toContain('PASS  POST /v1/rerank without the key -> 401 {"error":"Unauthorized"}')
      expect(r.out).toContain('PASS  POST /rerank without the key -> 404 at the proxy')
      // The over-long pair's count is predicted exactly: 8192 + 1000 tokens.
      expect(r.out).toContain(`PASS  pair over MAX_MODEL_LEN=8192 -> 400: ${contextLengthMessage(8192, 9192)}`)
      expect(r.out).toMatch(/all checks passed\n$/u)
      expect(r.out).not.toContain(KEY)
    })

    it('compares scores across TP runs: equal passes, a 0.03 drift fails', async () => {
      const file = scoresFile()
      fake.setMode('ok')
      expect((await smoke({ SCORES_FILE: file, SKIP_LONG: '1' })).code).toBe(0)
      const same = await smoke({ SCORES_FILE: file, SKIP_LONG: '1', TP: '2' })
      expect(same.out).toContain('PASS  scores at TP=2: max |Δ| = 0.0000 against tp=1')
      expect(same.code).toBe(0)
      fake.setMode('drift')
      const drift = await smoke({ SCORES_FILE: file, SKIP_LONG: '1', TP: '2' })
      expect(drift.code).toBe(1)
      expect(drift.out).toMatch(/FAIL {2}scores at TP=2: max \|Δ\| = 0\.0300 against tp=1, tp=2 \(.*\) > 0\.02: scores drift between runs/u)
      // The drifted run is not recorded: a later healthy run still compares with the good ones.
      fake.setMode('ok')
      const again = await smoke({ SCORES_FILE: file, SKIP_LONG: '1', TP: '2' })
      expect(again.out).toContain('PASS  scores at TP=2: max |Δ| = 0.0000 against tp=1, tp=2')
    })

    it.each<['separator' | 'bos', string]>([
      ['separator', 'a pad token between query and document'],
      ['bos', 'a BOS token before every pair'],
    ])('fails on the exact token count when the backend adds %s (%s)', async (mode) => {
      fake.setMode(mode)
      const r = await smoke()
      expect(r.code).toBe(1)
      const mc = byName('model-card')
      expect(r.out).toContain(
        `FAIL  POST /v1/rerank model-card: usage.prompt_tokens is ${mc.prompt_tokens + 2}, expected exactly ${mc.prompt_tokens} (pairs: ${mc.pair_tokens.join(' + ')}): one extra token per pair`
      )
      expect(r.out).toContain('SKIP  score comparison across runs (a rerank check failed; nothing recorded)')
      // The over-long pair is one token longer too, so vLLM's message no longer matches the prediction.
      expect(r.out).toMatch(/FAIL {2}pair over MAX_MODEL_LEN=8192 -> 400: error\.message is .*you requested 9193 tokens/u)
    })

    it('fails when the backend replaces the instruction (count and ranking)', async () => {
      fake.setMode('instruction-default')
      const r = await smoke({ SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toContain(`PASS  POST /v1/rerank model-card: prompt_tokens=${byName('model-card').prompt_tokens}`)
      expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank instruction-animal: usage\.prompt_tokens is \d+, expected exactly \d+/u)
      expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank instruction-car: usage\.prompt_tokens is/u)
    })

    it('fails when the model ignores the instruction (the ranking does not flip)', async () => {
      fake.setMode('no-instruction')
      const r = await smoke({ SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toContain('PASS  POST /v1/rerank instruction-animal: prompt_tokens=')
      expect(r.out).toMatch(
        /FAIL {2}POST \/v1\/rerank instruction-car: ranking is \[0, 1\], expected \[1, 0\] \(doc0=0\.7000, doc1=0\.6000\): the instruction did not change the ranking/u
      )
    })

    it('fails when the graded ranking is wrong', async () => {
      fake.setMode('swap')
      const r = await smoke({ SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank graded: ranking is \[0, 2, 1, 3\], expected \[0, 1, 2, 3\]/u)
    })

    it("fails when the operator's MAX_MODEL_LEN is not the backend's", async () => {
      fake.setMode('ok')
      const higher = await smoke({ MAX_MODEL_LEN: '16384' })
      expect(higher.code).toBe(1)
      expect(higher.out).toMatch(/FAIL {2}pair over MAX_MODEL_LEN=16384 -> 400: error\.message is .*maximum context length is 8192 tokens\. However, you requested 17384 tokens/u)
      const lower = await smoke({ MAX_MODEL_LEN: '4096' })
      expect(lower.code).toBe(1)
      // 5096 tokens fit the backend's 8192: the pair is scored instead of refused.
      expect(lower.out).toMatch(/FAIL {2}pair over MAX_MODEL_LEN=4096 -> 200:/u)
    })

    it('names the broken score head (every score 0.5)', async () => {
      fake.setMode('constant')
      const r = await smoke({ SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank model-card: every score ≈ 0\.5 \(doc0=0\.5000, doc1=0\.5000\): the score head is not loaded/u)
    })

    it('names the unformatted-prompt failure (every score high)', async () => {
      fake.setMode('unformatted')
      const r = await smoke({ SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank model-card: every score high \(doc0=0\.8300, doc1=0\.8100\)/u)
    })

    it('notices vLLM running without an API key', async () => {
      fake.setMode('nokey')
      const r = await smoke({ SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toContain('FAIL  POST /v1/rerank without the key -> 200: vLLM runs WITHOUT an API key')
    })

    it('notices a served-name mismatch', async () => {
      fake.setMode('ok')
      const r = await smoke({ EXPECTED_MODEL: 'qwen3-reranker-4b', SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toContain('FAIL  /v1/models data[0].id = qwen3-reranker-8b, expected qwen3-reranker-4b')
      expect(r.out).toMatch(/FAIL {2}POST \/v1\/rerank model-card -> 404 .*does not exist/u)
    })

    it('without the proxy, flags every unguarded vLLM route as exposed', async () => {
      fake.setMode('ok')
      const r = await runSmoke([fake.url], { VLLM_API_KEY: KEY, DIRECT_URL: fake.url, SCORES_FILE: scoresFile(), SKIP_LONG: '1' })
      expect(r.code).toBe(1)
      expect(r.out).toContain(`PASS  POST /v1/rerank model-card: prompt_tokens=${byName('model-card').prompt_tokens}, ranking [0, 1]: doc0=0.9985, doc1=0.0006`)
      for (const route of ['POST /rerank', 'POST /v2/rerank', 'POST /score', 'GET /metrics', 'POST /tokenize']) {
        expect(r.out).toContain(`FAIL  ${route} without the key -> 200: the proxy exposes a route vLLM does not guard`)
      }
      expect(r.out).not.toContain(KEY)
    })
  })

  describe('against two replicas behind the real proxy', () => {
    let good: FakeVllm
    let other: FakeVllm
    let caddy: RunningCaddy
    beforeAll(async () => {
      good = await startFakeVllm({ apiKey: KEY, servedModel: 'qwen3-reranker-8b', maxModelLen: 8192 })
      other = await startFakeVllm({ apiKey: KEY, servedModel: 'qwen3-reranker-8b', maxModelLen: 8192 })
      caddy = await startCaddy(`127.0.0.1:${good.port} 127.0.0.1:${other.port}`)
    })
    afterAll(async () => {
      await caddy?.stop()
      await good?.close()
      await other?.close()
    })
    const smoke = () =>
      runSmoke([caddy.url], {
        VLLM_API_KEY: KEY,
        DIRECT_URL: good.url,
        SCORES_FILE: join(mkdtempSync(join(tmpdir(), 'smoke-scores-')), 'scores.json'),
        SKIP_LONG: '1',
      })

    it('passes when both replicas agree', async () => {
      other.setMode('ok')
      const r = await smoke()
      expect(r.out).toContain('PASS  every round alike: 4 rounds: max |Δ| between rounds = 0.0000')
      expect(r.code).toBe(0)
      expect(other.paths.filter((p) => p === '/v1/rerank').length).toBeGreaterThan(0)
    })

    it('with docker compose at hand, checks each replica directly: ids, the graded set, and that they agree', async () => {
      other.setMode('ok')
      const docker = dockerShim({ 'reranker-gpu0': good.port, 'reranker-gpu1': other.port })
      const env = { VLLM_API_KEY: KEY, SHIM_KEY: KEY, SCORES_FILE: join(mkdtempSync(join(tmpdir(), 's-')), 's.json'), SKIP_LONG: '1' }
      const ok = await runSmoke([caddy.url], env, docker)
      expect(ok.out).toContain('PASS  reranker-gpu0 /v1/models data[0].id = qwen3-reranker-8b')
      expect(ok.out).toContain('PASS  reranker-gpu1 /v1/models data[0].id = qwen3-reranker-8b')
      expect(ok.out).toContain(`PASS  reranker-gpu1 graded, directly: prompt_tokens=${byName('graded').prompt_tokens}, ranking [0, 1, 2, 3]`)
      expect(ok.out).toContain('PASS  replicas alike: 2 replicas: max |Δ| between replicas = 0.0000')
      expect(ok.code).toBe(0)
      other.setMode('drift')
      const off = await runSmoke([caddy.url], { ...env, ROUNDS: '1' }, docker)
      expect(off.code).toBe(1)
      expect(off.out).toMatch(/FAIL {2}replicas: 2 replicas: max \|Δ\| between replicas = 0\.0300 \(graded doc\d: .* in replica 2, .* in replica 1\) > 0\.02/u)
      other.setMode('swap')
      const swapped = await runSmoke([caddy.url], { ...env, ROUNDS: '1' }, docker)
      expect(swapped.out).toMatch(/FAIL {2}reranker-gpu1 graded, directly: ranking is \[0, 2, 1, 3\]/u)
    })

    it('fails when one replica scores 0.03 off (16 calls spread: both answer, p = 1 - 2^-15)', async () => {
      other.setMode('drift')
      const r = await smoke()
      expect(r.code).toBe(1)
      expect(r.out).toMatch(/FAIL {2}rounds: 4 rounds: max \|Δ\| between rounds = 0\.0300 \(.*\) > 0\.02: the replicas behind the proxy \(or repeated calls\) disagree/u)
      expect(r.out).toContain('SKIP  score comparison across runs (a rerank check failed; nothing recorded)')
    })
  })
})
