/**
 * `npm run deploy` (scripts/deploy.mjs) as far as it can run without a Cloudflare account:
 *  - against a wrangler-shaped stub on PATH that answers with the JSON shapes wrangler 4.164
 *    prints (`kv namespace list`: the API's `{id, title, supports_url_encoding}`; `d1 list --json`:
 *    `{uuid, name, created_at, version, num_tables, file_size}`; `secret list`: `{name, type}`):
 *    existing resources are reused, missing ones created, their ids written where wrangler reads
 *    them, migrations applied remotely with that config, and the unset secrets named;
 *  - `--dry-run` with the real wrangler: nothing remote, and the generated config bundles.
 * What a real account does (auth, the API's answers, the deploy itself) is not tested here.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnv } from '../support/child-env'
import { REPO_ROOT } from './serve'

const EXISTING_KV = 'f00dfeedf00dfeedf00dfeedf00dfeed'
const CREATED_KV = 'c0ffee00c0ffee00c0ffee00c0ffee00'
const CREATED_D1 = '7b1c1d6e-0d2a-4e5b-9c3f-2a1b0c9d8e7f'

/** The stub: records every call (argv and the -c file's text) and answers like wrangler. */
const STUB = `#!/usr/bin/env node
const fs = require('node:fs')
const statePath = process.env.STUB_STATE
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'))
const args = process.argv.slice(2)
const c = args.indexOf('-c')
const sf = args.indexOf('--secrets-file')
const secretsFile = sf >= 0 ? fs.readFileSync(args[sf + 1], 'utf8') : null
if (secretsFile !== null) state.secretsFileMode = (fs.statSync(args[sf + 1]).mode & 0o777).toString(8)
state.calls.push({ args, config: c >= 0 ? fs.readFileSync(args[c + 1], 'utf8') : null, secrets: secretsFile === null ? null : Object.keys(JSON.parse(secretsFile)) })
const save = () => fs.writeFileSync(statePath, JSON.stringify(state))
const words = []
for (const a of args) { if (a.startsWith('-')) break; words.push(a) }
const cmd = words.join(' ')
if (cmd === 'kv namespace list') console.log(JSON.stringify(state.kv, null, '  '))
else if (cmd.startsWith('kv namespace create')) {
  const title = args[3]
  console.log('\\u{1F300} Creating namespace with title "' + title + '"')
  console.log('\\u2728 Success!')
  console.log('To access your new KV Namespace in your Worker, add the following snippet to your configuration file:')
  console.log('[[kv_namespaces]]\\nbinding = "' + title.replace(/-/g, '_') + '"\\nid = "${CREATED_KV}"')
  state.kv.push({ id: '${CREATED_KV}', title, supports_url_encoding: true })
} else if (cmd === 'd1 list') console.log(JSON.stringify(state.d1, null, 2))
else if (cmd.startsWith('d1 create')) {
  console.log('\\u2705 Successfully created DB \\'' + args[2] + '\\' in region WEUR')
  state.d1.push({ uuid: '${CREATED_D1}', name: args[2], created_at: '2026-12-03T02:00:00.000Z', version: 'production', num_tables: 0, file_size: 0 })
} else if (cmd.startsWith('d1 migrations apply')) console.log('\\u2705 0001_experiments.sql')
else if (cmd === 'deploy') {
  console.log('Uploaded rerank-edge (1.00 sec)')
  // A deploy creates the worker; secrets uploaded with it are set (additively, as wrangler does).
  state.secrets = [...new Set([...(state.secrets ?? []), ...(state.calls[state.calls.length - 1].secrets ?? [])])]
} else if (cmd === 'secret list') {
  if (state.secrets === null) {
    console.error('\u2718 [ERROR] This Worker does not exist on your account. [code: 10007]')
    save()
    process.exit(1)
  }
  console.log(JSON.stringify(state.secrets.map((name) => ({ name, type: 'secret_text' })), null, '  '))
}
else { console.error('stub: unexpected wrangler ' + args.join(' ')); process.exit(3) }
save()
`

let dir: string
let stubBin: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rerank-edge-deploy-'))
  stubBin = join(dir, 'bin')
  execFileSync('mkdir', ['-p', stubBin])
  writeFileSync(join(stubBin, 'wrangler'), STUB)
  chmodSync(join(stubBin, 'wrangler'), 0o755)
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface StubState {
  kv: Array<{ id: string; title: string }>
  d1: Array<{ uuid: string; name: string }>
  /** Secrets set on the worker; null: the worker does not exist yet. */
  secrets: string[] | null
  calls: Array<{ args: string[]; config: string | null; secrets: string[] | null }>
  secretsFileMode?: string
}

const KEYS = '[{"id":"k1","hash":"sha256:' + 'a'.repeat(64) + '","tenant":"t","scopes":["rerank"]}]'

function runWithStub(initial: Omit<StubState, 'calls'>, args: string[], extraEnv: Record<string, string> = {}, project = mkdtempSync(join(dir, 'project-'))) {
  if (!existsSync(join(project, 'wrangler.toml'))) copyFileSync(join(REPO_ROOT, 'wrangler.toml'), join(project, 'wrangler.toml'))
  const statePath = join(project, 'stub-state.json')
  writeFileSync(statePath, JSON.stringify({ ...initial, calls: [] }))
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/deploy.mjs'), ...args], {
    cwd: project,
    env: childEnv({ ...cleanEnv(), PATH: `${stubBin}:${process.env.PATH}`, STUB_STATE: statePath, ...extraEnv }),
    encoding: 'utf8',
  })
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as StubState
  const config = existsSync(join(project, 'wrangler.deploy.toml')) ? readFileSync(join(project, 'wrangler.deploy.toml'), 'utf8') : ''
  return { status: r.status, out: r.stdout + r.stderr, state, config, project, original: readFileSync(join(project, 'wrangler.toml'), 'utf8') }
}

/** This process's environment without any config var or secret a developer may have exported. */
function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(VLLM_|API_KEYS|MAX_|CACHE_|RATE_|BACKEND_|FALLBACK|LOG_)/u.test(k)) out[k] = v
  return out
}

describe('npm run deploy against a wrangler-shaped stub', () => {
  it('reuses what exists, creates what is missing, writes the ids, migrates remotely, deploys, names unset secrets', () => {
    const r = runWithStub(
      { kv: [{ id: EXISTING_KV, title: 'rerank-edge-SCORE_CACHE' }, { id: 'ffffffffffffffffffffffffffffffff', title: 'someone-else' }], d1: [], secrets: ['VLLM_API_KEY'] },
      [],
      { VLLM_URLS: 'https://gpu-a.example.com,https://gpu-b.example.com', VLLM_MODEL: 'qwen3-reranker-4b', API_KEYS: KEYS }
    )
    expect(r.status, r.out).toBe(0)
    const commands = r.state.calls.map((c) => c.args.join(' '))
    // SCORE_CACHE existed: not created again; TEMPLATES_KV and the database were missing.
    expect(commands.filter((c) => c.startsWith('kv namespace create'))).toEqual(['kv namespace create rerank-edge-TEMPLATES_KV'])
    expect(commands.filter((c) => c.startsWith('d1 create'))).toEqual(['d1 create rerank-edge'])
    // The ids are in the deploy config, in the right blocks; wrangler.toml keeps its placeholders.
    expect(r.config).toMatch(new RegExp(`binding = "SCORE_CACHE"\\nid = "${EXISTING_KV}"`, 'u'))
    expect(r.config).toMatch(new RegExp(`binding = "TEMPLATES_KV"\\nid = "${CREATED_KV}"`, 'u'))
    expect(r.config).toMatch(new RegExp(`database_name = "rerank-edge"\\ndatabase_id = "${CREATED_D1}"`, 'u'))
    expect(r.config).toContain('VLLM_URLS = "https://gpu-a.example.com,https://gpu-b.example.com"')
    expect(r.config).toContain('VLLM_MODEL = "qwen3-reranker-4b"')
    expect(r.original).toContain('id = "00000000000000000000000000000001"')
    // Migrations, then the deploy, each with the generated config as written.
    const migrate = r.state.calls.find((c) => c.args.slice(0, 3).join(' ') === 'd1 migrations apply')
    expect(migrate?.args).toEqual(['d1', 'migrations', 'apply', 'DB', '--remote', '-c', 'wrangler.deploy.toml'])
    expect(migrate?.config).toContain(CREATED_D1)
    const deployAt = commands.findIndex((c) => c.startsWith('deploy -c wrangler.deploy.toml'))
    expect(deployAt).toBeGreaterThan(commands.indexOf('d1 migrations apply DB --remote -c wrangler.deploy.toml'))
    expect(r.state.calls[deployAt]?.config).toContain(CREATED_KV)
    // API_KEYS went up with the version, from a private file (never into [vars]); VLLM_API_KEY
    // was already set; the others are named with their commands.
    expect(r.state.calls[deployAt]?.secrets).toEqual(['API_KEYS'])
    expect(r.state.secretsFileMode).toBe('600')
    expect(r.state.calls[deployAt]?.config).not.toContain('API_KEYS')
    expect(r.out).toMatch(/secret VLLM_API_KEY is set/u)
    expect(r.out).toMatch(/secret API_KEYS is set/u)
    expect(r.out).toMatch(/npx wrangler secret put VLLM_ACCESS_CLIENT_ID -c wrangler\.deploy\.toml/u)
    expect(r.out).not.toMatch(/wrangler secret put VLLM_API_KEY/u)
  })

  it('refuses to deploy an open worker unless told to, before creating anything', () => {
    const fresh = { kv: [], d1: [], secrets: null }
    const r = runWithStub(fresh, [], { VLLM_URLS: 'https://gpu-a.example.com' })
    expect(r.status).toBe(1)
    expect(r.out).toMatch(/API_KEYS is neither in this environment nor set on the worker.*every scope/su)
    expect(r.state.calls.map((c) => c.args.slice(0, 2).join(' '))).toEqual(['secret list'])
    const open = runWithStub(fresh, ['--allow-open'], { VLLM_URLS: 'https://gpu-a.example.com' })
    expect(open.status, open.out).toBe(0)
    expect(open.out).toMatch(/OPEN to anyone/u)
    // A worker that already has API_KEYS is not open: no flag needed.
    const closed = runWithStub({ kv: [], d1: [], secrets: ['API_KEYS'] }, [], { VLLM_URLS: 'https://gpu-a.example.com' })
    expect(closed.status, closed.out).toBe(0)
  })

  it('refuses one Access value without the other, and a backend a deployed worker cannot reach', () => {
    const half = runWithStub({ kv: [], d1: [], secrets: ['API_KEYS'] }, [], { VLLM_ACCESS_CLIENT_ID: 'abc.access' })
    expect(half.status).toBe(1)
    expect(half.out).toMatch(/set both VLLM_ACCESS_CLIENT_ID and VLLM_ACCESS_CLIENT_SECRET/u)
    const loop = runWithStub({ kv: [], d1: [], secrets: ['API_KEYS'] }, [], { VLLM_URLS: 'http://127.0.0.1:8000' })
    expect(loop.status).toBe(1)
    expect(loop.out).toMatch(/entry 1 \(127\.0\.0\.1:8000\) is a loopback address/u)
    expect(loop.state.calls).toHaveLength(0)
    const plain = runWithStub({ kv: [], d1: [], secrets: ['API_KEYS'] }, [], { VLLM_URLS: 'http://gpu-a.example.com' })
    expect(plain.status, plain.out).toBe(0)
    expect(plain.out).toMatch(/warning: VLLM_URLS entry 1 \(gpu-a\.example\.com\) is plain http/u)
  })

  it('a redeploy keeps the last deploy\'s vars (the GPU backend above all), takes every config var given, and --lexical empties VLLM_URLS', () => {
    const existing = {
      kv: [{ id: EXISTING_KV, title: 'rerank-edge-SCORE_CACHE' }, { id: CREATED_KV, title: 'rerank-edge-TEMPLATES_KV' }],
      d1: [{ uuid: CREATED_D1, name: 'rerank-edge' }],
      secrets: ['API_KEYS'],
    }
    const first = runWithStub(existing, [], { VLLM_URLS: 'https://gpu-a.example.com', VLLM_MODEL: 'qwen3-reranker-4b', MAX_DOCUMENTS: '200' })
    expect(first.status, first.out).toBe(0)
    expect(first.config).toContain('MAX_DOCUMENTS = "200"')
    const again = runWithStub(existing, [], { CACHE_SHARED: 'true' }, first.project)
    expect(again.status, again.out).toBe(0)
    expect(again.config).toContain('VLLM_URLS = "https://gpu-a.example.com"')
    expect(again.config).toContain('VLLM_MODEL = "qwen3-reranker-4b"')
    expect(again.config).toContain('MAX_DOCUMENTS = "200"')
    expect(again.config).toContain('CACHE_SHARED = "true"')
    expect(again.out).toMatch(/kept from the last deploy: MAX_DOCUMENTS, VLLM_MODEL, VLLM_URLS/u)
    const lexical = runWithStub(existing, ['--lexical'], {}, first.project)
    expect(lexical.status, lexical.out).toBe(0)
    expect(lexical.config).toContain('VLLM_URLS = ""')
    expect(lexical.out).toMatch(/serve the embedded lexical scorer/u)
  })

  it('a second run creates nothing', () => {
    const r = runWithStub(
      {
        kv: [{ id: EXISTING_KV, title: 'rerank-edge-SCORE_CACHE' }, { id: CREATED_KV, title: 'rerank-edge-TEMPLATES_KV' }],
        d1: [{ uuid: CREATED_D1, name: 'rerank-edge' }],
        secrets: ['API_KEYS'],
      },
      []
    )
    expect(r.status, r.out).toBe(0)
    expect(r.state.calls.some((c) => c.args.includes('create'))).toBe(false)
    expect(r.config).toContain(`database_id = "${CREATED_D1}"`)
  })

  it('--dry-run calls nothing remote and leaves the real deploy config alone', () => {
    const project = mkdtempSync(join(dir, 'project-'))
    writeFileSync(join(project, 'wrangler.deploy.toml'), 'the last real deploy')
    execFileSync('mkdir', ['-p', join(project, 'dist')])
    const r = runWithStub({ kv: [], d1: [], secrets: null }, ['--dry-run'], {}, project)
    expect(r.status, r.out).toBe(0)
    expect(r.state.calls.map((c) => c.args.join(' '))).toEqual(['deploy --dry-run --outdir dist -c wrangler.dry.toml'])
    expect(r.config).toBe('the last real deploy')
    expect(r.out).toMatch(/a real deploy refuses unless it is already set on the worker, or --allow-open/u)
  })
})

describe('npm run deploy -- --dry-run with the real wrangler', () => {
  it('bundles the worker against the generated config, offline', () => {
    const r = spawnSync('npm', ['run', 'deploy', '--', '--dry-run'], {
      cwd: REPO_ROOT,
      env: { ...process.env, VLLM_URLS: '', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      encoding: 'utf8',
      timeout: 80_000,
    })
    const out = r.stdout + r.stderr
    expect(r.status, out).toBe(0)
    expect(out).toMatch(/--dry-run: exiting now/u)
    // Every binding the worker reads, against the config as generated.
    for (const binding of ['env.DB (rerank-edge)', 'env.SCORE_CACHE', 'env.TEMPLATES_KV', 'env.RATE_LIMITER']) expect(out).toContain(binding)
    // Measured against the plans' limits (3 MiB Free, 10 MiB Paid, gzip-compressed).
    const size = /bundle: (\d+\.\d+) MiB gzip-compressed, within the Free plan's 3 MiB/u.exec(out)
    expect(size, out).not.toBeNull()
    expect(Number(size?.[1])).toBeGreaterThan(0.5)
    expect(out).not.toMatch(/deploy: wrangler (kv|d1|secret)/u)
  }, 90_000)
})
