/**
 * CPU per request and latency of the rerank route, like for like:
 *  - cached calls vs a bare route in the same runtime that reads the same body and answers JSON of
 *    the same size, with realistic 300–2,000-character passages, on /v1/rerank (documents echoed)
 *    and /v2/rerank; 100 and 1,000 candidates (and 1,000 × 250 characters, the issue's earlier size);
 *  - the miss path as a real miss (fresh documents on every request) next to `Cache-Control:
 *    no-store` (same documents, cache bypassed) and a forward-only Worker (reads the body, POSTs it
 *    to the backend, returns the reply) sent the same formatted pairs;
 *  - at 1 and 8 connections, 100 fresh realistic passages per call: the worker, the forward-only
 *    Worker (same runtime), Portkey's gateway (bench/peer) and the backend called directly.
 * Every Worker runs in its own Miniflare (one workerd process each), with the access log on
 * (LOG_REQUESTS default, as deployed; its lines drained, not printed). CPU = user + system time of
 * that workerd process over a round / requests in the round (/proc, 10 ms ticks). Targets rotate
 * within each round; figures are medians (min–max) over rounds, paired in one run.
 *
 *   npm run bench -- rerank-cpu          (ROUNDS=n to change the 7 rounds; THROUGHPUT_MS=n the 4,000 ms throughput windows)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { DEFAULT_INSTRUCTION, formatQwen3Document, formatQwen3Query } from '../src/backends/vllm/qwen3-prompt'
import { bodyLoad, type BodyLoadResult } from './lib/body-load'
import { spawnFakeVllm } from './lib/fake-vllm-process'
import { startInstantBackend } from './lib/instant-backend'
import { realisticPassage } from './lib/passages'
import { cpuMs, mainThreadCpuMs, newWorkerdPid, workerdPids } from './lib/proc-cpu'
import { startPortkey } from './lib/portkey'
import { budgetVerdict, fmt, median, medianInterval, percentile } from './lib/stats'
import { startWorker, type WorkerUnderTest } from './lib/worker-under-test'

const ROUNDS = Number(process.env.ROUNDS ?? 7)
/**
 * Each side's throughput window per round, ms. 1,500 until 2026-12-03 16:00: over thirteen runs the
 * ratio's per-round spread (e.g. 0.65–1.06 in one run) left every verdict undecided; a longer
 * window averages out more of the shared machine's load swings within a round.
 */
const THROUGHPUT_MS = Number(process.env.THROUGHPUT_MS ?? 4000)
const MODEL = 'qwen3-reranker-8b'
const QUERY = 'Which rivers feed the delta, and how does rainfall change the fishery?'

const shortPassage = (i: number) => realisticPassage(i).slice(0, 250)

interface Scenario {
  name: string
  label: string
  path: '/v1/rerank' | '/v2/rerank'
  docs: number
  passage: (i: number) => string
  /** Requests per round at 1 connection (latency + CPU). */
  requests: number
  /** Also a throughput phase at 8 connections (ms per round). */
  throughputMs?: number
}

const CACHED: Scenario[] = [
  { name: 'c100v1', label: '100 docs, `/v1/rerank` (documents returned)', path: '/v1/rerank', docs: 100, passage: realisticPassage, requests: 150, throughputMs: THROUGHPUT_MS },
  { name: 'c100v2', label: '100 docs, `/v2/rerank`', path: '/v2/rerank', docs: 100, passage: realisticPassage, requests: 150, throughputMs: THROUGHPUT_MS },
  { name: 'c1000v2', label: '1,000 docs, `/v2/rerank`', path: '/v2/rerank', docs: 1000, passage: realisticPassage, requests: 40 },
  { name: 'c1000v1', label: '1,000 docs, `/v1/rerank` (documents returned)', path: '/v1/rerank', docs: 1000, passage: realisticPassage, requests: 30 },
  { name: 'c1000s', label: '1,000 docs of 250 chars, `/v2/rerank`', path: '/v2/rerank', docs: 1000, passage: shortPassage, requests: 40 },
]

const BARE_SCRIPT = `export default {
  async fetch(request, env) {
    // A route reads and parses its input, then answers: here, a fixed JSON body of the size the
    // worker's answer to the same request has (bindings BODY_<scenario>).
    const input = JSON.parse(await request.text())
    const name = new URL(request.url).pathname.slice(1)
    return new Response(env['BODY_' + name] ?? JSON.stringify({ documents: input.documents?.length }), { headers: { 'content-type': 'application/json' } })
  },
}`

const FORWARD_SCRIPT = `export default {
  async fetch(request, env) {
    const body = await request.text()
    const r = await fetch(env.BACKEND + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    return new Response(await r.text(), { status: r.status, headers: { 'content-type': 'application/json' } })
  },
}`

async function miniflareFor(script: string, bindings: Record<string, string>): Promise<{ url: string; pid: number; dispose: () => Promise<void> }> {
  const before = workerdPids()
  const mf = new Miniflare({
    handleStructuredLogs: () => undefined,
    ...convertV4MiniflareOptions({ modules: true, script, compatibilityDate: '2026-08-01', host: '127.0.0.1', port: 0, bindings }),
  })
  const url = (await mf.ready).toString().replace(/\/$/u, '')
  return { url, pid: newWorkerdPid(before), dispose: () => mf.dispose() }
}

const bodyOf = (s: Scenario, offset = 0) => JSON.stringify({ model: MODEL, query: QUERY, documents: Array.from({ length: s.docs }, (_, i) => s.passage(offset + i)) })
/** The exact vLLM body the worker sends for these documents (default instruction, no truncation needed). */
const formattedBody = (docs: string[]) =>
  JSON.stringify({ model: MODEL, query: formatQwen3Query(DEFAULT_INSTRUCTION, QUERY), documents: docs.map(formatQwen3Document) })

interface Sample {
  cpu: number
  /** Of `cpu`, the main thread's (isolates + HTTP); the rest is V8's helper threads (concurrent GC). */
  cpuMain: number
  p50: number
  p99: number
  rps: number
  failures: number
}

async function measure(pid: number, run: () => Promise<BodyLoadResult>): Promise<Sample> {
  const c0 = pid > 0 ? cpuMs(pid) : Number.NaN
  const m0 = pid > 0 ? mainThreadCpuMs(pid) : Number.NaN
  const r = await run()
  const c1 = pid > 0 ? cpuMs(pid) : Number.NaN
  const m1 = pid > 0 ? mainThreadCpuMs(pid) : Number.NaN
  return { cpu: (c1 - c0) / Math.max(1, r.requests), cpuMain: (m1 - m0) / Math.max(1, r.requests), p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), rps: r.rps, failures: r.failures }
}

const col = (xs: Sample[], k: keyof Sample, d = 2) => fmt(xs.map((x) => x[k] as number), d)

async function main() {
  const load0 = loadavg()[0] ?? 0
  const started = new Date().toISOString()
  // A backend that answers at once (bench/lib/instant-backend.ts): what is measured is the proxy.
  const fake = await startInstantBackend()
  const backend = fake.url
  // Each group of rows has its own worker (one isolate, one heap): a row's CPU then includes the
  // garbage collection its own traffic causes, not the debt the rows before it left on a shared
  // heap (one worker served every row until 2026-12-03; see ISOLATE_NOTE).
  const memoryOnly = async (extra: Record<string, string> = {}) => {
    const before = workerdPids()
    const w = await startWorker({ vars: { VLLM_URLS: backend, VLLM_MODEL: MODEL, BACKEND_TIMEOUT_MS: '60000', ...extra }, kv: false, quiet: true })
    return { url: w.url, pid: newWorkerdPid(before), dispose: () => w.dispose() }
  }
  /** The cached rows at 1 connection. */
  const cachedWorker = await memoryOnly()
  /** The cached rows' throughput phases (8 connections). */
  const tpWorker = await memoryOnly()
  /** The miss rows (and, after them, the mixed-isolate cached call). */
  const missWorker = await memoryOnly()
  const worker = missWorker
  const workerPid = missWorker.pid
  /** The peer comparison (100 fresh passages per call). */
  const peerWorker = await memoryOnly()
  const workerNoLog = await memoryOnly({ LOG_REQUESTS: 'false' })
  const workerNoLogPid = workerNoLog.pid
  const missNoLog = await memoryOnly({ LOG_REQUESTS: 'false' })
  const beforeKv = workerdPids()
  const workerKv = await startWorker({ vars: { VLLM_URLS: backend, VLLM_MODEL: MODEL, BACKEND_TIMEOUT_MS: '60000' }, quiet: true })
  const workerKvPid = newWorkerdPid(beforeKv)
  // A cold isolate's cached call: the memory tier off, every pair from the local KV tier.
  const beforeKvCold = workerdPids()
  const workerKvCold = await startWorker({ vars: { VLLM_URLS: backend, VLLM_MODEL: MODEL, BACKEND_TIMEOUT_MS: '60000', CACHE_MEMORY_BYTES: '0' }, quiet: true })
  const workerKvColdPid = newWorkerdPid(beforeKvCold)
  // The same worker with other upstream call sizes (BACKEND_BATCH_SIZE): the previous default and one call.
  const batchWorkers: Array<{ w: WorkerUnderTest; pid: number }> = []
  for (const size of ['128', '1000']) {
    const b = workerdPids()
    const w = await startWorker({ vars: { VLLM_URLS: backend, VLLM_MODEL: MODEL, BACKEND_TIMEOUT_MS: '60000', BACKEND_BATCH_SIZE: size }, kv: false, quiet: true })
    batchWorkers.push({ w, pid: newWorkerdPid(b) })
  }
  const [batch128, batchOne] = batchWorkers as [{ w: WorkerUnderTest; pid: number }, { w: WorkerUnderTest; pid: number }]

  // Warm every cached scenario and capture the worker's answer size for the bare route.
  const bodies: Record<string, string> = {}
  await bodyLoad({ url: workerNoLog.url + CACHED[0]!.path, body: bodyOf(CACHED[0]!), connections: 1, requests: 2 })
  for (const s of CACHED) {
    for (const w of s.throughputMs === undefined ? [cachedWorker] : [cachedWorker, tpWorker]) {
      const first = await bodyLoad({ url: w.url + s.path, body: bodyOf(s), connections: 1, requests: 2 })
      if (first.failures > 0) throw new Error(`warm-up of ${s.name} failed`)
      const res = await fetch(w.url + s.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyOf(s) })
      const text = await res.text()
      if (!/^rerank-edge; hit/u.test(res.headers.get('cache-status') ?? '')) throw new Error(`${s.name}: not a full hit: ${res.headers.get('cache-status')}`)
      bodies[`BODY_${s.name}`] = text
    }
  }
  const bare = await miniflareFor(BARE_SCRIPT, bodies)
  const bareTp = await miniflareFor(BARE_SCRIPT, bodies)
  // The cold-isolate row's pairs reach KV once, after the response (waitUntil), before any round.
  const kvColdUrl = `${workerKvCold.url}/v2/rerank`
  await bodyLoad({ url: kvColdUrl, body: bodyOf({ ...CACHED[2]!, docs: 1000 }, 500_000), connections: 1, requests: 1 })
  await new Promise((ok) => setTimeout(ok, 2000))
  const coldCheck = await fetch(kvColdUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyOf({ ...CACHED[2]!, docs: 1000 }, 500_000) })
  await coldCheck.arrayBuffer()
  if (!/^rerank-edge; hit;.* memory=0 edge=1000 /u.test(coldCheck.headers.get('cache-status') ?? '')) throw new Error(`KV-only row: not a full edge hit: ${coldCheck.headers.get('cache-status')}`)
  const forward = await miniflareFor(FORWARD_SCRIPT, { BACKEND: backend })
  const forwardPeer = await miniflareFor(FORWARD_SCRIPT, { BACKEND: backend })
  const portkey = await startPortkey()
  for (const s of CACHED) {
    for (const b of [bare, bareTp]) {
      const r = await bodyLoad({ url: `${b.url}/${s.name}`, body: bodyOf(s), connections: 1, requests: 1 })
      const want = Buffer.byteLength(bodies[`BODY_${s.name}`] as string)
      if (r.lastBytes !== want) throw new Error(`bare ${s.name}: ${r.lastBytes} bytes, worker ${want}`)
    }
  }

  const cached: Record<string, { worker: Sample[]; bare: Sample[]; workerTp: Sample[]; bareTp: Sample[] }> = {}
  for (const s of CACHED) cached[s.name] = { worker: [], bare: [], workerTp: [], bareTp: [] }
  type MissTarget = 'miss' | 'missBatch128' | 'missOneCall' | 'noStore' | 'forward' | 'missShort' | 'missShortBatch128' | 'missShortOneCall' | 'missShortNoLog' | 'forwardShort' | 'missKv' | 'kvCached'
  const miss: Record<MissTarget, Sample[]> = { miss: [], missBatch128: [], missOneCall: [], noStore: [], forward: [], missShort: [], missShortBatch128: [], missShortOneCall: [], missShortNoLog: [], forwardShort: [], missKv: [], kvCached: [] }
  const noLogCached: Sample[] = []
  /** The cached 1,000-passage `/v2` call on the miss rows' worker, right after its misses. */
  const mixedCached: Sample[] = []
  type PeerTarget = 'direct' | 'forward' | 'worker' | 'portkey'
  const peers: Record<string, Record<PeerTarget, Sample[]>> = { '1': { direct: [], forward: [], worker: [], portkey: [] }, '8': { direct: [], forward: [], worker: [], portkey: [] } }
  let fresh = 1_000_000
  const freshDocs = (n: number, passage: (i: number) => string) => {
    const base = (fresh += n)
    return Array.from({ length: n }, (_, i) => `${passage(base + i)} [${base + i}]`)
  }
  const MISS_N = 12
  const portkeyHeaders = { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${backend}/v1` }

  // The formatted body the baselines get must be exactly what the worker sends (and Portkey forwards).
  {
    const docs = freshDocs(100, realisticPassage)
    const last = async () => JSON.stringify(JSON.parse(await (await fetch(`${backend}/__last`)).text()))
    const w = await fetch(`${worker.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, documents: docs }) })
    if (w.status !== 200) throw new Error(`worker answered ${w.status}: ${await w.text()}`)
    if ((await last()) !== formattedBody(docs)) throw new Error('the formatted body differs from what the worker sends')
    const p = await fetch(`${portkey.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', ...portkeyHeaders }, body: formattedBody(docs) })
    if (p.status !== 200) throw new Error(`Portkey answered ${p.status}: ${await p.text()}`)
    if ((await last()) !== formattedBody(docs)) throw new Error('Portkey did not forward the body unchanged')
  }

  for (let round = 0; round < ROUNDS; round++) {
    const flip = round % 2 === 1
    for (const s of CACHED) {
      const body = bodyOf(s)
      const w = () => measure(cachedWorker.pid, () => bodyLoad({ url: cachedWorker.url + s.path, body, connections: 1, requests: s.requests }))
      const b = () => measure(bare.pid, () => bodyLoad({ url: `${bare.url}/${s.name}`, body, connections: 1, requests: s.requests }))
      const c = cached[s.name]!
      if (flip) {
        c.bare.push(await b())
        c.worker.push(await w())
      } else {
        c.worker.push(await w())
        c.bare.push(await b())
      }
      if (s.throughputMs !== undefined) {
        const wt = () => measure(tpWorker.pid, () => bodyLoad({ url: tpWorker.url + s.path, body, connections: 8, durationMs: s.throughputMs }))
        const bt = () => measure(bareTp.pid, () => bodyLoad({ url: `${bareTp.url}/${s.name}`, body, connections: 8, durationMs: s.throughputMs }))
        if (flip) {
          c.bareTp.push(await bt())
          c.workerTp.push(await wt())
        } else {
          c.workerTp.push(await wt())
          c.bareTp.push(await bt())
        }
      }
    }
    // The access log's share: the same cached call on a worker with LOG_REQUESTS=false.
    noLogCached.push(await measure(workerNoLogPid, () => bodyLoad({ url: workerNoLog.url + CACHED[0]!.path, body: bodyOf(CACHED[0]!), connections: 1, requests: CACHED[0]!.requests })))
    // The miss path, 1,000 documents.
    const fixed1000 = bodyOf({ ...CACHED[2]!, docs: 1000 }, 500_000)
    const missRuns: Array<[MissTarget, () => Promise<Sample>]> = [
      ['miss', () => measure(workerPid, () => bodyLoad({ url: `${worker.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, realisticPassage) }), connections: 1, requests: MISS_N }))],
      ['missBatch128', () => measure(batch128.pid, () => bodyLoad({ url: `${batch128.w.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, realisticPassage) }), connections: 1, requests: MISS_N }))],
      ['missOneCall', () => measure(batchOne.pid, () => bodyLoad({ url: `${batchOne.w.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, realisticPassage) }), connections: 1, requests: MISS_N }))],
      ['noStore', () => measure(workerPid, () => bodyLoad({ url: `${worker.url}/v2/rerank`, body: fixed1000, headers: { 'cache-control': 'no-store' }, connections: 1, requests: MISS_N }))],
      ['forward', () => measure(forward.pid, () => bodyLoad({ url: forward.url, body: () => formattedBody(freshDocs(1000, realisticPassage)), connections: 1, requests: MISS_N }))],
      ['missShort', () => measure(workerPid, () => bodyLoad({ url: `${worker.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, shortPassage) }), connections: 1, requests: MISS_N }))],
      ['missShortBatch128', () => measure(batch128.pid, () => bodyLoad({ url: `${batch128.w.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, shortPassage) }), connections: 1, requests: MISS_N }))],
      ['missShortOneCall', () => measure(batchOne.pid, () => bodyLoad({ url: `${batchOne.w.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, shortPassage) }), connections: 1, requests: MISS_N }))],
      ['missShortNoLog', () => measure(missNoLog.pid, () => bodyLoad({ url: `${missNoLog.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, shortPassage) }), connections: 1, requests: MISS_N }))],
      ['forwardShort', () => measure(forward.pid, () => bodyLoad({ url: forward.url, body: () => formattedBody(freshDocs(1000, shortPassage)), connections: 1, requests: MISS_N }))],
      ['kvCached', () => measure(workerKvColdPid, () => bodyLoad({ url: kvColdUrl, body: fixed1000, connections: 1, requests: MISS_N }))],
      ['missKv', () => measure(workerKvPid, () => bodyLoad({ url: `${workerKv.url}/v2/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(1000, realisticPassage) }), connections: 1, requests: MISS_N }))],
    ]
    for (const [t, run] of flip ? [...missRuns].reverse() : missRuns) miss[t].push(await run())
    // A cached call in an isolate that also serves misses (as a deployed one does): the 1,000
    // passages again (the misses may have evicted some: one unmeasured call brings them back).
    {
      const s = CACHED[2]!
      await bodyLoad({ url: missWorker.url + s.path, body: bodyOf(s), connections: 1, requests: 1 })
      mixedCached.push(await measure(missWorker.pid, () => bodyLoad({ url: missWorker.url + s.path, body: bodyOf(s), connections: 1, requests: s.requests })))
    }
    // Worker vs forward-only vs Portkey vs direct, 100 fresh passages per call.
    for (const conns of [1, 8]) {
      const ms = 2000
      const runs: Array<[PeerTarget, () => Promise<Sample>]> = [
        ['direct', () => measure(0, () => bodyLoad({ url: `${backend}/v1/rerank`, body: () => formattedBody(freshDocs(100, realisticPassage)), connections: conns, durationMs: ms }))],
        ['forward', () => measure(forwardPeer.pid, () => bodyLoad({ url: forwardPeer.url, body: () => formattedBody(freshDocs(100, realisticPassage)), connections: conns, durationMs: ms }))],
        ['worker', () => measure(peerWorker.pid, () => bodyLoad({ url: `${peerWorker.url}/v1/rerank`, body: () => JSON.stringify({ model: MODEL, query: QUERY, documents: freshDocs(100, realisticPassage), return_documents: false }), connections: conns, durationMs: ms }))],
        ['portkey', () => measure(portkey.pid, () => bodyLoad({ url: `${portkey.url}/v1/rerank`, body: () => formattedBody(freshDocs(100, realisticPassage)), headers: portkeyHeaders, connections: conns, durationMs: ms }))],
      ]
      const order = runs.map((_, i) => runs[(i + round) % runs.length]!)
      for (const [t, run] of order) peers[String(conns)]![t].push(await run())
    }
    console.log(`round ${round + 1}/${ROUNDS}: c100v1 worker cpu ${cached.c100v1!.worker.at(-1)!.cpu.toFixed(3)} bare ${cached.c100v1!.bare.at(-1)!.cpu.toFixed(3)}; miss1000 cpu ${miss.miss.at(-1)!.cpu.toFixed(2)} forward ${miss.forward.at(-1)!.cpu.toFixed(2)}`)
  }
  const load1 = loadavg()[0] ?? 0
  await Promise.all([
    ...batchWorkers.map((b) => b.w.dispose()),
    ...[cachedWorker, tpWorker, missWorker, peerWorker, workerNoLog, missNoLog].map((w) => w.dispose()),
    workerKv.dispose(), workerKvCold.dispose(), bare.dispose(), bareTp.dispose(), forward.dispose(), forwardPeer.dispose(), portkey.stop(), fake.stop(),
  ])

  const failures = [
    ...Object.values(cached).flatMap((c) => [...c.worker, ...c.bare, ...c.workerTp, ...c.bareTp]),
    ...Object.values(miss).flat(),
    ...noLogCached,
    ...mixedCached,
    ...Object.values(peers).flatMap((p) => Object.values(p).flat()),
  ].reduce((n, s) => n + s.failures, 0)
  const ratio = (a: Sample[], b: Sample[], k: keyof Sample) => fmt(a.map((x, i) => (x[k] as number) / ((b[i]?.[k] as number) || Number.NaN)), 3)
  const diff = (a: Sample[], b: Sample[], k: keyof Sample) => fmt(a.map((x, i) => (x[k] as number) - ((b[i]?.[k] as number) ?? Number.NaN)), 3)

  const lines: string[] = []
  lines.push('## Rerank CPU per request: cached, miss, and next to a bare route, a forward-only Worker and Portkey')
  lines.push('')
  lines.push(`Command: \`npm run bench -- rerank-cpu\` (bench/rerank-cpu.bench.ts), ${started}, ${ROUNDS} paired rounds, Node ${process.version}, ` +
    `${cpus().length} CPU cores, possibly shared with other work (1-min load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after): ` +
    'wall latency is inflated and noisy; CPU per request (user + system time of the one workerd process serving the target, /proc, 10 ms ticks, ' +
    'over the round) is the steadier figure; "of which main thread" is the thread that runs the isolates and the HTTP server (the rest is V8\'s helper threads, mostly concurrent GC marking). ' +
    'Every Worker runs in its own Miniflare (one workerd each, the Miniflare entry worker included: bypassing it with a direct socket took about 0.5 ms off a cached 1,000-passage call and off the bare route alike in a trial run, so it is left in); ' +
    ISOLATE_NOTE + ' ' +
    'the worker with its default access log on (as deployed). Passages: 300–2,000 characters (mean ≈ 1,150), bench/lib/passages.ts. ' +
    'The backend is a stand-in that answers at once in vLLM 0.13\'s reply shape, documents echoed (bench/lib/instant-backend.ts: no tokenizer, so its own cost does not drown the proxies\'). Median (min–max) over rounds.')
  lines.push('')
  lines.push('### Cached calls (every pair in the isolate\'s memory) vs a bare route answering the same bytes')
  lines.push('')
  lines.push('Bare route: a Worker in its own Miniflare that reads and `JSON.parse`s the same request body and answers a fixed JSON body of exactly the size of the worker\'s answer (checked). Latency: 1 connection, client-timed; throughput: 8 connections, ' + THROUGHPUT_MS + ' ms per side per round (worker and bare route in alternating order).')
  lines.push('')
  lines.push('| call | worker CPU ms/req | of which main thread | bare CPU ms/req | worker − bare CPU | worker p50 ms | bare p50 ms | throughput worker / bare (8 conns) |')
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const s of CACHED) {
    const c = cached[s.name]!
    lines.push(`| ${s.label} | ${col(c.worker, 'cpu', 3)} | ${col(c.worker, 'cpuMain', 3)} | ${col(c.bare, 'cpu', 3)} | ${diff(c.worker, c.bare, 'cpu')} | ${col(c.worker, 'p50', 3)} | ${col(c.bare, 'p50', 3)} | ${c.workerTp.length ? `**${ratio(c.workerTp, c.bareTp, 'rps')}×** (${fmt(c.workerTp.map((x) => x.rps), 0)} / ${fmt(c.bareTp.map((x) => x.rps), 0)} req/s)` : '—'} |`)
  }
  lines.push('')
  lines.push(`The access log's share (logging is on by default): the first row's call on a worker with \`LOG_REQUESTS=false\` costs ${col(noLogCached, 'cpu', 3)} ms CPU (p50 ${col(noLogCached, 'p50', 3)} ms).`)
  lines.push('')
  lines.push(`In an isolate that also serves misses, as a deployed one does: the third row's call (1,000 realistic passages, \`/v2/rerank\`) on the miss rows' worker, right after its misses each round, costs ${col(mixedCached, 'cpu', 3)} ms CPU (p50 ${col(mixedCached, 'p50', 3)} ms), against ${col(cached.c1000v2!.worker, 'cpu', 3)} ms on the worker that serves only cached calls (not broken down here: what the misses leave behind in the isolate is charged to the cached call).`)
  lines.push('')
  lines.push('### The miss path, 1,000 documents per call')
  lines.push('')
  lines.push(`"Real miss": fresh documents on every request (nothing cached can match), memory tier only (no KV binding); \`no-store\`: the same 1,000 documents every time, cache bypassed; forward-only Worker: sent the exact formatted vLLM body for fresh documents (what the worker builds), it reads it, POSTs it to the backend and returns the reply. ${MISS_N} calls per target per round, \`/v2/rerank\`.`)
  lines.push('')
  lines.push('| target | CPU ms/req | of which main thread | p50 ms |')
  lines.push('|---|---:|---:|---:|')
  const missLabel: Record<MissTarget, string> = {
    miss: 'worker, real miss, 300–2,000-char passages (default `BACKEND_BATCH_SIZE` 256: 4 upstream calls of 250)',
    missBatch128: 'same, `BACKEND_BATCH_SIZE=128` (the default before 2026-12-03: 8 calls of 125)',
    missOneCall: 'same, `BACKEND_BATCH_SIZE=1000` (one upstream call)',
    noStore: 'worker, `Cache-Control: no-store`, same passages',
    forward: 'forward-only Worker, same-size formatted body',
    missShort: 'worker, real miss, 250-char passages',
    missShortBatch128: 'same, `BACKEND_BATCH_SIZE=128`',
    missShortOneCall: 'same, `BACKEND_BATCH_SIZE=1000` (one upstream call)',
    missShortNoLog: 'worker, real miss, 250-char passages, `LOG_REQUESTS=false`',
    forwardShort: 'forward-only Worker, 250-char passages',
    kvCached: 'worker, the same 1,000 300–2,000-char passages every time, served from the local KV tier alone (`CACHE_MEMORY_BYTES=0`: a cold isolate; 1 read of the scope per call)',
    missKv: 'worker, real miss, 300–2,000-char passages, with the local KV tier (1,000 pair digests; 1 read of the scope\'s value, full at 4,096 pairs after the first rounds, and 1 write in `waitUntil`, paced since c79ca8d to one per scope per second: 12 back-to-back calls on one query now send about one write a second, the others merged into it; the KV simulator runs in the same workerd)',
  }
  for (const t of Object.keys(miss) as MissTarget[]) lines.push(`| ${missLabel[t]} | ${col(miss[t], 'cpu', 2)} | ${col(miss[t], 'cpuMain', 2)} | ${col(miss[t], 'p50', 1)} |`)
  lines.push('')
  lines.push(`Worker code on a real 1,000-document miss, over the forward-only Worker in the same runtime: **${diff(miss.miss, miss.forward, 'cpu')} ms CPU** (250-char passages: ${diff(miss.missShort, miss.forwardShort, 'cpu')} ms).`)
  lines.push('')
  lines.push('### Worker vs a forward-only Worker vs Portkey, 100 fresh passages per call')
  lines.push('')
  lines.push('Each call carries 100 passages never sent before (a real miss for the worker). Direct: the backend stand-in called with the formatted body. Forward-only Worker and Portkey\'s gateway 1.15.2 (bench/peer, `x-portkey-custom-host`) receive the formatted body the worker would send; the worker receives `{query, documents}` on `/v1/rerank` with `return_documents: false`. 2 s per target per round, order rotated each round. "Added" = target p50 − direct p50 in the same round. Portkey CPU is its Node process; the Workers\' is their workerd.')
  lines.push('')
  lines.push('| connections | direct p50 ms | forward-only added p50 | worker added p50 | worker − forward-only p50 | Portkey added p50 | CPU ms/req forward-only / worker / Portkey | worker − forward-only CPU | req/s direct / forward-only / worker / Portkey |')
  lines.push('|---|---:|---:|---:|---:|---:|---|---:|---|')
  for (const conns of ['1', '8']) {
    const p = peers[conns]!
    lines.push(`| ${conns} | ${col(p.direct, 'p50', 2)} | ${diff(p.forward, p.direct, 'p50')} | **${diff(p.worker, p.direct, 'p50')}** | **${diff(p.worker, p.forward, 'p50')}** | **${diff(p.portkey, p.direct, 'p50')}** | ${median(p.forward.map((x) => x.cpu)).toFixed(2)} / ${median(p.worker.map((x) => x.cpu)).toFixed(2)} / ${median(p.portkey.map((x) => x.cpu)).toFixed(2)} | ${diff(p.worker, p.forward, 'cpu')} | ${median(p.direct.map((x) => x.rps)).toFixed(0)} / ${median(p.forward.map((x) => x.rps)).toFixed(0)} / ${median(p.worker.map((x) => x.rps)).toFixed(0)} / ${median(p.portkey.map((x) => x.rps)).toFixed(0)} |`)
  }
  lines.push('')
  lines.push(`Failed requests during the measured rounds: ${failures}.`)
  lines.push('')
  const m = (xs: Sample[], k: keyof Sample) => median(xs.map((x) => x[k] as number))
  // Each verdict reads the median's distribution-free interval over the paired rounds
  // (bench/lib/stats.ts `budgetVerdict`): a figure whose interval straddles its budget is
  // "undecided", not met or missed by the luck of one median.
  const v = (xs: Sample[], k: keyof Sample, bound: number, digits = 1) => budgetVerdict(xs.map((x) => x[k] as number), bound, 'max', digits)
  const tp = (w: Sample[], b: Sample[]) => budgetVerdict(w.map((x, i) => x.rps / (b[i]?.rps ?? Number.NaN)), 0.7, 'min', 3)
  const c = cached
  lines.push('### Targets (CPU and latency budgets), from this run')
  lines.push('')
  lines.push(`Each verdict: met or not met when the median's ${Math.round(medianInterval(miss.miss.map((x) => x.cpu)).coverage * 1000) / 10} % interval over the ${ROUNDS} paired rounds (the sign-test interval, bench/lib/stats.ts) lies wholly on one side of the budget; undecided when it straddles it.`)
  lines.push('')
  lines.push(`- 1,000-document miss ≤ 10 ms CPU in workerd: with 300–2,000-character passages ${v(miss.miss, 'cpu', 10)} ms (the forward-only Worker alone needs ${m(miss.forward, 'cpu').toFixed(1)} ms for the same bytes); with 250-character passages ${v(miss.missShort, 'cpu', 10)} ms (forward-only ${m(miss.forwardShort, 'cpu').toFixed(1)} ms).`)
  lines.push(`- Cached 1,000-document call ≤ 3 ms CPU: with realistic passages ${v(c.c1000v2!.worker, 'cpu', 3)} ms (the bare route reading the same 1.2 MB body: ${m(c.c1000v2!.bare, 'cpu').toFixed(1)} ms); with 250-character passages ${v(c.c1000s!.worker, 'cpu', 3)} ms (bare ${m(c.c1000s!.bare, 'cpu').toFixed(1)} ms).`)
  lines.push(`- Cached 100-document call on \`/v1/rerank\`, realistic passages, ≤ 1.5 ms p50: ${v(c.c100v1!.worker, 'p50', 1.5, 2)} ms (client-timed on the shared machine); ≤ 1 ms CPU: ${v(c.c100v1!.worker, 'cpu', 1, 2)} ms (the bare route ${m(c.c100v1!.bare, 'cpu').toFixed(2)} ms).`)
  lines.push(`- ≥ 0.7× the throughput of the same-size bare route (8 connections, ratio per round): on \`/v1/rerank\` ${tp(c.c100v1!.workerTp, c.c100v1!.bareTp)}; on \`/v2/rerank\` ${tp(c.c100v2!.workerTp, c.c100v2!.bareTp)}.`)
  lines.push('')
  lines.push(...WHERE_CPU_GOES.split('\n'))
  lines.push(...(await savingsSection()))
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/rerank-cpu.md', lines.join('\n') + '\n')
  console.log(lines.join('\n'))
  // The run-to-run table compares runs of different days and commits, so no run can write it.
  console.log('\nAdd this run\'s row to bench/results/rerank-cpu.runs.md (kept by hand), then `npm run bench -- none` to reassemble BENCHMARKS.md.')
}

/**
 * Why each group of rows has its own worker. Measured with a throwaway harness (two workers of the
 * same bundle, cached 1,000 realistic passages on `/v2/rerank`, 9 paired rounds of 40 calls).
 */
const ISOLATE_NOTE =
  'Each group of rows runs on its own worker (the cached rows at 1 connection, their throughput phases, the misses, the peer comparison; likewise two bare routes and two forward-only Workers), so that a row\'s CPU includes the garbage collection its own traffic causes and not the debt that other rows left on a shared heap: until 2026-12-03 one worker served every row, and in a trial that evening a cached 1,000-passage call cost 1.52× (1.09–2.77×, 9 paired rounds) as much CPU right after a 4-second 8-connection phase on the same isolate as on an isolate serving only cached calls (runs before 23:00 in the run-to-run table were measured that way; the "isolate that also serves misses" line below keeps a shared-heap figure).'

/** From bench/lib/workerd-profile.ts runs (profiles are not re-taken by this bench: update by hand). */
const WHERE_CPU_GOES = `### Where the CPU goes (V8 profiles inside workerd)

\`[DOCS=1000] [CHARS=…] [ROUTE=/v2/rerank] [CALLS=…] npx tsx bench/lib/workerd-profile.ts <cached|miss> out.cpuprofile\` (Miniflare with the inspector, 100 µs sampling requested, after 20 warm-up calls; shares of the samples of the worker's isolate, inclusive unless "self"), taken at 7de1cd4 + the token-bound commit after it, the same day as the run above. The inspector inflates \`console.log\` and timers, so the access log's and the body deadline's shares are upper bounds.

- Cached 1,000 realistic passages, \`/v2/rerank\` (60 calls): reading the request body 51 % (its UTF-8 decode alone 36 %: the body holds some non-ASCII text, which takes workerd's slow decoder path; the bare route pays the same), the score cache 17 % (of which 13 % is hashing each document string once, which the memory tier's lookups then reuse), the route's own work and response 8 %, sorting 3.4 %, the access log 3 %, prepare 2.4 % (the token budget is no longer run on a hit: it was 31 % of this call before e242afd), validation 0.7 %.
- Real miss, 1,000 realistic passages (60 calls): the upstream call 22 % (writing its body 12 %, reading vLLM's 1.3 MB reply with every document echoed 6 %), reading the request 17 % (decode 12 %), native runtime work (\`(program)\`) 11 %, the cache 10 % (memory-tier inserts and evictions 7 %, hashing 6 %), GC 7.6 %, the token budget on what is sent 4 % (its byte bound 3.9 %), the per-pair token split 2.3 %.
- Real miss, 1,000 passages of 250 characters (60 calls): the upstream call 22 % (body 11 %, reply 10 %), memory-tier inserts and evictions 11 %, hashing 8 %, \`(program)\` 8 %, request read 7 %.
- Cached 100 realistic passages, \`/v1/rerank\` (300 calls): reading the body 28 % (decode 13 %, its deadline timer up to 7 %), the route 29 % (of which \`JSON.stringify\` of the 115 KB answer with documents 11 % self), the access log up to 14 %, the Hono middleware chain (request id, CORS, auth, rate limit, config) about 9 % of its own, the score cache 5 %.

Profile shares are not CPU: a cached 1,000-passage call left about 2.6 ms of samples in the worker's isolate against 7–9 ms of process CPU; the rest is workerd's own work (HTTP, streams, the Miniflare entry worker) and V8's helper threads, which the bare route pays too. Two trials on 2026-12-03 with patched builds (not kept) measured process CPU instead, and corrected the profiles:

- Hashing each document ("13 %" above) is cheaper than its share suggests. Replacing V8's hash of the whole text by a 48-character fingerprint confirmed by string comparison gained nothing (one run, the two builds side by side, 11 paired rounds, median ratio of process CPU: cached 1,000 passages 1.09×, cached 1,000 of 250 characters 1.11×, a 250-character miss 1.08×, a realistic miss 0.98×, where an A/A run of the same harness gave 0.94–1.07×), and a loop inside workerd put V8's hash of 1,000 such passages at about 0.15–0.3 ms. Reverted.
- Cutting the call short after each step (one worker, so one heap; a real miss of 1,000 fresh 250-character passages, 5 rounds of 20 calls, at 53873d7): reading and validating the request 3.0 ms CPU, then the cache lookups +1.5, fitting and claiming the pairs +0.5, writing the upstream bodies +1.5, the 4 upstream calls with their replies +5.0, storing the scores and answering +2.5: 14 ms in all, where the forward-only Worker spends 6.7 ms on the same bytes. Upstream calls cost more than their profile share: with 8 calls of 125 (the default \`BACKEND_BATCH_SIZE\` of 128 before that commit) the same miss took about 5 ms more CPU than with one call, and a Worker that only splits and forwards measured 0.28 ms per extra call. Hence the default of 256 with even batches (the "batch size" rows above).
- Reading vLLM's reply (a loop inside workerd over the 1.2 MB reply that echoes 1,000 realistic passages, 7 rounds): decoding it and scanning the text took 3.4–4.3 ms, scanning its bytes without decoding them 1.6–1.7 ms (250-character passages: 1.8–2.0 vs 0.9–1.2 ms); the scanner reads bytes since f200581. The same kind of loop found nothing to gain in writing the upstream body: sending a document that needs no escape without \`JSON.stringify\` (a regular-expression check instead) took 2.9 ms for 1,000 realistic passages against 2.7 ms, so it was not kept.
- Calls into the runtime's text encoder have a fixed cost: in a loop inside workerd, writing the comma between documents of the upstream body as a byte instead of an \`encodeInto\` call took the body of 1,000 250-character passages from 1.17–1.30 to 0.74–0.81 ms (median of 9 interleaved rounds, three runs; realistic passages: within noise), kept since 90d75d9. Joining 32 documents per \`encodeInto\` call instead was no faster with 250-character passages and twice as slow with realistic ones (the joined text turns two-byte once one passage holds a character above U+00FF, and each such passage then needs its UTF-8 length counted separately), so not kept.
- The SHA-256 pair digests a KV-backed call needs (one per passage the isolate lacks; cache-key bench: ~6 µs per 1,000-character passage) through \`node:crypto\` instead (synchronous, each continuing a copy of a hash that has taken the scope digest), with the lone-surrogate check by \`String.prototype.isWellFormed\` instead of a regular expression: in a loop inside workerd over 1,000 passages, 15 paired rounds, new / old median 1.06 with realistic passages and 1.02 with 250-character ones. No gain; not kept.
- A real miss with the local KV tier, before 2026-12-03 (one KV key per pair; 6 calls of 1,000 fresh 250-character passages, profile of the worker's isolate only: the KV simulator's own work runs in the same workerd but outside these samples): the 900 edge writes in \`waitUntil\` took about 40 % of the isolate's samples, nearly all inside the binding's \`put\`, and the SHA-256 edge keys of the 1,000 pairs about 10 %. Besides CPU, KV bills and limits per key: 900 writes are most of the free plan's 1,000 writes a day. Since 305ffe1 the edge tier keeps one value per scope (tenant, model, instruction, query, budget) holding every pair scored under it as 32-byte binary records (src/cache/score-bucket.ts): one read and at most one write per call. Measured the same day with a throwaway harness (not in the repository), the old and new bundles side by side with the local KV bound and the memory tier off (\`CACHE_MEMORY_BYTES=0\`), 800 passages of 250 characters, process CPU per call (the local KV simulator's work included, which is most of the old figure; on Cloudflare it runs elsewhere): one miss 1,120 → 80 ms, each of four repeats served from KV 160–260 → 10–20 ms (one probe, 10 ms ticks; Cache-Status \`edge-reads=8 edge-writes=800\` → \`edge-reads=1 edge-writes=1\`); in paired rounds of repeats served from KV (5 rounds of 40 calls, 20 for the longer passages; median ratio new / old) 0.045 for 250-character passages, 0.08 for 300–2,000-character ones. The pair digests (SHA-256) are still computed for the pairs that reach KV. The KV rows of the miss table above measure the new design; what Cloudflare's KV costs in CPU and latency is not measurable here.
`

/**
 * What the cache saved, as a response and /v1/stats report it: the fake vLLM (real Qwen3
 * tokenizer, vLLM's usage per request), 100 realistic passages in batches of 32, a miss then the
 * same call again, CACHE_GPU_TOKENS_PER_SECOND set to an illustrative 9,000.
 */
async function savingsSection(): Promise<string[]> {
  const fake = await spawnFakeVllm({})
  const w = await startWorker({ vars: { VLLM_URLS: `${fake.url}/i/savings`, VLLM_MODEL: MODEL, BACKEND_BATCH_SIZE: '32', CACHE_GPU_TOKENS_PER_SECOND: '9000' }, kv: false, quiet: true })
  try {
    const body = JSON.stringify({ query: QUERY, documents: Array.from({ length: 100 }, (_, i) => realisticPassage(900_000 + i)), return_documents: false })
    const call = async () => (await (await fetch(`${w.url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { usage: Record<string, number>; meta: { cache: unknown; cache_savings: unknown } }
    const first = await call()
    const second = await call()
    const stats = (await (await fetch(`${w.url}/v1/stats`)).json()) as { cache_savings: unknown }
    return [
      '### Tokens and GPU time the cache saved, as reported',
      '',
      'The fake vLLM (test/fakes/fake-vllm.ts: the real Qwen3 tokenizer, `usage.prompt_tokens` per request as vLLM 0.13), 100 passages at most 32 a call (4 backend requests of 25), `CACHE_GPU_TOKENS_PER_SECOND=9000` (an illustrative rate, not a measurement), the same call twice:',
      '',
      '```',
      `miss:   usage ${JSON.stringify(first.usage)}`,
      `        meta.cache_savings ${JSON.stringify(first.meta.cache_savings)}`,
      `repeat: usage ${JSON.stringify(second.usage)}`,
      `        meta.cache ${JSON.stringify(second.meta.cache)} meta.cache_savings ${JSON.stringify(second.meta.cache_savings)}`,
      `GET /v1/stats → cache_savings ${JSON.stringify(stats.cache_savings)}`,
      '```',
      '',
      `The repeat saved exactly the prompt tokens the miss reported (${second.usage.cached_prompt_tokens} = ${first.usage.prompt_tokens}: ${second.usage.cached_prompt_tokens === first.usage.prompt_tokens ? 'yes' : 'NO'}).`,
    ]
  } finally {
    await w.dispose()
    await fake.kill('SIGTERM')
  }
}

await main()
