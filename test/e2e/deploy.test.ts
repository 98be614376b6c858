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
state.calls.push({ args, config: c >= 0 ? fs.readFileSync(args[c + 1], 'utf8') : null })
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
else if (cmd === 'deploy') console.log('Uploaded rerank-edge (1.00 sec)')
else if (cmd === 'secret list') console.log(JSON.stringify([{ name: 'VLLM_API_KEY', type: 'secret_text' }], null, '  '))
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
  calls: Array<{ args: string[]; config: string | null }>
}

function runWithStub(initial: Omit<StubState, 'calls'>, args: string[], extraEnv: Record<string, string> = {}) {
  const project = mkdtempSync(join(dir, 'project-'))
  copyFileSync(join(REPO_ROOT, 'wrangler.toml'), join(project, 'wrangler.toml'))
  const statePath = join(project, 'stub-state.json')
  writeFileSync(statePath, JSON.stringify({ ...initial, calls: [] }))
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/deploy.mjs'), ...args], {
    cwd: project,
    env: { ...process.env, PATH: `${stubBin}:${process.env.PATH}`, STUB_STATE: statePath, VLLM_URLS: '', ...extraEnv },
    encoding: 'utf8',
  })
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as StubState
  const config = existsSync(join(project, 'wrangler.deploy.toml')) ? readFileSync(join(project, 'wrangler.deploy.toml'), 'utf8') : ''
  return { status: r.status, out: r.stdout + r.stderr, state, config, original: readFileSync(join(project, 'wrangler.toml'), 'utf8') }
}

describe('npm run deploy against a wrangler-shaped stub', () => {
  it('reuses what exists, creates what is missing, writes the ids, migrates remotely, deploys, names unset secrets', () => {
    const r = runWithStub(
      { kv: [{ id: EXISTING_KV, title: 'rerank-edge-SCORE_CACHE' }, { id: 'ffffffffffffffffffffffffffffffff', title: 'someone-else' }], d1: [] },
      [],
      { VLLM_URLS: 'https://gpu-a.example.com,https://gpu-b.example.com', VLLM_MODEL: 'qwen3-reranker-4b' }
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
    const deployAt = commands.indexOf('deploy -c wrangler.deploy.toml')
    expect(deployAt).toBeGreaterThan(commands.indexOf('d1 migrations apply DB --remote -c wrangler.deploy.toml'))
    expect(r.state.calls[deployAt]?.config).toContain(CREATED_KV)
    // VLLM_API_KEY is set (stub's secret list); the others are named with their commands.
    expect(r.out).toMatch(/secret VLLM_API_KEY is set/u)
    expect(r.out).toMatch(/wrangler secret put API_KEYS -c wrangler\.deploy\.toml/u)
    expect(r.out).not.toMatch(/wrangler secret put VLLM_API_KEY/u)
  })

  it('a second run creates nothing', () => {
    const r = runWithStub(
      {
        kv: [{ id: EXISTING_KV, title: 'rerank-edge-SCORE_CACHE' }, { id: CREATED_KV, title: 'rerank-edge-TEMPLATES_KV' }],
        d1: [{ uuid: CREATED_D1, name: 'rerank-edge' }],
      },
      []
    )
    expect(r.status, r.out).toBe(0)
    expect(r.state.calls.some((c) => c.args.includes('create'))).toBe(false)
    expect(r.config).toContain(`database_id = "${CREATED_D1}"`)
    expect(r.out).toMatch(/serve the embedded lexical scorer/u)
  })

  it('--dry-run calls nothing remote: only `wrangler deploy --dry-run`', () => {
    const r = runWithStub({ kv: [], d1: [] }, ['--dry-run'])
    expect(r.status, r.out).toBe(0)
    expect(r.state.calls.map((c) => c.args.join(' '))).toEqual(['deploy --dry-run --outdir dist -c wrangler.deploy.toml'])
    expect(r.out).toMatch(/wrangler secret put VLLM_API_KEY/u)
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
    expect(out).toMatch(/env\.DB \(rerank-edge\)/u)
    expect(out).not.toMatch(/deploy: wrangler (kv|d1|secret)/u)
  }, 90_000)
})
