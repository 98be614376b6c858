#!/usr/bin/env node
/**
 * `npm run deploy`: one command from a Cloudflare account to a running worker.
 *
 *  1. KV namespaces and the D1 database that wrangler.toml declares: found by title/name
 *     (`wrangler kv namespace list`, `wrangler d1 list --json`) and reused, or created
 *     (`wrangler kv namespace create <worker>-<BINDING>`, `wrangler d1 create <name>`).
 *  2. Their ids written into wrangler.deploy.toml (a git-ignored copy of wrangler.toml; the
 *     checked-in file keeps the local placeholders `npm start` uses), with the `[vars]` of the last
 *     deploy kept and every config var set in this command's environment (VLLM_URLS, VLLM_MODEL,
 *     MAX_DOCUMENTS, …; the names `npm start` passes, scripts/config-vars.mjs) set over them. A
 *     redeploy therefore never drops the GPU backend; `--lexical` empties VLLM_URLS on purpose.
 *  3. Access: a deploy without API_KEYS (in this environment, or already set on the worker) would
 *     be open to the internet with every scope, so it is refused unless `--allow-open` says so.
 *     Secrets in this environment (API_KEYS, VLLM_API_KEY, VLLM_ACCESS_CLIENT_ID/_SECRET) are
 *     uploaded with the new version (`wrangler deploy --secrets-file`, a private temporary file),
 *     so the worker is never live without them and the two Access values arrive together.
 *  4. D1 migrations applied remotely (`wrangler d1 migrations apply DB --remote`).
 *  5. `wrangler deploy -c wrangler.deploy.toml`, then which secrets are set.
 *
 * `npm run deploy -- --dry-run` calls nothing remote: it prints the plan, writes wrangler.dry.toml
 * (the ids wrangler.toml has; wrangler.deploy.toml is left as the last real deploy wrote it), runs
 * `wrangler deploy --dry-run --outdir dist` (a full offline bundle of the worker against that
 * config) and checks the bundle against the Workers size limits.
 *
 * wrangler is taken from PATH (`npm run` puts node_modules/.bin first); it needs
 * `wrangler login` or CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID) for everything but --dry-run.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { CONFIG_VAR } from './config-vars.mjs'
import { backendUrlProblems, d1IdByName, declaredResources, deployConfigText, deployVars, jsonArrayIn, kvIdByTitle, SECRETS } from './deploy-config.mjs'

const DEPLOY_CONFIG = 'wrangler.deploy.toml'
const DRY_CONFIG = 'wrangler.dry.toml'
const FLAGS = ['--dry-run', '--allow-open', '--lexical']
const dryRun = process.argv.includes('--dry-run')
const allowOpen = process.argv.includes('--allow-open')
const lexical = process.argv.includes('--lexical')
const unknown = process.argv.slice(2).filter((a) => !FLAGS.includes(a))
if (unknown.length > 0) {
  console.error(`usage: npm run deploy [-- --dry-run] [--allow-open] [--lexical]   (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}
/** Workers script size limits, gzip-compressed (developers.cloudflare.com/workers/platform/limits, "Worker size"). */
const FREE_PLAN_BYTES = 3 * 1024 * 1024
const PAID_PLAN_BYTES = 10 * 1024 * 1024

const SECRET_NAMES = new Set(SECRETS.map(([name]) => name))
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CI: process.env.CI ?? 'true', // never prompt
  // Offline for a dry run: no `Request.cf` lookup (developers.cloudflare.com/workers/wrangler/system-environment-variables/).
  ...(dryRun ? { CLOUDFLARE_CF_FETCH_ENABLED: 'false' } : {}),
}
/** @param {string} line */
const say = (line) => console.log(`deploy: ${line}`)
/** @param {string} line */
const fail = (line) => {
  console.error(`deploy: ${line}`)
  process.exit(1)
}

/**
 * Runs wrangler; returns stdout, or exits with wrangler's own message when it fails (unless `tolerate`).
 * @overload
 * @param {string[]} args
 * @param {{ capture?: boolean, tolerate?: false }} [options]
 * @returns {string} stdout (or '' when not captured): a failure exits
 */
/**
 * `tolerate`: a failure returns undefined instead of exiting.
 * @overload
 * @param {string[]} args
 * @param {{ capture?: boolean, tolerate: boolean }} options
 * @returns {string | undefined}
 */
/**
 * @param {string[]} args
 * @param {{ capture?: boolean, tolerate?: boolean }} [options]
 * @returns {string | undefined}
 */
function wrangler(args, { capture = true, tolerate = false } = {}) {
  say(`wrangler ${args.join(' ')}`)
  const r = spawnSync('wrangler', args, { env, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', tolerate ? 'pipe' : 'inherit'] : 'inherit' })
  if (r.error) fail(`cannot run wrangler: ${r.error.message}`)
  if (r.status !== 0) {
    if (tolerate) return undefined
    if (capture && r.stdout) process.stdout.write(r.stdout)
    fail(`wrangler ${args[0]} failed (exit ${r.status})`)
  }
  return r.stdout ?? ''
}

const source = readFileSync('wrangler.toml', 'utf8')
const declared = declaredResources(source)
/** Binding → id of each resource, as found or created. @type {Record<string, string>} */
const ids = {}
/**
 * The account's KV namespaces and D1 databases, listed once (again after a create).
 * @type {{ kv?: import('./deploy-config.mjs').KvNamespaceListed[], d1?: import('./deploy-config.mjs').D1DatabaseListed[] }}
 */
const inAccount = {}

// ── vars: the last deploy's, then this environment's ────────────────────────────────────────────
const previous = !dryRun && existsSync(DEPLOY_CONFIG) ? readFileSync(DEPLOY_CONFIG, 'utf8') : undefined
// The filter keeps only defined values.
const given = /** @type {Record<string, string>} */ (
  Object.fromEntries(Object.entries(process.env).filter(([k, v]) => CONFIG_VAR.test(k) && !SECRET_NAMES.has(k) && v !== undefined && v !== ''))
)
const { vars, kept } = deployVars(source, previous, given)
if (lexical) vars.VLLM_URLS = ''
if (kept.length > 0) say(`kept from the last deploy: ${kept.join(', ')} (set them to change them)`)
const urlProblems = backendUrlProblems(vars.VLLM_URLS ?? '')
for (const p of urlProblems.warnings) say(`warning: ${p}`)
if (urlProblems.errors.length > 0) fail(`${urlProblems.errors.join('; ')}`)

// ── secrets given in this environment: uploaded with the version ────────────────────────────────
/** @type {Record<string, string>} */
const secrets = {}
for (const [name] of SECRETS) {
  const value = name === undefined ? undefined : process.env[name]
  if (name !== undefined && value !== undefined && value !== '') secrets[name] = value
}

if (dryRun) {
  say('dry run: nothing remote is listed, created, migrated or deployed')
  for (const ns of declared.kv) {
    say(`would reuse or create KV namespace "${ns.title}" (binding ${ns.binding}): wrangler kv namespace list / create ${ns.title}`)
  }
  for (const db of declared.d1) {
    say(`would reuse or create D1 database "${db.name}" (binding ${db.binding}): wrangler d1 list --json / create ${db.name}`)
    say(`would apply migrations: wrangler d1 migrations apply ${db.binding} --remote -c ${DEPLOY_CONFIG}`)
  }
  writeFileSync(DRY_CONFIG, deployConfigText(source, ids, vars) + '\n')
  say(`wrote ${DRY_CONFIG} (ids as in wrangler.toml; ${DEPLOY_CONFIG} is left as the last deploy wrote it)`)
  if (!vars.VLLM_URLS) say('VLLM_URLS not set: the worker would serve the embedded lexical scorer')
  wrangler(['deploy', '--dry-run', '--outdir', 'dist', '-c', DRY_CONFIG], { capture: false })
  const gzipBytes = bundleGzipBytes('dist')
  const size = `${(gzipBytes / 1024 / 1024).toFixed(2)} MiB gzip-compressed`
  if (gzipBytes > PAID_PLAN_BYTES) fail(`the bundle is ${size}, over the 10 MiB a Worker may have on the Paid plan`)
  say(gzipBytes > FREE_PLAN_BYTES ? `warning: the bundle is ${size}, over the Free plan's 3 MiB (the Paid plan allows 10 MiB)` : `bundle: ${size}, within the Free plan's 3 MiB`)
  say(
    secrets.API_KEYS !== undefined
      ? 'API_KEYS is in this environment: a real deploy uploads it with the worker'
      : 'API_KEYS is not in this environment: a real deploy refuses unless it is already set on the worker, or --allow-open'
  )
  process.exit(0)
}

if (secrets.VLLM_ACCESS_CLIENT_ID !== undefined || secrets.VLLM_ACCESS_CLIENT_SECRET !== undefined) {
  if (secrets.VLLM_ACCESS_CLIENT_ID === undefined || secrets.VLLM_ACCESS_CLIENT_SECRET === undefined) {
    fail('set both VLLM_ACCESS_CLIENT_ID and VLLM_ACCESS_CLIENT_SECRET for this deploy (the worker refuses one without the other)')
  }
}

// Before anything is created: would the worker be open? (`secret list` fails for a worker that does not exist yet.)
const listed = wrangler(['secret', 'list', '-c', 'wrangler.toml'], { tolerate: true })
const alreadySet = new Set(
  listed === undefined ? [] : /** @type {Array<import('./deploy-config.mjs').SecretListed | null>} */ (jsonArrayIn(listed)).map((s) => s?.name)
)
if (secrets.API_KEYS === undefined && !alreadySet.has('API_KEYS')) {
  if (!allowOpen) {
    fail(
      'API_KEYS is neither in this environment nor set on the worker: deployed, it would answer anyone with every scope ' +
        '(stats, experiments). Run API_KEYS=\'[…]\' npm run deploy (the entries `npm run hash-key -- <key>` prints, in a JSON array; ' +
        'uploaded with the worker), or npm run deploy -- --allow-open for a public deployment.'
    )
  }
  say('warning: --allow-open: the worker will be OPEN to anyone, with every scope (set API_KEYS to close it)')
}

for (const ns of declared.kv) {
  let id = kvIdByTitle(kvListed(), ns.title)
  if (id) say(`KV namespace "${ns.title}" exists: ${id}`)
  else {
    wrangler(['kv', 'namespace', 'create', ns.title])
    id = kvIdByTitle(kvListed(true), ns.title)
    if (!id) throw new Error(`created KV namespace "${ns.title}" but it is not listed`)
    say(`KV namespace "${ns.title}" created: ${id}`)
  }
  ids[ns.binding] = id
}
for (const db of declared.d1) {
  // Without a name there is nothing to find or create (wrangler would be asked for a database
  // literally called "undefined").
  if (db.name === undefined) throw new Error(`wrangler.toml: the [[d1_databases]] entry bound as ${db.binding} has no database_name`)
  let id = d1IdByName(d1Listed(), db.name)
  if (id) say(`D1 database "${db.name}" exists: ${id}`)
  else {
    wrangler(['d1', 'create', db.name])
    id = d1IdByName(d1Listed(true), db.name)
    if (!id) throw new Error(`created D1 database "${db.name}" but it is not listed`)
    say(`D1 database "${db.name}" created: ${id}`)
  }
  ids[db.binding] = id
}

writeFileSync(DEPLOY_CONFIG, deployConfigText(source, ids, vars) + '\n')
say(`wrote ${DEPLOY_CONFIG} (${Object.entries(ids).map(([b, id]) => `${b}=${id}`).join(', ')})`)
if (!vars.VLLM_URLS) say('VLLM_URLS is empty: the worker will serve the embedded lexical scorer (set VLLM_URLS=https://… npm run deploy)')

for (const db of declared.d1) wrangler(['d1', 'migrations', 'apply', db.binding, '--remote', '-c', DEPLOY_CONFIG], { capture: false })
const secretNames = Object.keys(secrets)
if (secretNames.length === 0) wrangler(['deploy', '-c', DEPLOY_CONFIG], { capture: false })
else {
  // Private file, removed whatever happens: wrangler reads it and uploads the values with the version.
  const dir = mkdtempSync(join(tmpdir(), 'rerank-edge-secrets-'))
  const file = join(dir, 'secrets.json')
  try {
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 })
    say(`uploading ${secretNames.join(', ')} with the worker`)
    wrangler(['deploy', '-c', DEPLOY_CONFIG, '--secrets-file', file], { capture: false })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const setNames = new Set(
  /** @type {Array<import('./deploy-config.mjs').SecretListed | null>} */ (jsonArrayIn(wrangler(['secret', 'list', '-c', DEPLOY_CONFIG]))).map((s) => s?.name)
)
const missing = SECRETS.filter(([name]) => !setNames.has(name))
for (const [name] of SECRETS) if (setNames.has(name)) say(`secret ${name} is set`)
if (missing.length > 0) {
  say('secrets not set (set those you need: NAME=… npm run deploy uploads them with the worker; or, one at a time, they apply without a redeploy):')
  for (const [name, why] of missing) say(`  npx wrangler secret put ${name} -c ${DEPLOY_CONFIG}   # ${why}`)
}
say('done')

function kvListed(fresh = false) {
  if (fresh || inAccount.kv === undefined) inAccount.kv = /** @type {import('./deploy-config.mjs').KvNamespaceListed[]} */ (jsonArrayIn(wrangler(['kv', 'namespace', 'list'])))
  return inAccount.kv
}
function d1Listed(fresh = false) {
  if (fresh || inAccount.d1 === undefined) inAccount.d1 = /** @type {import('./deploy-config.mjs').D1DatabaseListed[]} */ (jsonArrayIn(wrangler(['d1', 'list', '--json'])))
  return inAccount.d1
}

/**
 * The gzip-compressed size of every file wrangler wrote to `dir` (what the size limit counts, approximately).
 * @param {string} dir
 * @returns {number}
 */
function bundleGzipBytes(dir) {
  let total = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) total += bundleGzipBytes(path)
    else if (!name.endsWith('.map')) total += gzipSync(readFileSync(path)).length
  }
  return total
}
