/**
 * Cost of deriving the edge-store keys of 100 documents inside workerd (Miniflare), for documents
 * of 150, 1,000 and 4,000 characters, three ways that give identical SHA-256 keys:
 *   - `crypto.subtle`: one `crypto.subtle.digest` call per document;
 *   - JS midstate: plain-JS SHA-256 continuing from the state after the 64-byte scope digest;
 *   - shipped (`pairKeys`): JS midstate up to 512 characters, `crypto.subtle` above.
 * And the effect of hashing the scope once (two-level keys) versus per document (flat keys) for a
 * 4,000-character query. workerd does not advance its clocks during computation (Spectre
 * mitigation), so each variant runs `REPS` times inside one request and the client times the
 * request, minus an empty request's time.
 *
 *   npm run bench -- cache-key
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { fmt, median } from './lib/stats'

const RUNS = 7
const REPS = 200
const DOCS = 100
const SIZES = [150, 400, 1000, 4000] as const

const lib = execFileSync('npx', ['esbuild', 'src/cache/score-key.ts', '--bundle', '--format=esm', '--log-level=error'], {
  encoding: 'utf8',
})
// The bundle's top-level names (canonicalScope, scopeDigest, pairKeys…, sha256Midstate…) are used
// below; a module worker may only export handlers, so the bundle's own export list goes.
const script =
  `${lib.replace(/export\s*\{[^}]*\};?\s*$/u, '')}\n` +
  /* js */ `
const enc = new TextEncoder()
const subtle = async (t) => toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(t))))
export default {
  async fetch(req) {
    const u = new URL(req.url)
    const v = u.searchParams.get('v')
    const reps = Number(u.searchParams.get('reps'))
    const dlen = Number(u.searchParams.get('dlen'))
    const qlen = Number(u.searchParams.get('qlen'))
    const scope = {
      namespace: 'tenant-a', backend: 'vllm', model: 'qwen3-reranker-8b', modelRevision: '1', promptFormat: 'qwen3-reranker/v1',
      instruction: 'Given a web search query, retrieve relevant passages that answer the query',
      query: 'which rivers flow through the capital? '.repeat(200).slice(0, qlen),
    }
    const docs = Array.from({ length: ${DOCS} }, (_, i) => (i + ': the river crosses the capital and feeds its canals. ').repeat(200).slice(0, dlen))
    let n = 0
    for (let r = 0; r < reps; r++) {
      if (v === 'subtle') n += (await pairKeysSubtle(await scopeDigest(scope), docs)).length
      else if (v === 'midstate') {
        const mid = sha256Midstate(await scopeDigest(scope))
        n += docs.map((d) => toBase64Url(sha256Continue(mid, '\\n' + d))).length
      } else if (v === 'shipped') n += (await scoreKeys(scope, docs)).length
      else if (v === 'flat') {
        const c = canonicalScope(scope)
        n += (await Promise.all(docs.map((d) => subtle(c + '\\n' + d)))).length
      }
    }
    return new Response(String(n))
  },
}`

const mf = new Miniflare(convertV4MiniflareOptions({ modules: true, script, compatibilityDate: '2026-08-01', host: '127.0.0.1', port: 0 }))
const base = (await mf.ready).toString().replace(/\/$/u, '')

async function timed(v: string, dlen: number, qlen: number): Promise<number> {
  const t0 = performance.now()
  const n = Number(await (await fetch(`${base}/?v=${v}&reps=${REPS}&dlen=${dlen}&qlen=${qlen}`)).text())
  if (v !== 'empty' && n !== REPS * DOCS) throw new Error(`${v}: ${n} keys`)
  return performance.now() - t0
}

/** µs per document, per run, for each variant at one (document, query) size; interleaved. */
async function measure(variants: readonly string[], dlen: number, qlen: number): Promise<Record<string, number[]>> {
  for (const v of ['empty', ...variants]) await timed(v, dlen, qlen) // JIT warm-up
  const out: Record<string, number[]> = {}
  for (let run = 0; run < RUNS; run++) {
    const empty = await timed('empty', dlen, qlen)
    for (const v of variants) (out[v] ??= []).push((((await timed(v, dlen, qlen)) - empty) * 1000) / (REPS * DOCS))
  }
  return out
}

try {
  const bySize: Record<number, Record<string, number[]>> = {}
  for (const dlen of SIZES) bySize[dlen] = await measure(['subtle', 'midstate', 'shipped'], dlen, 40)
  const byQuery = await measure(['flat', 'subtle'], 150, 4000)

  const lines = [
    '## Score cache: key derivation cost',
    '',
    `Command: \`npm run bench -- cache-key\` (bench/cache-key.bench.ts). Inside workerd (Miniflare): keys of ${DOCS} documents,`,
    `${REPS} times per request, the client's time minus an empty request's, ${RUNS} interleaved runs; µs per document,`,
    'median (min–max). Every variant yields the same SHA-256 keys (checked by the unit tests).',
    '',
    '| document length | `crypto.subtle` per document | JS SHA-256 from the scope midstate | shipped (JS ≤ 512 chars, else subtle) |',
    '|---|---:|---:|---:|',
    ...SIZES.map((d) => `| ${d} chars | ${fmt(bySize[d]?.subtle ?? [], 1)} | ${fmt(bySize[d]?.midstate ?? [], 1)} | ${fmt(bySize[d]?.shipped ?? [], 1)} |`),
    '',
    `Hashing the scope once: with a 4,000-character query and 150-character documents, flat keys (SHA-256 over the`,
    `whole scope + document, per document) cost ${fmt(byQuery.flat ?? [], 1)} µs per document; two-level keys (scope digest once)`,
    `${fmt(byQuery.subtle ?? [], 1)} µs with the same \`crypto.subtle\` calls (${(median(byQuery.flat ?? []) / median(byQuery.subtle ?? [])).toFixed(1)}×).`,
    '',
    'These keys are only needed for pairs that reach the edge store: a memory hit looks pairs up by (scope digest,',
    'document text) and computes no per-document hash at all.',
  ]
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/cache-key.md', lines.join('\n') + '\n')
  console.log(lines.join('\n'))
} finally {
  await mf.dispose()
}
