/**
 * Per-pair cache vs a whole-request cache, both measured *through a service* on several trace
 * shapes (the trace decides the ratio; a deterministic retriever gives none):
 *  - the worker (per-pair cache, memory tier) in Miniflare in front of a counting backend;
 *  - a whole-request cache in front of the same kind of backend: a Node HTTP proxy that answers a
 *    request whose exact body it has seen before from its cache (SHA-256 of the body: what
 *    LiteLLM, AI Gateway and Portkey's simple cache key on), sent the formatted vLLM body the
 *    worker would send.
 * Pairs are counted where they arrive: at each backend (bench/lib/instant-backend.ts `/__pairs`).
 * Shapes (seeded; 400 calls, 60 Zipf(1.1) queries, 20–100 candidates per call):
 *  - deterministic: a query always retrieves the same list, same order;
 *  - depth: the same ranked list, cut at a varying depth (20, 50 or 100) per call;
 *  - drift: each call of a query replaces ~10 % of its list for good (an index being updated);
 *  - reshuffle: the same set per query, in a new order each call (ties, hybrid retrieval);
 *  - mixed: depth + drift + reshuffle, 10 % of calls under another instruction.
 *
 *   npm run bench -- cache-trace-shapes
 */
import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { DEFAULT_INSTRUCTION, formatQwen3Document, formatQwen3Query } from '../src/backends/vllm/qwen3-prompt'
import { mulberry32 } from '../src/lib/mulberry32'
import { startInstantBackend } from './lib/instant-backend'
import { realisticPassage } from './lib/passages'
import { startWorker } from './lib/worker-under-test'

const CALLS = Number(process.env.CALLS ?? 400)
const QUERIES = 60
const SEEDS = (process.env.SEEDS ?? '1,2,3').split(',').map(Number)
const MODEL = 'qwen3-reranker-8b'

const rng = mulberry32

type Shape = 'deterministic' | 'depth' | 'drift' | 'reshuffle' | 'mixed'
interface Call {
  query: string
  instruction?: string
  documents: string[]
}

function trace(shape: Shape, seed: number): Call[] {
  const r = rng(seed * 7919 + shape.length)
  const w = Array.from({ length: QUERIES }, (_, k) => 1 / (k + 1) ** 1.1)
  const total = w.reduce((a, b) => a + b, 0)
  const pick = () => {
    let u = r() * total
    for (let k = 0; k < QUERIES; k++) if ((u -= w[k] as number) <= 0) return k
    return QUERIES - 1
  }
  let next = QUERIES * 100
  const lists = Array.from({ length: QUERIES }, (_, q) => Array.from({ length: 100 }, (_, j) => q * 100 + j))
  const calls: Call[] = []
  for (let c = 0; c < CALLS; c++) {
    const q = pick()
    const list = lists[q] as number[]
    if (shape === 'drift' || shape === 'mixed') {
      for (let j = 0; j < list.length; j++) if (r() < 0.1) list[j] = next++
    }
    let ids = [...list]
    if (shape === 'depth' || shape === 'mixed') ids = ids.slice(0, [20, 50, 100][Math.floor(r() * 3)])
    else ids = ids.slice(0, 60)
    if (shape === 'reshuffle' || shape === 'mixed') {
      for (let j = ids.length - 1; j > 0; j--) {
        const k = Math.floor(r() * (j + 1))
        ;[ids[j], ids[k]] = [ids[k] as number, ids[j] as number]
      }
    }
    const call: Call = { query: `query ${q} about rivers and markets`, documents: ids.map((i) => realisticPassage(i).slice(0, 200)) }
    if (shape === 'mixed' && r() < 0.1) call.instruction = 'Prefer passages with figures'
    calls.push(call)
  }
  return calls
}

/** A whole-request cache: exact body → cached answer, in its own Node process. */
const WHOLE_REQUEST_CACHE = `
const http = require('node:http'), crypto = require('node:crypto')
const target = new URL(process.env.TARGET), cache = new Map(), agent = new http.Agent({ keepAlive: true })
http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks), key = crypto.createHash('sha256').update(body).digest('hex')
    const hit = cache.get(key)
    if (hit) { res.writeHead(200, { 'content-type': 'application/json', 'x-cache': 'HIT' }); return res.end(hit) }
    const up = http.request({ host: target.hostname, port: target.port, path: '/v1/rerank', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (r) => {
      const out = []
      r.on('data', (c) => out.push(c))
      r.on('end', () => { const b = Buffer.concat(out); if (r.statusCode === 200) cache.set(key, b); res.writeHead(r.statusCode, { 'content-type': 'application/json', 'x-cache': 'MISS' }); res.end(b) })
    })
    up.end(body)
  })
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ url: 'http://127.0.0.1:' + this.address().port })) })
`

async function startWholeRequestCache(target: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', WHOLE_REQUEST_CACHE], { env: { ...process.env, TARGET: target }, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((ok) => createInterface({ input: child.stdout! }).on('line', (l) => ok((JSON.parse(l) as { url: string }).url)))
  return { url, stop: () => child.kill('SIGTERM') }
}

const pairsAt = async (backend: string) => ((await (await fetch(`${backend}/__pairs`)).json()) as { pairs: number }).pairs

async function post(url: string, body: string): Promise<void> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`)
  await r.arrayBuffer()
}

async function main() {
  const rows: string[] = []
  const shapes: Shape[] = ['deterministic', 'depth', 'drift', 'reshuffle', 'mixed']
  const results: Record<Shape, Array<{ none: number; whole: number; pair: number }>> = { deterministic: [], depth: [], drift: [], reshuffle: [], mixed: [] }
  for (const seed of SEEDS) {
    for (const shape of shapes) {
      // Fresh services per trace: nothing cached from another trace.
      const b1 = await startInstantBackend()
      const b2 = await startInstantBackend()
      const worker = await startWorker({ vars: { VLLM_URLS: b1.url, VLLM_MODEL: MODEL }, kv: false, quiet: true })
      const whole = await startWholeRequestCache(b2.url)
      try {
        const calls = trace(shape, seed)
        let none = 0
        for (const c of calls) {
          none += c.documents.length
          await post(`${worker.url}/v1/rerank`, JSON.stringify({ query: c.query, documents: c.documents, return_documents: false, ...(c.instruction ? { instruction: c.instruction } : {}) }))
          await post(
            `${whole.url}/v1/rerank`,
            JSON.stringify({ model: MODEL, query: formatQwen3Query(c.instruction ?? DEFAULT_INSTRUCTION, c.query), documents: c.documents.map(formatQwen3Document) })
          )
        }
        results[shape].push({ none, whole: await pairsAt(b2.url), pair: await pairsAt(b1.url) })
      } finally {
        whole.stop()
        await worker.dispose()
        await b1.stop()
        await b2.stop()
      }
    }
    console.log(`seed ${seed}: ${shapes.map((s) => `${s} ${results[s].at(-1)?.whole}/${results[s].at(-1)?.pair}`).join(', ')}`)
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  const span = (xs: number[], d = 2) => `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`
  rows.push('## Per-pair vs whole-request cache, measured through each service, by trace shape')
  rows.push('')
  rows.push(
    `Command: \`npm run bench -- cache-trace-shapes\` (bench/cache-trace-shapes.bench.ts). ${SEEDS.length} seeds × ${CALLS} calls per shape, ${QUERIES} queries with Zipf(1.1) popularity, ` +
      '20–100 candidates. Per-pair: the worker in Miniflare (memory tier), `/v1/rerank`; whole-request: a caching proxy (exact-body SHA-256 → stored answer, as LiteLLM, AI Gateway and ' +
      'Portkey\'s simple cache key) sent the formatted vLLM body for the same call. Pairs counted at each one\'s backend. Median (min–max) over seeds.'
  )
  rows.push('')
  rows.push('| trace shape | no cache (pairs) | whole-request cache | per-pair cache | whole-request ÷ per-pair |')
  rows.push('|---|---:|---:|---:|---:|')
  const label: Record<Shape, string> = {
    deterministic: 'deterministic retriever (same list, same order)',
    depth: 'varied depth (same ranking cut at 20 / 50 / 100)',
    drift: 'drifting index (~10 % of a list replaced per call)',
    reshuffle: 'reshuffles (same set, new order)',
    mixed: 'mixed (depth + drift + reshuffle, 10 % other instruction)',
  }
  for (const s of shapes) {
    const r = results[s]
    rows.push(`| ${label[s]} | ${span(r.map((x) => x.none), 0)} | ${span(r.map((x) => x.whole), 0)} | ${span(r.map((x) => x.pair), 0)} | **${span(r.map((x) => x.whole / x.pair))}×** |`)
  }
  rows.push('')
  rows.push('The ratio is a property of the trace: with a deterministic retriever the two caches send the same pairs; the per-pair cache gains when calls overlap without being identical. The reshuffle row is the whole-request cache\'s worst case: one that sorted the documents before keying would match the per-pair cache there (but not on depth or drift).')
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/cache-trace-shapes.md', rows.join('\n') + '\n')
  console.log(rows.join('\n'))
}

await main()
