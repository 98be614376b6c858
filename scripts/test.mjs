#!/usr/bin/env node
/**
 * `npm test`: the whole suite (unit, workerd integration, e2e, Chromium browser tests), then the
 * closing line CI reads: `N passed, N failed` (.ci/run; vitest's own summary is not a format CI
 * recognises, so the line is built from vitest's JSON reporter). Test files that fail to load count as
 * failures (vitest's own summary leaves them out); no report at all counts as one failure.
 * Extra arguments are passed to vitest (e.g. `npm test -- --project unit`).
 * The four TypeScript projects are type-checked first (`npm run typecheck`, about 10 s): a type
 * error counts as one failure, so the generated `Env`, the browser code and the `scripts/*.mjs`
 * (checkJs) are checked in CI too.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

let typeErrors = 0
for (const project of ['tsconfig.json', 'tsconfig.node.json', 'tsconfig.client.json', 'tsconfig.scripts.json']) {
  const r = spawnSync('tsc', ['--noEmit', '-p', project], { stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`typecheck failed: ${project}`)
    typeErrors++
  }
}

const report = '.vitest-report.json'
rmSync(report, { force: true })

const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]
const child = spawn('vitest', args, { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' } })
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)))

let passed = 0
let failed = 0
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'))
  passed = r.numPassedTests ?? 0
  failed = r.numFailedTests ?? 0
  for (const file of r.testResults ?? []) {
    // A file that failed to load has no assertion results but status "failed".
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failed++
  }
} else {
  failed = 1
}
if (code !== 0 && failed === 0) failed = 1
failed += typeErrors
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(failed > 0 || code !== 0 ? 1 : 0)
