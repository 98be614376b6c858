/**
 * Bounded load test on loopback: the worker in Miniflare (one workerd, real local KV, D1, the
 * RATE_LIMITER binding and API-key auth on every call, the access log on) in front of the fake
 * vLLM server with a small GPU cost, 60 s at 32 connections over a mix of fully cached calls (80%)
 * and cold calls (20%, 20 new pairs each). Reports throughput, p50/p99 and failed requests, with
 * GET /healthz on the same worker as the in-run baseline. Then the fault runs: the shared edge
 * store (SCORE_CACHE) replaced by a binding whose every call throws, with and without the
 * in-isolate memory tier; every request must still succeed.
 *
 *   npm run bench -- load-mixed          (LOAD_SECONDS=60 LOAD_CONNECTIONS=32 by default)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import autocannon from 'autocannon'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { startFakeVllm } from '../test/fakes/fake-vllm'
import { fmt, median } from './lib/stats'
import { buildWorker } from './lib/worker-under-test'

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60)
const FAULT_SECONDS = Math.max(5, Math.round(SECONDS / 3))
const BASELINE_SECONDS = Math.max(5, Math.round(SECONDS / 6))
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 32)
const DOCS_PER_CALL = 20
const HOT_QUERIES = 100
/** One request in MISS_EVERY is a cold call (new query: every pair a miss). */
const MISS_EVERY = 5
const GPU = { msPerRequest: 2, msPerToken: 0.005, concurrency: 8 }
const API_KEY = 'load-test-key-not-secret'
const OVERHEAD_ROUNDS = 3
const OVERHEAD_SECONDS = 5

const TOPICS = ['capital', 'river', 'mountain', 'language', 'currency', 'festival', 'railway', 'museum', 'climate', 'harbour']
const DOCS = Array.from({ length: DOCS_PER_CALL }, (_, i) => {
  const t = TOPICS[i % TOPICS.length] as string
  return `Document ${i} about the ${t} of region ${i * 7}: a paragraph long enough to look like a real passage, mentioning the ${t}, its history, and why travellers ask about the ${t} of region ${i * 7}.`
})
const hotBody = (i: number) => JSON.stringify({ query: `which ${TOPICS[i % TOPICS.length]} is in region ${i}?`, documents: DOCS, top_n: 5 })
const HOT = Array.from({ length: HOT_QUERIES }, (_, i) => hotBody(i))

const FAILING_KV = /* js */ `
import { WorkerEntrypoint } from 'cloudflare:workers'
const fail = () => { throw new Error('SCORE_CACHE unavailable (injected fault)') }
export class FailingKv extends WorkerEntrypoint {
  async get() { fail() }
  async getWithMetadata() { fail() }
  async put() { fail() }
  async delete() { fail() }
  async list() { fail() }
}
export default { fetch: () => new Response('failing kv') }
`

interface Scenario {
  name: string
  kv: 'local' | 'none' | 'failing'
  memoryTier: boolean
  /** Open deployment with the access log off: the worker without this section's middleware costs. */
  bare?: boolean
  /** Leave the RATE_LIMITER binding out (the middleware then skips the binding call). */
  noLimiter?: boolean
}

async function startWorker(vllmUrl: string, scenario: Scenario, onLog: (message: string) => void): Promise<{ url: string; dispose: () => Promise<void> }> {
  const apiKeys = JSON.stringify([
    { id: 'load', hash: `sha256:${await sha256Hex(API_KEY)}`, tenant: 'load', scopes: ['rerank', 'stats'] },
  ])
  const main = {
    name: 'rerank-edge',
    modules: true,
    scriptPath: buildWorker(),
    compatibilityDate: '2026-08-01',
    compatibilityFlags: ['nodejs_compat'],
    d1Databases: ['DB'],
    ...(scenario.noLimiter ? {} : { ratelimits: { RATE_LIMITER: { namespace_id: '1001', simple: { limit: 100_000_000, period: 60 as const } } } }),
    bindings: {
      VLLM_URLS: vllmUrl,
      VLLM_MODEL: 'qwen3-reranker-8b',
      ...(scenario.bare ? { LOG_REQUESTS: 'false' } : { API_KEYS: apiKeys }),
      ...(scenario.memoryTier ? {} : { CACHE_MEMORY_BYTES: '0' }),
    },
    ...(scenario.kv === 'local' ? { kvNamespaces: ['SCORE_CACHE'] } : {}),
    ...(scenario.kv === 'failing' ? { serviceBindings: { SCORE_CACHE: { name: 'failing-kv', entrypoint: 'FailingKv' } } } : {}),
  }
  const workers = scenario.kv === 'failing' ? [main, { name: 'failing-kv', modules: true, script: FAILING_KV, compatibilityDate: '2026-08-01' }] : [main]
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      // The access log stays on (as deployed); its lines are counted here instead of printed.
      handleStructuredLogs: (log: { message?: string }) => onLog(String(log.message ?? '')),
      workers,
    } as Parameters<typeof convertV4MiniflareOptions>[0])
  )
  const url = (await mf.ready).toString().replace(/\/$/u, '')
  return { url, dispose: () => mf.dispose() }
}

async function sha256Hex(s: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s))
  return Buffer.from(d).toString('hex')
}

interface RunResult {
  rps: number
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  pairHits: number
  pairMisses: number
  edgeFailureResponses: number
}

const headerOf = (headers: unknown, name: string): string | undefined => {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length - 1; i += 2) if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1])
    return undefined
  }
  // autocannon passes {RawName: value} (the server's spelling), so compare names case-insensitively.
  if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (k.toLowerCase() === name) return String(v)
  }
  return undefined
}

async function mixedRun(url: string, seconds: number, missPrefix: string): Promise<RunResult> {
  let n = 0
  let pairHits = 0
  let pairMisses = 0
  let edgeFailureResponses = 0
  const result = await autocannon({
    url: `${url}/v1/rerank`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    requests: [
      {
        method: 'POST',
        setupRequest: (req: autocannon.Request) => {
          const i = n++
          req.body = i % MISS_EVERY === MISS_EVERY - 1
            ? JSON.stringify({ query: `${missPrefix} cold query ${i} about a harbour`, documents: DOCS, top_n: 5 })
            : (HOT[(i * 7) % HOT_QUERIES] as string)
          return req
        },
        onResponse: (status: number, body: string, _context: unknown, headers: unknown) => {
          if (status !== 200) return
          const m = /"cache":\{"hits":(\d+),"misses":(\d+)\}/u.exec(body)
          if (m) {
            pairHits += Number(m[1])
            pairMisses += Number(m[2])
          }
          if (/edge-failures=\d+/u.test(headerOf(headers, 'cache-status') ?? '')) edgeFailureResponses++
        },
      } as autocannon.Request,
    ],
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    pairHits,
    pairMisses,
    edgeFailureResponses,
  }
}

/** Fully cached calls only (the hot bodies), to isolate per-request middleware costs. */
async function hotRun(url: string, seconds: number, withKey = true): Promise<RunResult> {
  let n = 0
  const r = await autocannon({
    url: `${url}/v1/rerank`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...(withKey ? { authorization: `Bearer ${API_KEY}` } : {}) },
    requests: [
      {
        method: 'POST',
        setupRequest: (req: autocannon.Request) => {
          req.body = HOT[(n++ * 7) % HOT_QUERIES] as string
          return req
        },
      } as autocannon.Request,
    ],
  })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts, pairHits: 0, pairMisses: 0, edgeFailureResponses: 0 }
}

async function baselineRun(url: string, seconds: number): Promise<RunResult> {
  const r = await autocannon({ url: `${url}/healthz`, connections: CONNECTIONS, duration: seconds })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts, pairHits: 0, pairMisses: 0, edgeFailureResponses: 0 }
}

/** Sends every hot body once (8 at a time) so the measured hot calls are fully cached. */
async function warm(url: string): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }
  for (let i = 0; i < HOT.length; i += 8) {
    await Promise.all(
      HOT.slice(i, i + 8).map(async (body) => {
        const r = await fetch(`${url}/v1/rerank`, { method: 'POST', headers, body })
        if (r.status !== 200) throw new Error(`warm-up failed: ${r.status} ${await r.text()}`)
        await r.arrayBuffer()
      })
    )
  }
  const check = await fetch(`${url}/v1/rerank`, { method: 'POST', headers, body: HOT[0] as string })
  const json = (await check.json()) as { meta: { cache: { hits: number; misses: number } } }
  console.log(`  warm check: ${JSON.stringify(json.meta.cache)}`)
}

const fmtRow = (name: string, r: RunResult, seconds: number, extra = '') =>
  `| ${name} | ${seconds} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${extra} |`

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] as number
  const fake = await startFakeVllm({ ...GPU, record: false })
  const vllmUrl = `${fake.url}/i/load`
  const rows: string[] = []
  const notes: string[] = []
  const overhead: string[] = []
  let logLines = 0
  const onLog = (m: string) => {
    if (m.includes('"msg":"request"')) logLines++
  }
  let failedTotal = 0
  try {
    // 1. Normal: local KV + memory tier.
    console.log('load-mixed: normal run')
    const w = await startWorker(vllmUrl, { name: 'normal', kv: 'local', memoryTier: true }, onLog)
    try {
      await warm(w.url)
      const base = await baselineRun(w.url, BASELINE_SECONDS)
      console.log(`  baseline /healthz: ${base.rps.toFixed(0)} req/s p50 ${base.p50} ms`)
      logLines = 0
      const mixed = await mixedRun(w.url, SECONDS, 'normal')
      console.log(`  mixed: ${mixed.rps.toFixed(0)} req/s p50 ${mixed.p50} ms p99 ${mixed.p99} ms non2xx ${mixed.non2xx} errors ${mixed.errors}`)
      failedTotal += mixed.non2xx + mixed.errors
      const hitRatio = mixed.pairHits / Math.max(1, mixed.pairHits + mixed.pairMisses)
      rows.push(fmtRow('GET /healthz (baseline, same worker)', base, BASELINE_SECONDS, '—'))
      rows.push(
        fmtRow(
          'POST /v1/rerank, 80% cached / 20% cold',
          mixed,
          SECONDS,
          `pair hit ratio ${(hitRatio * 100).toFixed(1)}%; ${(mixed.rps / base.rps).toFixed(2)}× baseline req/s; ${logLines} access-log lines`
        )
      )
      notes.push(`access-log lines during the mixed run: ${logLines} for ${mixed.requests} requests (one per request; autocannon counts only completed ones)`)
    } finally {
      await w.dispose()
    }

    // 1a. What access control, the rate limiter and the access log cost: fully cached calls only,
    // an open quiet worker against a keyed, limited, logging one, interleaved rounds.
    console.log('load-mixed: middleware overhead (hot calls only)')
    const bare = await startWorker(vllmUrl, { name: 'bare', kv: 'local', memoryTier: true, bare: true }, onLog)
    const keyed = await startWorker(vllmUrl, { name: 'keyed', kv: 'local', memoryTier: true }, onLog)
    const keyedNoLimiter = await startWorker(vllmUrl, { name: 'keyed, no limiter', kv: 'local', memoryTier: true, noLimiter: true }, onLog)
    try {
      const workers = [bare, keyedNoLimiter, keyed]
      for (const w of workers) await warm(w.url)
      const runs: RunResult[][] = workers.map(() => [])
      for (let round = 0; round < OVERHEAD_ROUNDS; round++) {
        for (const [i, w] of workers.entries()) runs[i]?.push(await hotRun(w.url, OVERHEAD_SECONDS))
      }
      failedTotal += runs.flat().reduce((n, r) => n + r.non2xx + r.errors, 0)
      const rps = (rs: RunResult[]) => rs.map((r) => r.rps)
      const p50 = (rs: RunResult[]) => rs.map((r) => r.p50)
      const base = median(rps(runs[0] ?? []))
      const labels = ['open, access log off (reference)', 'API key + access log, no RATE_LIMITER binding', 'API key + RATE_LIMITER + access log (as deployed)']
      for (const [i, label] of labels.entries()) {
        const rs = runs[i] ?? []
        overhead.push(`| ${label} | ${fmt(rps(rs), 0)} | ${(median(rps(rs)) / base).toFixed(2)} | ${fmt(p50(rs), 0)} |`)
      }
      console.log(`  ${overhead.join('\n  ')}`)
    } finally {
      for (const w of [bare, keyed, keyedNoLimiter]) await w.dispose()
    }

    // 1b. The same mix without the KV tier: what Miniflare's local KV simulator costs.
    console.log('load-mixed: memory tier only (no SCORE_CACHE binding)')
    const m = await startWorker(vllmUrl, { name: 'memory only', kv: 'none', memoryTier: true }, onLog)
    try {
      await warm(m.url)
      const r = await mixedRun(m.url, FAULT_SECONDS, 'memonly')
      console.log(`  ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms non2xx ${r.non2xx} errors ${r.errors}`)
      failedTotal += r.non2xx + r.errors
      const hitRatio = r.pairHits / Math.max(1, r.pairHits + r.pairMisses)
      rows.push(fmtRow('Same mix, no SCORE_CACHE binding (memory tier only)', r, FAULT_SECONDS, `pair hit ratio ${(hitRatio * 100).toFixed(1)}%`))
    } finally {
      await m.dispose()
    }

    // 2. Faults: the edge store throws on every call.
    for (const scenario of [
      { name: 'SCORE_CACHE throws on every call, memory tier on', kv: 'failing', memoryTier: true },
      { name: 'SCORE_CACHE throws on every call, memory tier off', kv: 'failing', memoryTier: false },
    ] as const) {
      console.log(`load-mixed: fault run — ${scenario.name}`)
      const f = await startWorker(vllmUrl, scenario, onLog)
      try {
        await warm(f.url)
        const r = await mixedRun(f.url, FAULT_SECONDS, scenario.memoryTier ? 'fault-mem' : 'fault-nomem')
        console.log(`  ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms non2xx ${r.non2xx} errors ${r.errors} edge-failure responses ${r.edgeFailureResponses}`)
        failedTotal += r.non2xx + r.errors
        const hitRatio = r.pairHits / Math.max(1, r.pairHits + r.pairMisses)
        rows.push(
          fmtRow(
            `Fault: ${scenario.name}`,
            r,
            FAULT_SECONDS,
            `pair hit ratio ${(hitRatio * 100).toFixed(1)}%; ${r.edgeFailureResponses} responses report edge-failures in Cache-Status`
          )
        )
        if (r.edgeFailureResponses === 0) throw new Error(`fault run "${scenario.name}" saw no store failures: the fault was not injected`)
      } finally {
        await f.dispose()
      }
    }
  } finally {
    await fake.close()
  }

  const md = `## Load: mixed cached/cold traffic, and the edge store failing

Command: \`npm run bench -- load-mixed\` (bench/load-mixed.bench.ts; \`LOAD_SECONDS\`, \`LOAD_CONNECTIONS\` override).
Measured ${new Date().toISOString().slice(0, 10)} on loopback, ${availableParallelism()} CPU cores shared by the load generator
(autocannon), the worker (Miniflare, one workerd) and the fake vLLM server; Node ${process.version}.
1-minute load average ${loadBefore.toFixed(1)} before and ${(loadavg()[0] as number).toFixed(1)} after the runs (other work shared the machine when above the core count).

Setup: every call carries an API key (SHA-256 lookup) and passes the RATE_LIMITER binding (limit set
out of reach), and the access log writes one JSON line per request, as deployed. ${CONNECTIONS} connections.
Each rerank call has ${DOCS_PER_CALL} candidates (~200 characters) and \`top_n: 5\`; 4 of 5 calls repeat one of ${HOT_QUERIES}
warmed queries (every pair cached), 1 of 5 is a new query (every pair forwarded). The fake GPU costs
${GPU.msPerRequest} ms per request (${GPU.concurrency} requests at a time) + ${GPU.msPerToken} ms per token, the tokens of all requests
through one queue (one GPU: concurrent requests do not multiply its prefill throughput).
Latencies in ms (autocannon, per request); "failed" = non-2xx responses, "errors" = socket errors and timeouts.

| run | s | requests | req/s | p50 | p99 | non-2xx | errors | notes |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

**Failed requests in all runs: ${failedTotal}.**

What access control, rate limiting and the access log cost (fully cached calls only, ${CONNECTIONS} connections,
${OVERHEAD_ROUNDS} interleaved rounds of ${OVERHEAD_SECONDS} s each on three workers running side by side; median (min–max)):

| worker | req/s | ratio | p50 ms |
|---|---|---|---|
${overhead.join('\n')}

In Miniflare most of the keyed path's cost is the RATE_LIMITER call (a call into Miniflare's
rate-limit simulator); the key lookup (one SHA-256 and a 32-byte compare per configured key) and the
log line cost little next to it. What the binding costs on Cloudflare's network is not measured here.

- The KV tier runs on Miniflare's local KV simulator (SQLite and files on this disk): every cold call
  reads and writes its scope's value, one KV key per scope since 2026-12-03 (with one key per pair,
  20 writes per cold call, the as-deployed row ran at 0.04× the baseline on 2026-11-25: the writes
  queued behind each other). The memory-tier-only row shows the worker's own cost on the same mix;
  production KV is a different system, so only the zero-failure result carries over, not the
  KV-bound figures.
- The baseline is GET /healthz on the same worker in the same run (public route: no key lookup,
  no body); the mixed run's throughput is stated as a ratio of it.
- Fault runs replace \`SCORE_CACHE\` with a service binding whose get/put/list all throw (a Miniflare
  worker, \`FailingKv\`). The score cache counts the failures (\`edge-failures=N\` in \`Cache-Status\`) and
  serves anyway: from the memory tier when it has the pairs, else from the backend.
  With the memory tier off every call is a cold call (all pairs forwarded), hence the lower throughput.
- Single runs (60 s and ${FAULT_SECONDS} s); on this shared 2-core machine figures move by tens of percent between
  runs; the zero-failure result is the point of this section.
${notes.map((n) => `- ${n}`).join('\n')}
`
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/load-mixed.md', md)
  console.log(md)
  if (failedTotal > 0) {
    console.error(`load-mixed: ${failedTotal} failed requests`)
    process.exit(1)
  }
}

await main()
