/**
 * `npm run hash-key` (scripts/hash-api-key.mjs): one bare `API_KEYS='…'` line on stdout, ready to
 * paste into .dev.vars, whose entry the worker's own API_KEYS parser accepts and whose hash is the
 * worker's; `--scopes` takes exactly the worker's scope list (src/auth/scopes.ts).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs module without types
import { KEY_SCOPES, parseScopes } from '../../scripts/api-key-scopes.mjs'
// @ts-expect-error: a plain .mjs module without types
import { parseDotenv } from '../../scripts/env-file.mjs'
import { apiKeysVar } from '../../src/auth/api-keys'
import { hashApiKey } from '../../src/auth/key-digest'
import { SCOPES } from '../../src/auth/scopes'

const root = join(import.meta.dirname, '../..')
const hashKey = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['scripts/hash-api-key.mjs', ...args], { cwd: root, encoding: 'utf8', input: input ?? '' })
const scopes = parseScopes as (text: string) => { ok: true; scopes: string[] } | { ok: false; error: string }

describe('api-key-scopes', () => {
  it("is the worker's scope list", () => {
    expect(KEY_SCOPES).toEqual([...SCOPES])
  })

  it('parses a comma list, trimmed and deduplicated, and refuses unknown or empty names, naming them', () => {
    expect(scopes('rerank, feedback,rerank')).toEqual({ ok: true, scopes: ['rerank', 'feedback'] })
    const bad = scopes('rerank,feedbak')
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error).toBe('--scopes: unknown scope "feedbak"; the scopes are rerank, experiments, feedback, stats')
    expect(scopes('rerank,').ok).toBe(false)
    expect(scopes('').ok).toBe(false)
  })
})

describe('npm run hash-key', () => {
  it('prints one bare API_KEYS line that .dev.vars reads into an entry the worker accepts', async () => {
    const r = hashKey(['rk_secret', 'dev', 'acme', '--scopes', 'rerank,feedback,stats'])
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1)
    expect(r.stdout).toMatch(/^API_KEYS='\[.*\]'\n$/u)
    const value = (parseDotenv(r.stdout) as Record<string, string>).API_KEYS!
    expect(JSON.parse(value)).toEqual([{ id: 'dev', hash: await hashApiKey('rk_secret'), tenant: 'acme', scopes: ['rerank', 'feedback', 'stats'] }])
    expect(apiKeysVar.safeParse(value).success).toBe(true)
    // The hash is on stderr for whoever wants it; the key never is.
    expect(r.stderr).toContain(await hashApiKey('rk_secret'))
    expect(r.stderr).not.toContain('rk_secret')
  })

  it('defaults to the rerank scope; reads the key from stdin; --scopes=… works too', async () => {
    const r = hashKey(['--scopes=experiments'], 'from-stdin\n')
    expect(r.status).toBe(0)
    expect(JSON.parse((parseDotenv(r.stdout) as Record<string, string>).API_KEYS!)).toEqual([
      { id: 'k1', hash: await hashApiKey('from-stdin'), tenant: 'default', scopes: ['experiments'] },
    ])
    expect(JSON.parse((parseDotenv(hashKey(['k']).stdout) as Record<string, string>).API_KEYS!)[0].scopes).toEqual(['rerank'])
  })

  it('--new shows the new key on stderr only, and stdout holds its entry', async () => {
    const r = hashKey(['--new', 'svc', 'acme'])
    expect(r.status).toBe(0)
    const key = /key \(shown once, give it to the client\): (rk_[\w-]+)/u.exec(r.stderr)?.[1]
    expect(key).toBeDefined()
    expect(r.stdout).not.toContain(key)
    expect(JSON.parse((parseDotenv(r.stdout) as Record<string, string>).API_KEYS!)[0].hash).toBe(await hashApiKey(key!))
  })

  it('refuses an id or tenant the worker would refuse, and a key no client could send, printing no API_KEYS line', async () => {
    // Each would otherwise be pasted into .dev.vars and then refused by the worker's API_KEYS parser
    // (npm start exits 2), or accepted but never matched: a key with a space or past 512 characters
    // fits neither "Authorization: Bearer" nor "X-API-Key" (src/auth/credentials.ts).
    const cases: Array<{ args: string[]; input?: string; names: RegExp }> = [
      { args: ['rk_secret', 'my key'], names: /\bid\b/u },
      { args: ['rk_secret', 'dev', 'acme corp'], names: /tenant/u },
      { args: ['rk_secret', 'x'.repeat(65)], names: /\bid\b/u },
      { args: ['--new', 'dev', 'acme/eu'], names: /tenant/u },
      { args: [], input: 'my secret key\n', names: /key/u },
      { args: ['k'.repeat(513)], names: /key/u },
    ]
    for (const { args, input, names } of cases) {
      const r = hashKey(args, input)
      expect({ args: args.map((a) => a.slice(0, 20)), status: r.status, stdout: r.stdout }).toEqual({ args: args.map((a) => a.slice(0, 20)), status: 2, stdout: '' })
      expect(r.stderr).toMatch(names)
      expect(r.stderr).not.toContain('my secret key')
    }
    // The ids and tenants refused above are ones the worker refuses too.
    const entry = async (id: string, tenant: string) => JSON.stringify([{ id, hash: await hashApiKey('k'), tenant, scopes: ['rerank'] }])
    for (const [id, tenant] of [['my key', 'default'], ['dev', 'acme corp'], ['x'.repeat(65), 'default'], ['dev', 'acme/eu']] as const) {
      expect(apiKeysVar.safeParse(await entry(id, tenant)).success).toBe(false)
    }
    // What the script accepts, the worker accepts (the edges of its id/tenant rule).
    const edge = hashKey(['a.b_c:d-e', 'x'.repeat(64), 'T:1'])
    expect(edge.status).toBe(0)
    expect(apiKeysVar.safeParse((parseDotenv(edge.stdout) as Record<string, string>).API_KEYS!).success).toBe(true)
  })

  it('refuses an unknown scope or option with status 2 and prints no API_KEYS line', () => {
    for (const args of [['k', '--scopes', 'rerank,admin'], ['k', '--scopes'], ['--bogus']]) {
      const r = hashKey(args)
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 2, stdout: '' })
      expect(r.stderr).toMatch(/--scopes|unknown option/u)
    }
  })
})
