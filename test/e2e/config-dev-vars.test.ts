/**
 * `.dev.vars`, as README and `.dev.vars.example` recommend, through `npm start` (in a throwaway
 * copy of the project, so the developer's own `.dev.vars` is never touched): API_KEYS there is
 * enforced, the banner and /healthz agree, a quoted VLLM_API_KEY with `$ " \` reaches the
 * backend intact, the environment wins over `.dev.vars` for the same name, the API_KEYS line
 * `npm run hash-key` prints for pasting works as pasted, and a line dotenv cannot read is reported
 * by number without its content.
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeVllm, type FakeVllm } from '../fakes/fake-vllm'
import { projectCopy, REPO_ROOT, serve, type Served } from './serve'

const API_KEY = 'rk_dev-vars-key'
const VLLM_KEY = 'dv$HOME"x\\y'
/** Everything `npm run hash-key -- <key> <id> <tenant> --scopes …` prints on stdout: the paste line. */
function hashKeyPasteLine(key: string): string {
  const out = execFileSync(process.execPath, ['scripts/hash-api-key.mjs', key, 'dev', 'local', '--scopes', 'rerank,feedback'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  if (!/^API_KEYS='[^\n]*'\n$/u.test(out)) throw new Error(`hash-key printed more or less than one API_KEYS line:\n${out}`)
  return out.trimEnd()
}
/** A line dotenv skips (no `=`), holding what could be a secret: reported as line 7, never shown. */
const UNREADABLE = 'VLLM_API_KEY_BACKUP dropped-secret-7f3a'

let fake: FakeVllm
let dir: string
let s: Served

beforeAll(async () => {
  fake = await startFakeVllm({ port: 0 })
  fake.instance('e2e-dev-vars').control.apiKey = VLLM_KEY
  // Written the way a user writes it: the line hash-key prints for pasting, the secret in single
  // quotes (dotenv: literal), the rest unquoted.
  dir = await projectCopy(
    [
      '# local secrets',
      hashKeyPasteLine(API_KEY),
      `VLLM_API_KEY='${VLLM_KEY}'`,
      `VLLM_URLS=${fake.url}/i/e2e-dev-vars`,
      'VLLM_MODEL=overridden-by-the-environment',
      'LOG_REQUESTS=false # the documented way to quiet the per-request lines',
      UNREADABLE,
      '',
    ].join('\n')
  )
  s = await serve({ VLLM_MODEL: 'qwen3-reranker-8b' }, 90_000, dir)
})

afterAll(async () => {
  await s?.stop()
  await fake?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('npm start with .dev.vars', () => {
  it('enforces API_KEYS from .dev.vars; banner and /healthz agree', async () => {
    const call = (key: string | null) =>
      fetch(`${s.url}/v1/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query: 'capital of France', documents: ['Bananas.', 'Paris is the capital of France.'] }),
      })
    expect((await call(null)).status).toBe(401)
    const ok = await call(API_KEY)
    expect(ok.status).toBe(200)
    const json = (await ok.json()) as { results: Array<{ index: number }>; meta: { backend: string } }
    expect(json.meta.backend).toBe('vllm')
    expect(json.results[0]?.index).toBe(1)
    const health = (await (await fetch(`${s.url}/healthz`)).json()) as { auth: string; model: string }
    expect(health.auth).toBe('api_keys')
    // The environment's VLLM_MODEL won over .dev.vars' (the fake answers 404 to any other model).
    expect(health.model).toBe('qwen3-reranker-8b')
    expect(s.output()).toMatch(/access requires an API key \(API_KEYS from \.dev\.vars\)/u)
    expect(s.output()).not.toMatch(/access is OPEN/u)
  })

  it('reports the .dev.vars line it could not read by number, without its content', () => {
    expect(s.output()).toMatch(/rerank-edge: \.dev\.vars line 7 ignored: not NAME=value/u)
    expect(s.output()).not.toContain('dropped-secret-7f3a')
  })

  it('LOG_REQUESTS=false in .dev.vars silences the per-request lines', async () => {
    const res = await fetch(`${s.url}/healthz`)
    const requestId = res.headers.get('x-request-id')
    expect(requestId).toBeTruthy()
    await new Promise((r) => setTimeout(r, 500))
    expect(s.output()).not.toContain(requestId as string)
    expect(s.output()).not.toMatch(/"msg":"request"/u)
  })

  it('passes the quoted VLLM_API_KEY from .dev.vars through unchanged', () => {
    const auths = fake.instance('e2e-dev-vars').requests.map((r) => r.authorization)
    expect(auths.length).toBeGreaterThan(0)
    expect(new Set(auths)).toEqual(new Set([`Bearer ${VLLM_KEY}`]))
  })
})
