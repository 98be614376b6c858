/**
 * gpu-backend/entrypoint.sh: the exact `vllm serve` argv for each setting (dry run), validation,
 * and that the API key never reaches argv or output. Runs under POSIX sh (dash on Debian) and bash.
 * TP is 1 unless asked for, and never above 1 for 0.6B; every default comes from defaults.env.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GPU_DIR, runEntrypoint, which } from './support'

const KEY = 'sk-test-5f0c2b9e8d7a41c3b6e2'
const BASE = { VLLM_API_KEY: KEY }
const OVERRIDES = {
  architectures: ['Qwen3ForSequenceClassification'],
  classifier_from_token: ['no', 'yes'],
  is_original_qwen3_reranker: true,
}
// Byte-for-byte the --hf-overrides of vLLM's supported-models table and docs/models/pooling_models/scoring.md.
const OVERRIDES_JSON =
  '{"architectures":["Qwen3ForSequenceClassification"],"classifier_from_token":["no","yes"],"is_original_qwen3_reranker":true}'

function expectedArgv(model: string, served: string, tp: number, overrides = true): string[] {
  return [
    'vllm',
    'serve',
    model,
    '--runner=pooling',
    ...(overrides ? [`--hf-overrides=${OVERRIDES_JSON}`] : []),
    `--served-model-name=${served}`,
    '--dtype=bfloat16',
    '--max-model-len=8192',
    `--tensor-parallel-size=${tp}`,
    '--gpu-memory-utilization=0.90',
    '--max-num-seqs=256',
    '--max-num-batched-tokens=16384',
    '--enable-prefix-caching',
    '--host=0.0.0.0',
    '--port=8000',
  ]
}

const shells = ['sh', ...(which('bash') ? ['bash'] : [])]

describe.each(shells)('entrypoint.sh under %s', (shell) => {
  const run = (env: Record<string, string>, args?: string[]) => runEntrypoint({ ...BASE, ...env }, args, shell)

  it.each([
    { name: '8B, default TP (1)', env: {}, model: 'Qwen/Qwen3-Reranker-8B', served: 'qwen3-reranker-8b', tp: 1 },
    { name: '8B, TP 1 explicit', env: { TENSOR_PARALLEL_SIZE: '1' }, model: 'Qwen/Qwen3-Reranker-8B', served: 'qwen3-reranker-8b', tp: 1 },
    { name: '8B, empty TP (compose passes empty)', env: { TENSOR_PARALLEL_SIZE: '' }, model: 'Qwen/Qwen3-Reranker-8B', served: 'qwen3-reranker-8b', tp: 1 },
    { name: '0.6B, default TP (1)', env: { MODEL_SIZE: '0.6B' }, model: 'Qwen/Qwen3-Reranker-0.6B', served: 'qwen3-reranker-0.6b', tp: 1 },
    { name: '4B from MODEL', env: { MODEL: 'Qwen/Qwen3-Reranker-4B' }, model: 'Qwen/Qwen3-Reranker-4B', served: 'qwen3-reranker-4b', tp: 1 },
    { name: 'lower-case size', env: { MODEL_SIZE: '0.6b' }, model: 'Qwen/Qwen3-Reranker-0.6B', served: 'qwen3-reranker-0.6b', tp: 1 },
  ])('renders the exact argv: $name', ({ env, model, served, tp }) => {
    const r = run(env as Record<string, string>)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.lines).toEqual(expectedArgv(model, served, tp))
  })

  it.each<{ env: Record<string, string>; model: string; served: string; tp: number }>([
    { env: { TENSOR_PARALLEL_SIZE: '2' }, model: 'Qwen/Qwen3-Reranker-8B', served: 'qwen3-reranker-8b', tp: 2 },
    { env: { MODEL_SIZE: '8B', TENSOR_PARALLEL_SIZE: '4' }, model: 'Qwen/Qwen3-Reranker-8B', served: 'qwen3-reranker-8b', tp: 4 },
    { env: { MODEL_SIZE: '4B', TENSOR_PARALLEL_SIZE: '2' }, model: 'Qwen/Qwen3-Reranker-4B', served: 'qwen3-reranker-4b', tp: 2 },
  ])('runs TP $tp only when asked ($env), and says what it costs', ({ env, model, served, tp }) => {
    const r = run(env)
    expect(r.status).toBe(0)
    expect(r.lines).toEqual(expectedArgv(model, served, tp))
    expect(r.stderr).toBe(
      `entrypoint: warning: tensor parallel size ${tp}: TP only shortens one large batch; one TP-1 replica per GPU gives more total throughput, and vLLM #23804 reports ranking drift as TP grows: run smoke-test.sh at TP 1 and at TP ${tp} (TP=${tp} ./smoke-test.sh) to compare scores\n`
    )
  })

  it.each<Record<string, string>>([
    { MODEL_SIZE: '0.6B', TENSOR_PARALLEL_SIZE: '2' },
    { MODEL_SIZE: '0.6b', TENSOR_PARALLEL_SIZE: '8' },
    { MODEL: 'Qwen/Qwen3-Reranker-0.6B', TENSOR_PARALLEL_SIZE: '4' },
    { MODEL: 'tomaarsen/Qwen3-Reranker-0.6B-seq-cls', TENSOR_PARALLEL_SIZE: '2' },
  ])('refuses 0.6B at TP > 1: %o', (env) => {
    const r = run(env)
    expect(r.status).toBe(64)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `entrypoint: error: TENSOR_PARALLEL_SIZE=${env.TENSOR_PARALLEL_SIZE} with the 0.6B model is refused: run one replica per GPU at TP 1 (compose.gpus2.yaml), not compose.tp2.yaml\n`
    )
  })

  it('takes every default from defaults.env: a changed copy changes the argv, a missing one stops it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'defaults-'))
    const original = readFileSync(join(GPU_DIR, 'defaults.env'), 'utf8')
    const changed = original
      .replace(/^DEFAULT_MODEL_SIZE=8B$/mu, 'DEFAULT_MODEL_SIZE=4B')
      .replace(/^MAX_MODEL_LEN=8192$/mu, 'MAX_MODEL_LEN=4096')
      .replace(/^MAX_NUM_SEQS=256$/mu, 'MAX_NUM_SEQS=64')
    expect(changed).not.toBe(original)
    writeFileSync(join(dir, 'defaults.env'), changed)
    const r = run({ RERANK_DEFAULTS_FILE: join(dir, 'defaults.env') })
    expect(r.status).toBe(0)
    expect(r.lines.slice(0, 3)).toEqual(['vllm', 'serve', 'Qwen/Qwen3-Reranker-4B'])
    expect(r.lines).toContain('--max-model-len=4096')
    expect(r.lines).toContain('--max-num-seqs=64')
    // An empty variable (what compose passes for an unset one) means the default; a set one wins.
    expect(run({ RERANK_DEFAULTS_FILE: join(dir, 'defaults.env'), MAX_MODEL_LEN: '' }).lines).toContain('--max-model-len=4096')
    expect(run({ RERANK_DEFAULTS_FILE: join(dir, 'defaults.env'), MAX_MODEL_LEN: '2048' }).lines).toContain('--max-model-len=2048')

    const missing = run({ RERANK_DEFAULTS_FILE: join(dir, 'nope.env') })
    expect(missing.status).toBe(64)
    expect(missing.stderr).toMatch(/defaults file not readable/u)
    writeFileSync(join(dir, 'bad.env'), 'MAX_MODEL_LEN 8192\n')
    const bad = run({ RERANK_DEFAULTS_FILE: join(dir, 'bad.env') })
    expect(bad.status).toBe(64)
    expect(bad.stderr).toMatch(/bad line in .*bad\.env: 'MAX_MODEL_LEN 8192'/u)
    // A value is assigned, never executed.
    writeFileSync(join(dir, 'evil.env'), `${original}\nMODEL=$(touch ${join(dir, 'pwned')})\n`)
    const evil = run({ RERANK_DEFAULTS_FILE: join(dir, 'evil.env'), SERVED_MODEL_NAME: 'x' })
    expect(existsSync(join(dir, 'pwned'))).toBe(false)
    expect(evil.stderr).toContain(`MODEL must not contain whitespace, got '$(touch ${join(dir, 'pwned')})'`)
    writeFileSync(join(dir, 'subst.env'), `${original}\nMODEL=$(id)\n`)
    expect(run({ RERANK_DEFAULTS_FILE: join(dir, 'subst.env'), SERVED_MODEL_NAME: 'x' }).lines[2]).toBe('$(id)')
  })

  it('passes overrides that parse back to the expected object, and never --task', () => {
    for (const size of ['0.6B', '4B', '8B']) {
      const r = run({ MODEL_SIZE: size })
      const flag = r.lines.filter((a) => a.startsWith('--hf-overrides='))
      expect(flag).toHaveLength(1)
      expect(JSON.parse(flag[0]!.slice('--hf-overrides='.length))).toEqual(OVERRIDES)
      expect(r.lines.some((a) => a === '--task' || a.startsWith('--task='))).toBe(false)
      expect(r.lines).toContain('--runner=pooling')
      expect(r.lines).toContain('--enable-prefix-caching')
    }
  })

  it('omits the overrides for *-seq-cls checkpoints and keeps the served name', () => {
    const r = run({ MODEL: 'tomaarsen/Qwen3-Reranker-0.6B-seq-cls' })
    expect(r.status).toBe(0)
    expect(r.lines).toEqual(expectedArgv('tomaarsen/Qwen3-Reranker-0.6B-seq-cls', 'qwen3-reranker-0.6b', 1, false))
    const forced = run({ MODEL: 'tomaarsen/Qwen3-Reranker-8B-seq-cls', QWEN3_RERANKER_OVERRIDES: 'on' })
    expect(forced.lines.filter((a) => a.startsWith('--hf-overrides='))).toHaveLength(1)
    expect(forced.lines).toContain('--tensor-parallel-size=1')
    const off = run({ QWEN3_RERANKER_OVERRIDES: 'off' })
    expect(off.lines.some((a) => a.startsWith('--hf-overrides'))).toBe(false)
  })

  it('takes every engine setting from the environment', () => {
    const r = run({
      MODEL: '/models/Qwen3-Reranker-4B/',
      SERVED_MODEL_NAME: 'reranker-a',
      TENSOR_PARALLEL_SIZE: '4',
      MAX_MODEL_LEN: '16384',
      DTYPE: 'float32',
      GPU_MEMORY_UTILIZATION: '0.85',
      MAX_NUM_SEQS: '128',
      MAX_NUM_BATCHED_TOKENS: '32768',
      HOST: '127.0.0.1',
      PORT: '9000',
      ENFORCE_EAGER: '1',
    })
    expect(r.status).toBe(0)
    expect(r.lines).toEqual([
      'vllm',
      'serve',
      '/models/Qwen3-Reranker-4B/',
      '--runner=pooling',
      `--hf-overrides=${OVERRIDES_JSON}`,
      '--served-model-name=reranker-a',
      '--dtype=float32',
      '--max-model-len=16384',
      '--tensor-parallel-size=4',
      '--gpu-memory-utilization=0.85',
      '--max-num-seqs=128',
      '--max-num-batched-tokens=32768',
      '--enable-prefix-caching',
      '--host=127.0.0.1',
      '--port=9000',
      '--enforce-eager',
    ])
  })

  it('appends extra flags last, unchanged, and DRY_RUN=1 equals --print', () => {
    const extra = ['--max-num-seqs=64', 'two words', '{"a": [1]}']
    const r = run({ DRY_RUN: '1' }, extra)
    expect(r.status).toBe(0)
    expect(r.lines).toEqual([...expectedArgv('Qwen/Qwen3-Reranker-8B', 'qwen3-reranker-8b', 1), ...extra])
  })

  it('needs SERVED_MODEL_NAME when the size cannot be read from MODEL; TP then defaults to 1', () => {
    const bad = run({ MODEL: '/models/my-reranker' })
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toMatch(/SERVED_MODEL_NAME/u)
    const ok = run({ MODEL: '/models/my-reranker', SERVED_MODEL_NAME: 'mine' })
    expect(ok.status).toBe(0)
    expect(ok.lines).toContain('--tensor-parallel-size=1')
    expect(ok.lines).toContain('--served-model-name=mine')
  })

  it.each([
    [{ TENSOR_PARALLEL_SIZE: '3' }, /TENSOR_PARALLEL_SIZE must be 1, 2, 4 or 8/u],
    [{ TENSOR_PARALLEL_SIZE: '16' }, /TENSOR_PARALLEL_SIZE/u],
    [{ TENSOR_PARALLEL_SIZE: 'two' }, /TENSOR_PARALLEL_SIZE/u],
    [{ MODEL_SIZE: '2B' }, /MODEL_SIZE must be one of 0\.6B, 4B, 8B/u],
    [{ MODEL_SIZE: '8B', MODEL: 'Qwen/Qwen3-Reranker-4B' }, /contradicts/u],
    [{ MAX_MODEL_LEN: 'abc' }, /MAX_MODEL_LEN must be a whole number/u],
    [{ MAX_MODEL_LEN: '08192' }, /MAX_MODEL_LEN must be a whole number/u],
    [{ MAX_MODEL_LEN: '65536' }, /MAX_MODEL_LEN must be <= 32768/u],
    [{ MAX_MODEL_LEN: '0' }, /MAX_MODEL_LEN must be >= 1/u],
    [{ DTYPE: 'int8' }, /DTYPE must be/u],
    [{ GPU_MEMORY_UTILIZATION: '1.5' }, /GPU_MEMORY_UTILIZATION/u],
    [{ GPU_MEMORY_UTILIZATION: '0.0' }, /GPU_MEMORY_UTILIZATION must be greater than 0/u],
    [{ GPU_MEMORY_UTILIZATION: '90%' }, /GPU_MEMORY_UTILIZATION/u],
    [{ MAX_NUM_SEQS: '-1' }, /MAX_NUM_SEQS must be a whole number/u],
    [{ MAX_NUM_SEQS: '512', MAX_NUM_BATCHED_TOKENS: '256' }, /MAX_NUM_BATCHED_TOKENS \(256\) must be >= MAX_NUM_SEQS \(512\)/u],
    [{ PORT: '70000' }, /PORT must be <= 65535/u],
    [{ PORT: '80a' }, /PORT must be a whole number/u],
    [{ SERVED_MODEL_NAME: 'has space' }, /SERVED_MODEL_NAME may only contain/u],
    [{ QWEN3_RERANKER_OVERRIDES: 'maybe' }, /QWEN3_RERANKER_OVERRIDES must be/u],
    [{ DRY_RUN: 'perhaps' }, /DRY_RUN must be 1 or 0/u],
  ])('rejects %o with a clear message', (env, message) => {
    const r = run(env)
    expect(r.status).toBe(64)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^entrypoint: error: /u)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toContain(KEY)
  })

  it('refuses to start without a key unless ALLOW_NO_API_KEY=1', () => {
    const none = runEntrypoint({}, ['--print'], shell)
    expect(none.status).toBe(64)
    expect(none.stderr).toMatch(/VLLM_API_KEY is not set/u)
    const allowed = runEntrypoint({ ALLOW_NO_API_KEY: '1' }, ['--print'], shell)
    expect(allowed.status).toBe(0)
    expect(allowed.stderr).toMatch(/WITHOUT an API key/u)
    expect(allowed.lines).toEqual(expectedArgv('Qwen/Qwen3-Reranker-8B', 'qwen3-reranker-8b', 1))
    expect(runEntrypoint({ VLLM_API_KEY: 'short' }, ['--print'], shell).stderr).toMatch(/too short/u)
    expect(runEntrypoint({ VLLM_API_KEY: 'has a space in it 123' }, ['--print'], shell).stderr).toMatch(/whitespace/u)
  })

  it('never puts the key in argv or output, and refuses --api-key on the command line', () => {
    const r = run({}, ['--print', `--middleware=x${KEY}y`])
    expect(r.status).toBe(0)
    expect(r.stdout + r.stderr).not.toContain(KEY)
    expect(r.lines.at(-1)).toBe('--middleware=x<redacted>y')
    expect(r.lines.some((a) => a.startsWith('--api-key'))).toBe(false)
    for (const flag of [['--api-key', KEY], [`--api-key=${KEY}`], [`--api_key=${KEY}`]]) {
      const refused = run({}, ['--print', ...flag])
      expect(refused.status).toBe(64)
      expect(refused.stderr).toMatch(/do not pass --api-key/u)
      expect(refused.stdout + refused.stderr).not.toContain(KEY)
    }
    expect(run({}, ['--print', '--task', 'score']).stderr).toMatch(/--task was removed/u)
  })

  it('refuses flags that would re-wrap or re-score the prompt: a chat template, the runner, the overrides, the pooler', () => {
    const chat = run({}, ['--print', '--chat-template=/t.jinja'])
    expect(chat.status).toBe(64)
    expect(chat.stderr).toMatch(/wrap it twice/u)
    for (const flag of [['--chat-template', '/t.jinja'], ['--runner', 'generate'], ['--runner=generate'], ['--hf-overrides={}'], ['--pooler-config', '{}'], ['--pooler_config={}']]) {
      const refused = run({}, ['--print', ...flag])
      expect(refused.status, flag.join(' ')).toBe(64)
      expect(refused.stdout, flag.join(' ')).toBe('')
    }
    // Other extra flags still pass through.
    const passed = run({}, ['--print', '--max-log-len=77'])
    expect(passed.status).toBe(0)
    expect(passed.lines).toContain('--max-log-len=77')
  })

  it('reads the key from VLLM_API_KEY_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'key-'))
    const file = join(dir, 'key')
    writeFileSync(file, `${KEY}\n`)
    const r = runEntrypoint({ VLLM_API_KEY_FILE: file }, ['--print'], shell)
    expect(r.status).toBe(0)
    expect(r.stdout + r.stderr).not.toContain(KEY)
    const both = runEntrypoint({ VLLM_API_KEY_FILE: file, VLLM_API_KEY: KEY }, ['--print'], shell)
    expect(both.stderr).toMatch(/not both/u)
    const missing = runEntrypoint({ VLLM_API_KEY_FILE: join(dir, 'nope') }, ['--print'], shell)
    expect(missing.status).toBe(64)
  })

  it('execs vllm with the same argv, the key in the environment only', () => {
    // A stand-in `vllm` on PATH prints its PID, its argv and whether it got the key.
    const bin = mkdtempSync(join(tmpdir(), 'fake-vllm-'))
    writeFileSync(
      join(bin, 'vllm'),
      `#!/bin/sh\necho "pid=$$"\nfor a in "$@"; do echo "$a"; done\n[ "$VLLM_API_KEY" = "${KEY}" ] && echo key-in-env\n`
    )
    chmodSync(join(bin, 'vllm'), 0o755)
    const r = runEntrypoint({ ...BASE, MODEL_SIZE: '0.6B' }, [], shell, `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`)
    expect(r.status).toBe(0)
    // exec: the shell is replaced, so vLLM has the entrypoint's PID and receives docker stop's SIGTERM.
    expect(r.lines[0]).toBe(`pid=${r.pid}`)
    expect(r.lines.slice(1, -1)).toEqual(expectedArgv('Qwen/Qwen3-Reranker-0.6B', 'qwen3-reranker-0.6b', 1).slice(1))
    expect(r.lines.at(-1)).toBe('key-in-env')
    expect(r.stderr).toMatch(/serving Qwen\/Qwen3-Reranker-0\.6B as "qwen3-reranker-0\.6b"/u)
    expect(r.stderr).not.toContain(KEY)
  })
})

/**
 * The tests above compare the argv with what this file believes; this ties every flag and override
 * key to vLLM 0.13's own source (vllm-0.13-serve-args.json says where each list was read), so a
 * belief wrong in both places (a removed `--task`, a misspelt field) still fails here.
 */
describe('entrypoint.sh emits only flags and override keys vLLM 0.13 defines', () => {
  const known = JSON.parse(readFileSync(join(import.meta.dirname, 'vllm-0.13-serve-args.json'), 'utf8')) as {
    engine_args: string[]
    frontend_args: string[]
    hf_override_keys_read: string[]
  }
  const flags = new Set([...known.engine_args, ...known.frontend_args].map((f) => `--${f.replaceAll('_', '-')}`))

  it('the list is vLLM 0.13 (it has the flags this image relies on and not the removed --task)', () => {
    for (const f of ['--runner', '--hf-overrides', '--enable-prefix-caching', '--max-model-len', '--host', '--port']) expect(flags.has(f), f).toBe(true)
    expect(flags.has('--task')).toBe(false)
  })

  it.each<{ name: string; env: Record<string, string> }>([
    { name: 'defaults', env: {} },
    { name: '4B at TP 2, eager', env: { MODEL_SIZE: '4B', TENSOR_PARALLEL_SIZE: '2', ENFORCE_EAGER: '1' } },
    { name: 'a seq-cls conversion', env: { MODEL: 'tomaarsen/Qwen3-Reranker-0.6B-seq-cls' } },
  ])('$name', ({ env }) => {
    const r = runEntrypoint({ ...BASE, ...env })
    expect(r.status).toBe(0)
    const emitted = r.lines.filter((a) => a.startsWith('--'))
    expect(emitted.length).toBeGreaterThanOrEqual(10)
    for (const arg of emitted) expect(flags.has(arg.split('=')[0]!), arg).toBe(true)
    const overrides = emitted.find((a) => a.startsWith('--hf-overrides='))
    if (overrides) {
      for (const key of Object.keys(JSON.parse(overrides.slice('--hf-overrides='.length)) as object)) expect(known.hf_override_keys_read, key).toContain(key)
    }
  })
})
