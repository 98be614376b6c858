#!/usr/bin/env node
/**
 * `npm start`: apply local D1 migrations, then serve the worker with `wrangler dev` on
 * 127.0.0.1:$PORT (default 8787), offline and unattended.
 *
 * - Config comes from the environment: every var the worker reads (VLLM_URLS, VLLM_API_KEY,
 *   VLLM_MODEL, and the other names in README "Configuration") is handed to wrangler through a
 *   private env file (mode 0600, removed on exit), so secrets never appear in `ps`.
 * - No telemetry, no network: WRANGLER_SEND_METRICS=false and CLOUDFLARE_CF_FETCH_ENABLED=false
 *   (shared/notes/toolchain.md "Offline wrangler").
 * - wrangler runs in its own process group; SIGINT/SIGTERM are forwarded to the whole group so
 *   no workerd process is orphaned holding the port.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONFIG_VAR } from './config-vars.mjs'


const port = process.env.PORT ?? '8787'
if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
  console.error(`PORT must be a TCP port number (1-65535), got "${port}"`)
  process.exit(2)
}

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? 'warn',
  CI: process.env.CI ?? 'true', // non-interactive: never prompt
}

const tmpDir = join('.wrangler', 'tmp')
mkdirSync(tmpDir, { recursive: true })
const envFile = join(tmpDir, `start-${process.pid}.env`)
const lines = Object.entries(process.env)
  .filter(([k, v]) => CONFIG_VAR.test(k) && v !== undefined)
  .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
writeFileSync(envFile, lines.join('\n') + '\n', { mode: 0o600 })
const cleanup = () => rmSync(envFile, { force: true })

// The child we are running now (migrations, then the dev server), each in its own process group
// so that a signal to the group reaches wrangler and every workerd it started.
let current = null
let stopping = false

function run(args) {
  current = spawn('wrangler', args, { stdio: 'inherit', env, detached: true })
  return current
}

function wait(child) {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
}

function stop(signal) {
  if (stopping) return
  stopping = true
  const child = current
  if (!child || child.exitCode !== null) {
    cleanup()
    process.exit(0)
  }
  try {
    process.kill(-child.pid, signal) // the whole group: wrangler and its workerd children
  } catch {
    /* already gone */
  }
  // Escalate if the group is still around after a grace period.
  setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }, 5000).unref()
}
process.on('SIGINT', () => stop('SIGINT'))
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGHUP', () => stop('SIGTERM'))
// If whoever started us dies without signalling us (npm killed by SIGKILL, a shell that does not
// forward signals), we are re-parented: take the dev server down with us.
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) stop('SIGTERM')
}, 500).unref()

const migrate = await wait(run(['d1', 'migrations', 'apply', 'DB', '--local']))
if (stopping) {
  cleanup()
  process.exit(0)
}
if (migrate.code !== 0) {
  cleanup()
  console.error('applying local D1 migrations failed')
  process.exit(migrate.code ?? 1)
}

const configured = lines.map((l) => l.split('=')[0]).filter((k) => k !== 'VLLM_API_KEY')
console.log(
  `rerank-edge: serving on http://127.0.0.1:${port} with ${
    process.env.VLLM_URLS ? `vLLM at ${process.env.VLLM_URLS}` : 'the embedded lexical scorer (no VLLM_URLS set)'
  }${configured.length ? ` (config: ${configured.join(', ')})` : ''}`
)

// Access control is open until API_KEYS is configured (env or .dev.vars): say so at start-up.
const devVars = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : ''
if (!process.env.API_KEYS && !/^\s*API_KEYS\s*=/mu.test(devVars)) {
  console.log('rerank-edge: access is OPEN (no API_KEYS configured): every caller is tenant "public" with all scopes')
} else {
  console.log('rerank-edge: access requires an API key (API_KEYS configured)')
}

const dev = run([
  'dev',
  '--ip', '127.0.0.1',
  '--port', port,
  '--show-interactive-dev-session=false',
  '--log-level', process.env.LOG_LEVEL ?? 'warn',
  '--env-file', envFile,
])

const result = await wait(dev)
cleanup()
process.exit(stopping ? 0 : (result.code ?? 1))
