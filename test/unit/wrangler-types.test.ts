/**
 * `Env` (src/app-env.ts) is built on worker-configuration.d.ts, which `wrangler types` generates
 * from wrangler.toml. This regenerates it into a scratch file with the same flags (`npm run
 * cf-typegen`) and compares, so a binding or var added to wrangler.toml without regenerating
 * fails here (and `wrangler types --check`, which only compares the config hash in the header,
 * must agree). `--env-file /dev/null` keeps a developer's `.dev.vars` out of the generated types.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = new URL('../..', import.meta.url).pathname
const FLAGS = ['--include-runtime=false', '--strict-vars=false', '--include-main-module=false', '--env-file', '/dev/null']
const wrangler = (args: string[]) =>
  execFileSync(join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
/** Everything after the header comment (which names the output path and the hash). */
const body = (text: string) => text.split('\n').slice(2).join('\n')

describe('worker-configuration.d.ts', () => {
  it('is what `wrangler types` generates from wrangler.toml today', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrangler-types-'))
    try {
      const out = join(dir, 'worker-configuration.d.ts')
      wrangler(['types', out, ...FLAGS])
      const checkedIn = readFileSync(join(root, 'worker-configuration.d.ts'), 'utf8')
      expect(body(checkedIn)).toBe(body(readFileSync(out, 'utf8')))
      expect(checkedIn).toMatch(/interface __BaseEnv_Env \{[^}]*DB: D1Database;/u)
      expect(checkedIn).not.toMatch(/\[key: string\]/u)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('passes `wrangler types --check`', () => {
    expect(wrangler(['types', ...FLAGS, '--check'])).toMatch(/up to date/u)
  }, 60_000)
})
