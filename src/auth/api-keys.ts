/**
 * @module auth/api-keys
 * The `API_KEYS` config var: a JSON array of keys, each stored as its SHA-256 hash only,
 *
 *   [{"id":"k1","hash":"sha256:<64 hex>","tenant":"acme","scopes":["rerank","feedback"],
 *     "rate_limit":{"limit":100,"period":60}}]
 *
 * (`npm run hash-key -- <key>` prints the hash). Parsed once per env by config.ts. A malformed
 * value is a config error (every request 500s, naming the var): it must never fall back to an
 * open deployment. Messages never echo the value, which may hold a pasted plain key.
 */
import { z } from 'zod'
import { SCOPES } from './scopes'

/** Ids and tenants appear in logs, metrics and cache partitions: keep them plain tokens. */
const TOKEN = /^[A-Za-z0-9._:-]{1,64}$/u
const HASH = /^sha256:[0-9a-f]{64}$/u

export interface KeyRateLimit {
  /** Requests allowed per `period` seconds. */
  limit: number
  period: number
}

export interface ApiKey {
  id: string
  tenant: string
  scopes: ReadonlySet<string>
  /** SHA-256 digest of the key (32 bytes), decoded once at config time. */
  digest: Uint8Array
  rateLimit: KeyRateLimit | null
}

const keyEntrySchema = z
  .object({
    id: z.string().regex(TOKEN, 'id: expected 1-64 characters of A-Z a-z 0-9 . _ : -'),
    hash: z.string().regex(HASH, 'hash: expected "sha256:" and 64 lowercase hex digits (npm run hash-key -- <key>)'),
    tenant: z.string().regex(TOKEN, 'tenant: expected 1-64 characters of A-Z a-z 0-9 . _ : -'),
    // Least privilege: a key without scopes may only rerank.
    scopes: z.array(z.enum(SCOPES)).min(1).default(['rerank']),
    rate_limit: z
      .object({
        limit: z.number().int().min(1).max(1_000_000),
        period: z.number().int().min(1).max(86_400),
      })
      .strict()
      .optional(),
  })
  .strict()

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** zod schema for the var: a JSON string (secret / .dev.vars) or an already-parsed array (toml). */
export const apiKeysVar = z
  .union([z.string(), z.array(z.unknown())])
  .default('')
  .transform((value, ctx): unknown => {
    // Unset (or set to nothing) is an open deployment. Set to something that lists no key (`[]`,
    // blanks: an empty `wrangler secret put`) is refused, failing closed: whoever set it meant to
    // close the deployment, and it would otherwise stay open without a word.
    const noKey = () => {
      ctx.addIssue({ code: 'custom', message: 'is set but lists no key; unset it for an open deployment, or add a key (npm run hash-key -- <key>)' })
      return z.NEVER
    }
    if (typeof value !== 'string') return value.length === 0 ? noKey() : value
    if (value === '') return []
    if (value.trim() === '') return noKey()
    let parsed: unknown
    try {
      parsed = JSON.parse(value) as unknown
    } catch {
      // Not the parser's message: V8 quotes a slice of the input, which may be a plain key.
      ctx.addIssue({ code: 'custom', message: 'not valid JSON (expected an array of {id, hash, tenant, scopes})' })
      return z.NEVER
    }
    return Array.isArray(parsed) && parsed.length === 0 ? noKey() : parsed
  })
  .pipe(z.array(keyEntrySchema).max(10_000))
  .transform((entries, ctx): ApiKey[] => {
    const ids = new Set<string>()
    const hashes = new Set<string>()
    for (const [i, e] of entries.entries()) {
      if (ids.has(e.id)) ctx.addIssue({ code: 'custom', message: `[${i}].id: duplicate id "${e.id}"` })
      if (hashes.has(e.hash)) ctx.addIssue({ code: 'custom', message: `[${i}].hash: the same key is configured twice` })
      ids.add(e.id)
      hashes.add(e.hash)
    }
    return entries.map((e) => ({
      id: e.id,
      tenant: e.tenant,
      scopes: new Set<string>(e.scopes),
      digest: hexToBytes(e.hash.slice('sha256:'.length)),
      rateLimit: e.rate_limit ?? null,
    }))
  })
