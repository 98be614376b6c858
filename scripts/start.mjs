/**
 * `npm start`: apply local D1 migrations, then serve the worker with `wrangler dev` on
 * 127.0.0.1:$PORT (default 8787), offline and unattended.
 *
 * - Config: `.dev.vars` (if present) merged with the environment's config vars (every name in
 *   scripts/config-vars.mjs; the environment wins) into one private env file (mode 0600, removed on
 *   exit) that wrangler reads with `--env-file`, so secrets never appear in `ps`. wrangler itself
 *   skips `.dev.vars` when `--env-file` is given, hence the merge; the file is written so that
 *   wrangler's dotenv reader gives back every value byte for byte (scripts/env-file.mjs).
 * - Truthful start-up: a port someone already holds is refused before anything starts
 *   (scripts/port-in-use.mjs). After wrangler starts, GET /healthz until the worker answers, then
 *   print what it really enforces (its `auth` and `backend` fields) and "ready on
 *   http://127.0.0.1:PORT"; or, when the worker refuses its configuration, that error, and stop
 *   with exit status 2, never printing "ready" (scripts/start-banner.mjs).
 * - One structured JSON log line per request (the worker's access log; LOG_REQUESTS=false silences
 *   it). wrangler runs at `--log-level log` (LOG_LEVEL overrides: `warn` shows warnings and errors
 *   only) and its own request lines are dropped unless LOG_LEVEL is set.
 * - No telemetry, no network: WRANGLER_SEND_METRICS=false and CLOUDFLARE_CF_FETCH_ENABLED=false
 *   (developers.cloudflare.com/workers/wrangler/system-environment-variables/; without the second,
 *   wrangler looks up a Cloudflare host for `Request.cf` on start).
 * - wrangler runs in its own process group; SIGINT/SIGTERM are forwarded to the whole group so
 *   no workerd process is orphaned holding the port.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildEnvFile, parseDotenv, unreadDotenvLines } from './env-file.mjs'
import { bannerLines } from './start-banner.mjs'
import { CONFIG_VAR } from './config-vars.mjs'
import { portInUse } from './port-in-use.mjs'

const port = process.env.PORT ?? '8787'
if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
  console.error(`PORT must be a TCP port number (1-65535), got "${port}"`)
  process.exit(2)
}
if (await portInUse(Number(port), '127.0.0.1')) {
  console.error(
    `rerank-edge: port ${port} is in use on 127.0.0.1 (another npm start, or another server); ` +
      `stop it, or pick another port: PORT=${port === '8787' ? '8788' : '8787'} npm start`
  )
  process.exit(1)
}

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? 'warn',
  CI: process.env.CI ?? 'true', // non-interactive: never prompt
  // wrangler must read our env file and nothing else: not the whole process environment.
  CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
  CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
}

const devVarsText = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : ''
const devVars = parseDotenv(devVarsText)
const unread = unreadDotenvLines(devVarsText)
if (unread.length > 0) {
  // dotenv (wrangler's reader, parseDotenv) skips such lines without a word; a dropped API_KEYS
  // line would leave access open. Line numbers only: the line may hold a secret.
  console.error(
    `rerank-edge: .dev.vars ${unread.length === 1 ? 'line' : 'lines'} ${unread.join(', ')} ignored: not NAME=value ` +
      "(nor a comment, nor part of a quoted value); contents not shown. Quote a value that spans lines: NAME='…'"
  )
}
// The filter keeps only defined values.
const fromEnv = /** @type {Record<string, string>} */ (
  Object.fromEntries(Object.entries(process.env).filter(([k, v]) => CONFIG_VAR.test(k) && v !== undefined))
)
const { text, names, unencodable } = buildEnvFile(devVars, fromEnv)
if (unencodable.length > 0) {
  // dotenv (wrangler's reader) has no quoting for these; changing them silently would be worse.
  console.error(
    `rerank-edge: cannot pass ${unencodable.join(', ')} to wrangler: dotenv (wrangler's reader) has no form ` +
      'for a value holding both \' and ` (or a carriage return) together with " or a literal \\n. Change the value.'
  )
  process.exit(2)
}
const tmpDir = join('.wrangler', 'tmp')
mkdirSync(tmpDir, { recursive: true })
const envFile = join(tmpDir, `start-${process.pid}.env`)
writeFileSync(envFile, text, { mode: 0o600 })
const cleanup = () => rmSync(envFile, { force: true })

// The child we are running now (migrations, then the dev server), each in its own process group
// so that a signal to the group reaches wrangler and every workerd it started.
/** @type {import('node:child_process').ChildProcess | null} */
let current = null
let stopping = false
/** The exit status once stopped: 0 for a signal from the user, 2 for a refused configuration. */
let stopStatus = 0
/** Why the start-up was refused: printed last, after wrangler's own output of the refusal. */
/** @type {string[]} */
let refusal = []

/** Removes the env file, says why we refused (if we did) and exits. @param {number} code @returns {never} */
function exit(code) {
  cleanup()
  for (const line of refusal) console.error(line)
  process.exit(code)
}

/** @param {string[]} args @param {(line: string) => boolean} [filter] lines to drop from wrangler's output */
function run(args, filter) {
  const child = spawn('wrangler', args, { stdio: filter ? ['inherit', 'pipe', 'pipe'] : 'inherit', env, detached: true })
  current = child
  if (filter && child.stdout && child.stderr) {
    forwardLines(child.stdout, process.stdout, filter)
    forwardLines(child.stderr, process.stderr, filter)
  }
  return child
}

/**
 * Copies `from` to `to` line by line, dropping the lines `drop` matches.
 * @param {import('node:stream').Readable} from
 * @param {import('node:stream').Writable} to
 * @param {(line: string) => boolean} drop
 */
function forwardLines(from, to, drop) {
  let pending = ''
  from.setEncoding('utf8')
  from.on('data', (/** @type {string} */ chunk) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) if (!drop(line)) to.write(line + '\n')
  })
  from.on('end', () => {
    if (pending && !drop(pending)) to.write(pending)
  })
}

// wrangler's own per-request line ("[wrangler:info] GET /healthz 200 OK (9ms)") next to the
// worker's structured one would make two lines per request; LOG_LEVEL set explicitly keeps it.
const WRANGLER_REQUEST_LINE = /^(?:\x1b\[[0-9;]*m)*\[wrangler:info\](?:\x1b\[[0-9;]*m)* [A-Z]+ \S+ \d{3} /u
// wrangler's "Ready on …" comes when it listens, before the worker has answered once; ours (after
// GET /healthz answers) is the one to wait for, so theirs is dropped too.
const WRANGLER_READY_LINE = /^(?:\x1b\[[0-9;]*m)*\[wrangler:info\](?:\x1b\[[0-9;]*m)* Ready on /u
/** @type {(line: string) => boolean} */
const dropLine =
  process.env.LOG_LEVEL === undefined ? (line) => WRANGLER_REQUEST_LINE.test(line) || WRANGLER_READY_LINE.test(line) : () => false

/**
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} how it exited
 */
function wait(child) {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
}

/** @param {NodeJS.Signals} signal forwarded to the child's process group */
function stop(signal) {
  if (stopping) return
  stopping = true
  const child = current
  if (!child || child.exitCode !== null || child.pid === undefined) exit(stopStatus)
  const group = -child.pid
  try {
    process.kill(group, signal) // the whole group: wrangler and its workerd children
  } catch {
    /* already gone */
  }
  // Escalate if the group is still around after a grace period.
  setTimeout(() => {
    try {
      process.kill(group, 'SIGKILL')
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
if (stopping) exit(stopStatus)
if (migrate.code !== 0) {
  cleanup()
  console.error('applying local D1 migrations failed')
  process.exit(migrate.code ?? 1)
}

/** @param {string} name */
const sourceOf = (name) => (name in fromEnv ? 'environment' : '.dev.vars')
const configured = names.filter((k) => k !== 'VLLM_API_KEY').map((k) => `${k} (${sourceOf(k)})`)

const dev = run([
  'dev',
  '--ip', '127.0.0.1',
  '--port', port,
  '--show-interactive-dev-session=false',
  // "log" is the level at which wrangler prints the worker's console.log (the access log).
  '--log-level', process.env.LOG_LEVEL ?? 'log',
  '--env-file', envFile,
], dropLine)

/**
 * Asks the worker what it enforces, once it answers: the banner states facts, not guesses. A
 * worker that refuses its configuration (a 500 naming the var) stops the start-up: its error is
 * printed and we exit 2 without a "ready" line. An answer without a JSON body (not the worker's)
 * is asked again for a few seconds before it counts as a refusal too.
 */
async function announce() {
  const url = `http://127.0.0.1:${port}`
  let strangeAnswers = 0
  for (;;) {
    if (stopping || dev.exitCode !== null) return
    let res
    try {
      res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })
    } catch {
      await new Promise((r) => setTimeout(r, 200))
      continue
    }
    const health = await res.json().catch(() => null)
    if ((!health || typeof health !== 'object') && ++strangeAnswers < 10) {
      await new Promise((r) => setTimeout(r, 500))
      continue
    }
    const { ready, lines } = bannerLines({
      status: res.status,
      health,
      url,
      configured,
      apiKeysSource: sourceOf('API_KEYS'),
      vllmUrls: fromEnv.VLLM_URLS ?? devVars.VLLM_URLS,
    })
    if (stopping) return
    if (ready) {
      for (const line of lines) console.log(line)
    } else {
      refusal = lines
      stopStatus = 2
      stop('SIGTERM')
    }
    return
  }
}
void announce()

const result = await wait(dev)
exit(stopping ? stopStatus : (result.code ?? 1))
