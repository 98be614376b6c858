#!/usr/bin/env node
/**
 * `npm run deploy`: one command from a Cloudflare account to a running worker.
 *
 *  1. KV namespaces and the D1 database that wrangler.toml declares: found by title/name
 *     (`wrangler kv namespace list`, `wrangler d1 list --json`) and reused, or created
 *     (`wrangler kv namespace create <worker>-<BINDING>`, `wrangler d1 create <name>`).
 *  2. Their ids written into wrangler.deploy.toml (a git-ignored copy of wrangler.toml; the
 *     checked-in file keeps the local placeholders `npm start` uses), with VLLM_URLS / VLLM_MODEL
 *     taken from this command's environment when set.
 *  3. D1 migrations applied remotely (`wrangler d1 migrations apply DB --remote`).
 *  4. `wrangler deploy -c wrangler.deploy.toml`.
 *  5. Which secrets are set and the `wrangler secret put` command for each that is not.
 *
 * `npm run deploy -- --dry-run` calls nothing remote: it prints the plan, writes the deploy config
 * with the ids wrangler.toml has, and runs `wrangler deploy --dry-run --outdir dist` (a full
 * offline bundle of the worker against that config).
 *
 * wrangler is taken from PATH (`npm run` puts node_modules/.bin first); it needs
 * `wrangler login` or CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID) for everything but --dry-run.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { d1IdByName, declaredResources, deployConfigText, jsonArrayIn, kvIdByTitle, SECRETS } from './deploy-config.mjs'

const DEPLOY_CONFIG = 'wrangler.deploy.toml'
const dryRun = process.argv.includes('--dry-run')
const unknown = process.argv.slice(2).filter((a) => a !== '--dry-run')
if (unknown.length > 0) {
  console.error(`usage: npm run deploy [-- --dry-run]   (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CI: process.env.CI ?? 'true', // never prompt
  // Offline for a dry run: no `Request.cf` lookup (developers.cloudflare.com/workers/wrangler/system-environment-variables/).
  ...(dryRun ? { CLOUDFLARE_CF_FETCH_ENABLED: 'false' } : {}),
}
const say = (line) => console.log(`deploy: ${line}`)

/** Runs wrangler; returns stdout, or exits with wrangler's own message when it fails. */
function wrangler(args, { capture = true } = {}) {
  say(`wrangler ${args.join(' ')}`)
  const r = spawnSync('wrangler', args, { env, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit' })
  if (r.error) {
    console.error(`deploy: cannot run wrangler: ${r.error.message}`)
    process.exit(1)
  }
  if (r.status !== 0) {
    if (capture && r.stdout) process.stdout.write(r.stdout)
    console.error(`deploy: wrangler ${args[0]} failed (exit ${r.status})`)
    process.exit(r.status ?? 1)
  }
  return r.stdout ?? ''
}

const source = readFileSync('wrangler.toml', 'utf8')
const declared = declaredResources(source)
const ids = {}

if (dryRun) {
  say('dry run: nothing remote is listed, created, migrated or deployed')
  for (const ns of declared.kv) {
    say(`would reuse or create KV namespace "${ns.title}" (binding ${ns.binding}): wrangler kv namespace list / create ${ns.title}`)
  }
  for (const db of declared.d1) {
    say(`would reuse or create D1 database "${db.name}" (binding ${db.binding}): wrangler d1 list --json / create ${db.name}`)
    say(`would apply migrations: wrangler d1 migrations apply ${db.binding} --remote -c ${DEPLOY_CONFIG}`)
  }
} else {
  const kvListed = jsonArrayIn(wrangler(['kv', 'namespace', 'list']))
  for (const ns of declared.kv) {
    let id = kvIdByTitle(kvListed, ns.title)
    if (id) say(`KV namespace "${ns.title}" exists: ${id}`)
    else {
      wrangler(['kv', 'namespace', 'create', ns.title])
      id = kvIdByTitle(jsonArrayIn(wrangler(['kv', 'namespace', 'list'])), ns.title)
      if (!id) throw new Error(`created KV namespace "${ns.title}" but it is not listed`)
      say(`KV namespace "${ns.title}" created: ${id}`)
    }
    ids[ns.binding] = id
  }
  const d1Listed = jsonArrayIn(wrangler(['d1', 'list', '--json']))
  for (const db of declared.d1) {
    let id = d1IdByName(d1Listed, db.name)
    if (id) say(`D1 database "${db.name}" exists: ${id}`)
    else {
      wrangler(['d1', 'create', db.name])
      id = d1IdByName(jsonArrayIn(wrangler(['d1', 'list', '--json'])), db.name)
      if (!id) throw new Error(`created D1 database "${db.name}" but it is not listed`)
      say(`D1 database "${db.name}" created: ${id}`)
    }
    ids[db.binding] = id
  }
}

// The operator's backend, when given: otherwise wrangler.toml's [vars] (VLLM_URLS = "": lexical).
const vars = {}
for (const name of ['VLLM_URLS', 'VLLM_MODEL']) if (process.env[name]) vars[name] = process.env[name]
writeFileSync(DEPLOY_CONFIG, deployConfigText(source, ids, vars) + '\n')
say(`wrote ${DEPLOY_CONFIG} (${Object.keys(ids).length ? Object.entries(ids).map(([b, id]) => `${b}=${id}`).join(', ') : 'ids as in wrangler.toml'})`)
if (!vars.VLLM_URLS) say('VLLM_URLS not set for this deploy: the worker will serve the embedded lexical scorer (set VLLM_URLS=https://… npm run deploy)')

if (dryRun) {
  wrangler(['deploy', '--dry-run', '--outdir', 'dist', '-c', DEPLOY_CONFIG], { capture: false })
  say('dry run done; secrets to set after a real deploy:')
  for (const [name, why] of SECRETS) say(`  wrangler secret put ${name} -c ${DEPLOY_CONFIG}   # ${why}`)
  process.exit(0)
}

for (const db of declared.d1) wrangler(['d1', 'migrations', 'apply', db.binding, '--remote', '-c', DEPLOY_CONFIG], { capture: false })
wrangler(['deploy', '-c', DEPLOY_CONFIG], { capture: false })

const setNames = new Set(jsonArrayIn(wrangler(['secret', 'list', '-c', DEPLOY_CONFIG])).map((s) => s?.name))
const missing = SECRETS.filter(([name]) => !setNames.has(name))
for (const [name] of SECRETS) if (setNames.has(name)) say(`secret ${name} is set`)
if (missing.length > 0) {
  say('secrets not set (set those you need, then they apply without a redeploy):')
  for (const [name, why] of missing) say(`  wrangler secret put ${name} -c ${DEPLOY_CONFIG}   # ${why}`)
}
say('done')
