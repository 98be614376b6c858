/**
 * @module bench/worker-under-test
 * Runs the worker in Miniflare directly (one workerd, no wrangler dev proxy in front:
 * `wrangler dev` runs a proxy workerd in front of the worker's, so its figures mostly measure
 * wrangler), with real local KV, D1 and Cache API, so that
 * benchmarks measure the worker's own costs. The bundle is built once by wrangler's dry-run
 * deploy (offline).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'

const ROOT = resolve(import.meta.dirname, '..', '..')
const OUT = join(ROOT, '.bench-tmp', 'dist')

let built = false

/** Bundles src/index.ts with wrangler (once per process). */
export function buildWorker(): string {
  if (!built) {
    mkdirSync(OUT, { recursive: true })
    execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', OUT], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
    })
    built = true
  }
  const file = readdirSync(OUT).find((f) => f.endsWith('.js'))
  if (!file) throw new Error(`no bundle in ${OUT}`)
  return join(OUT, file)
}

export interface WorkerUnderTest {
  url: string
  dispose(): Promise<void>
}

export interface StartWorkerOptions {
  vars?: Record<string, string>
  /** Persist KV/D1/Cache under this directory (default: in memory). */
  persistDir?: string
  /** Bind the SCORE_CACHE KV namespace (default true); false: the memory tier only. */
  kv?: boolean
  /** Drain workerd's stdout/stderr here instead of echoing it (the access log stays on: as deployed). */
  quiet?: boolean
  /** Open the V8 inspector on this port (CPU profiles: bench/lib/workerd-profile.ts). */
  inspectorPort?: number
}

export async function startWorker(options: StartWorkerOptions = {}): Promise<WorkerUnderTest> {
  const scriptPath = buildWorker()
  const persist = options.persistDir
  if (persist && !existsSync(persist)) mkdirSync(persist, { recursive: true })
  const mf = new Miniflare({
    // quiet: workerd still writes every log line (its CPU is counted); Node drops them.
    ...(options.quiet ? { handleStructuredLogs: () => undefined } : {}),
    ...convertV4MiniflareOptions({
    // The script, then the Text modules it imports (the Qwen3 tokenizer files: wrangler.toml [[rules]]).
    modulesRoot: OUT,
    modules: [
      { type: 'ESModule' as const, path: scriptPath },
      ...readdirSync(OUT)
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ type: 'Text' as const, path: join(OUT, f) })),
    ],
    compatibilityDate: '2026-08-01',
    compatibilityFlags: ['nodejs_compat'],
    host: '127.0.0.1',
    port: 0,
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    kvNamespaces: options.kv === false ? [] : ['SCORE_CACHE'],
    d1Databases: ['DB'],
    bindings: { VLLM_MODEL: 'qwen3-reranker-8b', ...(options.vars ?? {}) },
    ...(persist ? { resourcePersistencePath: persist } : {}),
    }),
  })
  const url = (await mf.ready).toString().replace(/\/$/u, '')
  return { url, dispose: () => mf.dispose() }
}
