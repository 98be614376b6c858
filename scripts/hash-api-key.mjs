#!/usr/bin/env node
/**
 * `npm run hash-key -- <key> [id] [tenant] [--scopes rerank,feedback]` prints one bare line,
 * `API_KEYS='[{"id":…,"hash":"sha256:…","tenant":…,"scopes":[…]}]'`, ready to paste into .dev.vars
 * (or to prefix `npm start` with): SHA-256 is the only form in which a key is stored. Scopes
 * default to "rerank"; `--scopes` takes any of scripts/api-key-scopes.mjs (the worker's list) and
 * refuses others. Everything else (the hash alone, the key made by `--new`) goes to stderr, so
 * `npm run -s hash-key -- … >> .dev.vars` appends the line alone. With no key argument the key is
 * read from stdin (keeps it out of shell history); `--new [id] [tenant]` makes a fresh random key
 * and shows it once. Must match src/auth/key-digest.ts `hashApiKey`: "sha256:" + lowercase hex of
 * SHA-256(UTF-8 key).
 */
import { createHash, randomBytes } from 'node:crypto'
import { parseScopes } from './api-key-scopes.mjs'

const USAGE =
  'usage: npm run hash-key -- <key> [id] [tenant] [--scopes rerank,feedback]   ' +
  '(or the key on stdin; or -- --new [id] [tenant] [--scopes …])'

/** @param {string} key */
const hash = (key) => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`

/** @param {string} message */
function fail(message) {
  console.error(message)
  process.exit(2)
}

/** `--scopes a,b` or `--scopes=a,b` anywhere; the rest are positional. */
const positional = /** @type {string[]} */ ([])
let scopes = ['rerank']
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const arg = /** @type {string} */ (argv[i])
  let list
  if (arg === '--scopes') {
    list = argv[++i]
    if (list === undefined) fail(`--scopes needs a value, e.g. --scopes rerank,feedback\n${USAGE}`)
  } else if (arg.startsWith('--scopes=')) list = arg.slice('--scopes='.length)
  else {
    positional.push(arg)
    continue
  }
  const parsed = parseScopes(/** @type {string} */ (list))
  if (!parsed.ok) fail(parsed.error)
  else scopes = parsed.scopes
}

/**
 * What the worker takes, refused here before the line is pasted (as unknown scopes are): an id or
 * tenant outside src/auth/api-keys.ts `TOKEN` makes the worker refuse API_KEYS (npm start exits 2),
 * and a key outside src/auth/credentials.ts `X_API_KEY` (1 to 512 visible ASCII characters, the
 * wider of the two headers' rules) could never be sent, so it would never match.
 * test/unit/hash-api-key.test.ts checks the edges against the worker's own parser.
 */
const TOKEN = /^[A-Za-z0-9._:-]{1,64}$/u
const SENDABLE_KEY = /^[\x21-\x7e]{1,512}$/u

/**
 * The whole var, in the quoting `.dev.vars` and a POSIX shell both read literally (a JSON string
 * holds no ' here: TOKEN has none).
 * @param {string} key
 * @param {string} id
 * @param {string} tenant
 */
function printEntry(key, id, tenant) {
  if (!TOKEN.test(id)) fail(`id: expected 1-64 characters of A-Z a-z 0-9 . _ : - (the worker refuses any other)\n${USAGE}`)
  if (!TOKEN.test(tenant)) fail(`tenant: expected 1-64 characters of A-Z a-z 0-9 . _ : - (the worker refuses any other)\n${USAGE}`)
  // The key itself is never echoed: it may be a real one.
  if (!SENDABLE_KEY.test(key)) {
    fail('key: expected 1-512 visible ASCII characters (no spaces): no other key can be sent as "Authorization: Bearer <key>" or "X-API-Key: <key>"')
  }
  const entry = { id, hash: hash(key), tenant, scopes }
  console.error(`hash: ${entry.hash}`)
  console.error('paste this line into .dev.vars (or prefix npm start with it):')
  console.log(`API_KEYS='${JSON.stringify([entry])}'`)
}

if (positional[0] === '--new') {
  const [, id = 'k1', tenant = 'default'] = positional
  // 32 random bytes, base64url: a valid RFC 6750 bearer token.
  const key = `rk_${randomBytes(32).toString('base64url')}`
  console.error(`key (shown once, give it to the client): ${key}`)
  printEntry(key, id, tenant)
} else if (positional[0]?.startsWith('-')) {
  fail(`unknown option ${positional[0]}\n${USAGE}`)
} else if (positional[0] !== undefined) {
  printEntry(positional[0], positional[1] ?? 'k1', positional[2] ?? 'default')
} else {
  let input = ''
  process.stdin.setEncoding('utf8')
  for await (const chunk of process.stdin) input += chunk
  const key = input.replace(/\r?\n$/u, '')
  if (!key) fail(USAGE)
  printEntry(key, 'k1', 'default')
}
