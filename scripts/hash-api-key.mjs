#!/usr/bin/env node
/**
 * `npm run hash-key -- <key> [id] [tenant]` prints the `hash` of an API_KEYS entry (SHA-256, the
 * only form in which a key is stored) and a ready-to-paste API_KEYS value holding that entry
 * (scope "rerank"; add "experiments", "feedback", "stats" as needed). `npm run hash-key` with no
 * argument reads the key from stdin (keeps it out of shell history); `npm run hash-key -- --new
 * [id] [tenant]` makes a fresh random key and prints it once, with the same entry.
 * Must match src/auth/key-digest.ts `hashApiKey`: "sha256:" + lowercase hex of SHA-256(UTF-8 key).
 */
import { createHash, randomBytes } from 'node:crypto'

/** @param {string} key */
const hash = (key) => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`
const args = process.argv.slice(2)

/**
 * The entry, and the whole var in the quoting `.dev.vars` and a POSIX shell both read literally.
 * @param {string} key
 * @param {string} [id]
 * @param {string} [tenant]
 */
function printEntry(key, id = 'k1', tenant = 'default') {
  const entry = { id, hash: hash(key), tenant, scopes: ['rerank'] }
  console.log(`hash: ${entry.hash}`)
  console.log(`API_KEYS entry: ${JSON.stringify(entry)}`)
  console.log(`paste into .dev.vars (or prefix npm start with it): API_KEYS='${JSON.stringify([entry])}'`)
}

if (args[0] === '--new') {
  const [, id = 'k1', tenant = 'default'] = args
  // 32 random bytes, base64url: a valid RFC 6750 bearer token.
  const key = `rk_${randomBytes(32).toString('base64url')}`
  console.log(`key (shown once, give it to the client): ${key}`)
  printEntry(key, id, tenant)
} else if (args[0] !== undefined) {
  printEntry(args[0], args[1], args[2])
} else {
  let input = ''
  process.stdin.setEncoding('utf8')
  for await (const chunk of process.stdin) input += chunk
  const key = input.replace(/\r?\n$/u, '')
  if (!key) {
    console.error('usage: npm run hash-key -- <key> [id] [tenant]   (or the key on stdin; or -- --new [id] [tenant])')
    process.exit(2)
  }
  printEntry(key)
}
