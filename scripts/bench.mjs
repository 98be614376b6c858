#!/usr/bin/env node
/**
 * `npm run bench`: runs every `bench/*.bench.ts` (each a script, not a test), in name order or
 * only those named as arguments (`npm run bench -- rerank-cpu`). Each writes its section to
 * `bench/results/<name>.md`; this script then assembles BENCHMARKS.md from all sections.
 * Load runs are bounded and loopback-only.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { buildUi } from './build-ui.mjs'

// Benches that bundle the worker themselves (Miniflare in bench/lib/worker-under-test.ts) need the
// pages' generated browser code, which wrangler and vitest otherwise build (scripts/build-ui.mjs).
await buildUi()

const only = process.argv.slice(2)
const benches = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))

let failed = 0
for (const file of benches) {
  console.log(`\n=== bench/${file} ===`)
  const r = spawnSync('tsx', [`bench/${file}`], { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' } })
  if (r.status !== 0) {
    failed++
    console.error(`bench/${file} failed (exit ${r.status})`)
  }
}

const sections = existsSync('bench/results')
  ? readdirSync('bench/results').filter((f) => f.endsWith('.md')).sort()
  : []
const header = `# Benchmarks

Every figure is measured on loopback on the development machine (2 cores, often shared with other
test runs: each section says when it was taken and how busy the machine was), as a **ratio or
difference against a baseline measured in the same run**, as the median of several runs with the
spread (min–max) in brackets; where wall time is distorted by the shared cores, process CPU time per
request is given beside it. Each section names the command that produced it and is only as current
as its date. Regenerate all with \`npm run bench\` (or one with \`npm run bench -- <name>\`).
`
writeFileSync(
  'BENCHMARKS.md',
  header + sections.map((f) => '\n' + readFileSync(`bench/results/${f}`, 'utf8').trim() + '\n').join('')
)
console.log(`\nBENCHMARKS.md assembled from ${sections.length} section(s)`)
process.exit(failed ? 1 : 0)
