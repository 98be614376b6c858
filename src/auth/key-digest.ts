/**
 * @module auth/key-digest
 * Hashing and comparing API keys. Only SHA-256 digests are stored and compared.
 *
 * Why constant time: a byte-by-byte `===` stops at the first difference, so its duration tells an
 * attacker how many leading bytes of their guess were right, and they can then guess one byte at a
 * time. Hashing first already takes the compared bytes out of the attacker's control (they would
 * need SHA-256 preimages to steer a prefix), and comparing the fixed-length digests with an XOR
 * accumulator that always visits all 32 bytes, against every configured key, removes what is left:
 * the time depends only on the number of configured keys, never on the presented key or on which
 * key (if any) matched. (Same reasoning as Node's `crypto.timingSafeEqual` and Hono's
 * `timingSafeEqual`, which also hashes before comparing.)
 */
import type { ApiKey } from './api-keys'

const encoder = new TextEncoder()

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/** The `hash` value of API_KEYS for a plain key. */
export async function hashApiKey(key: string): Promise<string> {
  return `sha256:${toHex(await sha256(key))}`
}

/** Compares two equal-length digests in time independent of their contents. */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false // lengths are public (always 32 here)
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

/** Finds the key whose digest matches, visiting every key whatever the outcome. */
export function findKeyByDigest(keys: readonly ApiKey[], digest: Uint8Array): ApiKey | null {
  let found: ApiKey | null = null
  for (const key of keys) {
    const match = digestsEqual(key.digest, digest)
    // No early exit: keep scanning so the position of the match is not observable.
    if (match && found === null) found = key
  }
  return found
}
