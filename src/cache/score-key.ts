/**
 * @module score-key
 * Per-pair score cache keys. Pure (hashing only: no I/O, no clock).
 *
 * A key names exactly what decides a score and nothing else:
 *
 *   scope     = JSON.stringify([SCORE_KEY_SCHEMA, namespace, backend, model, modelRevision,
 *                               promptFormat, instruction, query, budget])
 *   digest(d) = SHA-256( hex(SHA-256(scope)) + "\n" + d )
 *
 * The edge tier (KV) stores every pair of a scope under one key, "b1:" + hex(SHA-256(scope)),
 * each record named by the first 16 bytes of digest(d) (`score-bucket`); the memory tier and
 * single-flight key on the scope digest and the document string itself (`score-with-cache`).
 * In text a pair key is "s1:" + base64url(digest(d)).
 *
 * - The scope is a JSON *array* of strings: every part is quoted and escaped, so no two different
 *   part lists serialise alike ("a","bc" ≠ "ab","c"), and field order is fixed by this code, not by
 *   the request. The request's shape (Cohere v1/v2, Jina, vLLM), its JSON formatting, `top_n`,
 *   `return_documents` and document ids never reach the key: only the rendered values do.
 * - The document part follows a fixed-length (64 hex chars) digest and a separator, so the split
 *   is unambiguous without escaping the (possibly long) document.
 * - Two-level hashing lets a request hash its shared material (instruction + query, up to
 *   ~10 KB) once instead of once per candidate, and the 64-character digest is exactly one SHA-256
 *   block, so the per-document hashes all start from one precomputed state. Short texts are hashed
 *   by plain-JS SHA-256 (`sha256.ts`): in workerd one `crypto.subtle.digest` call costs about as
 *   much as hashing 500–1,000 characters in JS, so per-call overhead, not hashing, dominated short
 *   passages; longer ones go to `crypto.subtle` (`bench/cache-key.bench.ts` measures both; the
 *   tests check the JS hash against `crypto.subtle` and node:crypto). A collision of the outer
 *   SHA-256 is needed to confuse two pairs.
 * - Text is hashed as WTF-8: UTF-8 for well-formed text, and for a lone surrogate bytes no
 *   well-formed text has. TextEncoder would write U+FFFD for it, and the edge tier would then serve
 *   the score of the U+FFFD text for a different text, while the memory tier (keyed by the UTF-16
 *   string) told them apart. The vLLM scorer's `prepare` already replaces lone surrogates by U+FFFD
 *   (backends/vllm/well-formed-text.ts: vLLM's tokenizer refuses them), so that is what is keyed
 *   there; WTF-8 keeps both tiers exact for any scorer that does not.
 * - `documents` are what the scorer's `prepare` returns (ScoreRequest): metadata folded and
 *   control tokens neutralised, *before* the token budget cuts them, so a hit never pays for the
 *   budget; the budget (context length, the caller's `max_tokens_per_doc`) is in the scope
 *   instead, and the cut is a pure function of the scope and the document. A change of folding
 *   rules or of the budget therefore changes the key; `instruction` is the rendered
 *   one (templates resolved). The served model, the operator's MODEL_REVISION and the prompt
 *   format version (PROMPT_FORMAT_VERSION) invalidate everything by key when they change.
 * - The namespace (tenant, plus the optional X-Cache-Namespace) partitions tenants: a tenant can
 *   never read a score another computed, even for the same text.
 */

import { sha256, sha256Continue, sha256Midstate, wtf8Bytes } from './sha256'

/** Bump when the scope layout or the key derivation changes; old keys then simply miss. */
export const SCORE_KEY_SCHEMA = 'rerank-edge/score-key/v2'

/** Visible prefix of a pair key in text (46 bytes in all). */
export const SCORE_KEY_PREFIX = 's1:'

/** Prefix of the edge tier's per-scope keys (KV keys are limited to 512 bytes; these are 67). */
export const SCORE_BUCKET_PREFIX = 'b1:'

export interface ScoreKeyScope {
  /** Tenant partition (`tenant` or `tenant/namespace`). */
  namespace: string
  /** What produced the score ('vllm'); part of the key so no other scorer's answer can match. */
  backend: string
  /** The served model name. */
  model: string
  /** The operator's revision of the served weights / scoring config (MODEL_REVISION). */
  modelRevision: string
  /** The prompt format version (PROMPT_FORMAT_VERSION). */
  promptFormat: string
  /** The rendered instruction. */
  instruction: string
  query: string
  /**
   * The scorer's token budget (`DocumentBudget.key`, '' when it has none): documents are keyed
   * before they are fitted to the context, so how they will be cut is part of the scope.
   */
  budget: string
}

/** The canonical, versioned description of everything a score depends on except the document. */
export function canonicalScope(scope: ScoreKeyScope): string {
  return JSON.stringify([
    SCORE_KEY_SCHEMA,
    scope.namespace,
    scope.backend,
    scope.model,
    scope.modelRevision,
    scope.promptFormat,
    scope.instruction,
    scope.query,
    scope.budget,
  ])
}

/** WTF-8, not TextEncoder's UTF-8: a lone surrogate must not hash like its U+FFFD twin (sha256.ts). */
async function sha256Subtle(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', wtf8Bytes(text)))
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += HEX[b] as string
  return s
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out += B64URL[n >>> 18]! + B64URL[(n >>> 12) & 63]! + B64URL[(n >>> 6) & 63]! + B64URL[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = (bytes[i] as number) << 16
    out += B64URL[n >>> 18]! + B64URL[(n >>> 12) & 63]!
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
    out += B64URL[n >>> 18]! + B64URL[(n >>> 12) & 63]! + B64URL[(n >>> 6) & 63]!
  }
  return out
}

/**
 * Up to this many UTF-16 units a text is hashed in JS, above it with `crypto.subtle`: in workerd a
 * `crypto.subtle.digest` call costs ~5–8 µs whatever the length up to a few KB, while JS SHA-256
 * costs ~3 µs at 150 characters, ~6 at 500 and ~7 at 1,000 (bench/results/cache-key.md); the
 * crossover is between 500 and 1,000. Both give the same SHA-256: only speed differs.
 */
export const JS_HASH_MAX_CHARS = 512

async function digest(text: string): Promise<Uint8Array> {
  return text.length <= JS_HASH_MAX_CHARS ? sha256(text) : sha256Subtle(text)
}

/** Hex SHA-256 of the canonical scope: hashed once per request. */
export async function scopeDigest(scope: ScoreKeyScope): Promise<string> {
  return toHex(await digest(canonicalScope(scope)))
}

/**
 * The SHA-256 pair digest of each document under a scope digest from `scopeDigest`, in order
 * (32 bytes each; the edge tier names a pair by its first 16: `score-bucket`).
 */
export async function pairDigests(scopeHex: string, documents: readonly string[]): Promise<Uint8Array[]> {
  // The 64 hex characters are exactly one SHA-256 block: compress them once for all documents
  // hashed in JS; long documents go to crypto.subtle, concurrently.
  const mid = sha256Midstate(scopeHex)
  const out = new Array<Uint8Array>(documents.length)
  const pending: Array<Promise<void>> = []
  documents.forEach((d, i) => {
    if (d.length <= JS_HASH_MAX_CHARS) out[i] = sha256Continue(mid, `\n${d}`)
    else {
      pending.push(
        sha256Subtle(`${scopeHex}\n${d}`).then((h) => {
          out[i] = h
        })
      )
    }
  })
  if (pending.length > 0) await Promise.all(pending)
  return out
}

/** The pair key in text, "s1:" + base64url(pair digest): for the tests and bench/cache-key.bench.ts. */
export async function pairKeys(scopeHex: string, documents: readonly string[]): Promise<string[]> {
  return (await pairDigests(scopeHex, documents)).map((d) => SCORE_KEY_PREFIX + toBase64Url(d))
}

/** One key per document, in order (equal documents get equal keys). */
export async function scoreKeys(scope: ScoreKeyScope, documents: readonly string[]): Promise<string[]> {
  return pairKeys(await scopeDigest(scope), documents)
}

/** The edge tier's key for every pair of a scope (`score-bucket`): 67 bytes, under KV's 512. */
export function bucketKey(scopeHex: string): string {
  return SCORE_BUCKET_PREFIX + scopeHex
}

/**
 * The same keys computed with `crypto.subtle.digest` (one call per document, no midstate): for the
 * tests, which check the JS hash against the platform's, and `bench/cache-key.bench.ts`.
 * Not used for keys.
 */
export async function pairKeysSubtle(scopeHex: string, documents: readonly string[]): Promise<string[]> {
  return Promise.all(documents.map(async (d) => SCORE_KEY_PREFIX + toBase64Url(await sha256Subtle(`${scopeHex}\n${d}`))))
}
