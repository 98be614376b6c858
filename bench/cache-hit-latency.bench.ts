/**
 * (b) A fully cached 100-candidate rerank call versus a bare route (`GET /healthz`) of the same
 * worker in the same Miniflare runtime (one workerd, no wrangler dev proxy): latency (sequential
 * calls on one keep-alive connection, timed by the client) and throughput (autocannon, 8
 * connections), interleaved run by run so that machine noise hits both alike.
 *
 *   npm run bench -- cache-hit-latency
 */
import { Agent, request } from 'node:http'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { startFakeVllm } from '../test/fakes/fake-vllm'
import { load } from './lib/autocannon-run'
import { fmt, median, percentile } from './lib/stats'
import { buildWorker, startWorker } from './lib/worker-under-test'

const RUNS = 7
const CALLS = 300
const LOAD_SEC = 3
const CANDIDATES = 100
const PROFILED_CALLS = 400
const INSPECTOR_PORT = 9339

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; lineNumber: number; url: string }; children?: number[] }>
  samples: number[]
  timeDeltas: number[]
}

/**
 * Where a fully cached call's CPU goes, by source module: the worker runs again with the V8
 * inspector on, sequential calls are profiled (Profiler domain, 100 µs sampling), and each
 * sample's *self* frame is mapped to the module esbuild's `// path` comments place it in.
 */
async function profileShares(fakeUrl: string, body: string): Promise<{ self: Array<[string, number]>; cacheInclusive: number }> {
  const scriptPath = buildWorker()
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath,
      compatibilityDate: '2026-08-01',
      compatibilityFlags: ['nodejs_compat'],
      host: '127.0.0.1',
      port: 0,
      inspectorPort: INSPECTOR_PORT,
      kvNamespaces: ['SCORE_CACHE'],
      d1Databases: ['DB'],
      bindings: { VLLM_MODEL: 'qwen3-reranker-8b', VLLM_URLS: fakeUrl, LOG_REQUESTS: 'false' },
    })
  )
  try {
    const url = `${(await mf.ready).toString().replace(/\/$/u, '')}/v2/rerank`
    for (let i = 0; i < 300; i++) await call(url, body)
    const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as Array<{ webSocketDebuggerUrl: string; title: string }>
    const target = targets.find((t) => /core:user/u.test(t.title)) ?? targets[0]
    if (!target) throw new Error('no inspector target')
    const ws = new WebSocket(target.webSocketDebuggerUrl)
    await new Promise((r) => ws.addEventListener('open', r, { once: true }))
    let id = 0
    const pending = new Map<number, (v: unknown) => void>()
    ws.addEventListener('message', (m) => {
      const d = JSON.parse(String(m.data)) as { id?: number; result?: unknown }
      if (d.id !== undefined) pending.get(d.id)?.(d.result)
    })
    const send = (method: string, params: object = {}) =>
      new Promise<unknown>((r) => {
        pending.set(++id, r)
        ws.send(JSON.stringify({ id, method, params }))
      })
    await send('Profiler.enable')
    await send('Profiler.setSamplingInterval', { interval: 100 })
    await send('Profiler.start')
    for (let i = 0; i < PROFILED_CALLS; i++) await call(url, body)
    const { profile } = (await send('Profiler.stop')) as { profile: CpuProfile }
    ws.close()
    // Module of each bundle line, from esbuild's "// path" comments.
    const lines = readFileSync(scriptPath, 'utf8').split('\n')
    const starts: Array<[number, string]> = []
    lines.forEach((l, i) => {
      const m = /^\/\/ ((?:node_modules|src)\/\S+)$/u.exec(l)
      if (m) starts.push([i, m[1] as string])
    })
    const moduleAt = (line: number) => {
      let lo = 0
      let hi = starts.length - 1
      let found = '(bundle prelude)'
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        const [at, name] = starts[mid] as [number, string]
        if (at <= line) {
          found = name
          lo = mid + 1
        } else hi = mid - 1
      }
      return found
    }
    const group = (name: string) =>
      name.startsWith('src/cache/')
        ? 'src/cache/* (score cache)'
        : name.startsWith('node_modules/hono/')
          ? 'hono'
          : name.startsWith('node_modules/zod/')
            ? 'zod'
            : name
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, number>()
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    const moduleOf = (n: CpuProfile['nodes'][number]) =>
      n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : n.callFrame.url === '' ? '(runtime builtins)' : group(moduleAt(n.callFrame.lineNumber))
    const shares = new Map<string, number>()
    let total = 0
    let cacheInclusive = 0
    profile.samples.forEach((sid, i) => {
      const node = byId.get(sid)
      const dt = profile.timeDeltas[i] ?? 0
      if (!node || node.callFrame.functionName === '(idle)') return
      const key = moduleOf(node)
      shares.set(key, (shares.get(key) ?? 0) + dt)
      total += dt
      for (let at: number | undefined = sid; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at)
        if (f && f.callFrame.url !== '' && moduleOf(f).startsWith('src/cache')) {
          cacheInclusive += dt
          break
        }
      }
    })
    return {
      self: [...shares].map(([k, v]) => [k, v / total] as [string, number]).sort((a, b) => b[1] - a[1]),
      cacheInclusive: cacheInclusive / total,
    }
  } finally {
    await mf.dispose()
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

/** One call on a kept-alive connection; resolves with the client-side latency in ms. */
function call(url: string, body?: string): Promise<{ ms: number; status: number; cacheStatus: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const req = request(
      url,
      {
        agent,
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, cacheStatus: String(res.headers['cache-status'] ?? '') })
        )
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

const fake = await startFakeVllm({ port: 0, record: false })
// Request logging off for both routes: in Miniflare every console.log crosses to Node's stdout.
const worker = await startWorker({ vars: { VLLM_URLS: fake.url, LOG_REQUESTS: 'false' } })
const rerankUrl = `${worker.url}/v2/rerank`
const bareUrl = `${worker.url}/healthz`
const body = JSON.stringify({
  model: 'rerank-v3.5',
  query: 'which rivers flow through the capital city',
  documents: Array.from(
    { length: CANDIDATES },
    (_, i) => `Passage ${i}. The river that crosses the capital feeds the canals of the old town; boats carry goods from the port to the market squares, and bridge number ${i} links the two banks near the cathedral.`
  ),
})

try {
  const first = await call(rerankUrl, body)
  if (first.status !== 200) throw new Error(`warm-up call answered ${first.status}`)
  await new Promise((r) => setTimeout(r, 300))
  for (let i = 0; i < 200; i++) await call(rerankUrl, body) // JIT warm-up
  for (let i = 0; i < 200; i++) await call(bareUrl)
  const check = await call(rerankUrl, body)
  if (!/^rerank-edge; hit;/u.test(check.cacheStatus)) throw new Error(`expected a full hit, got ${check.cacheStatus}`)

  const p50 = { hit: [] as number[], bare: [] as number[] }
  const p99 = { hit: [] as number[], bare: [] as number[] }
  const rps = { hit: [] as number[], bare: [] as number[] }
  const ratio: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? (['hit', 'bare'] as const) : (['bare', 'hit'] as const)
    for (const which of order) {
      const xs: number[] = []
      for (let i = 0; i < CALLS; i++) {
        const r = which === 'hit' ? await call(rerankUrl, body) : await call(bareUrl)
        if (r.status !== 200) throw new Error(`${which}: ${r.status}`)
        xs.push(r.ms)
      }
      p50[which].push(percentile(xs, 50))
      p99[which].push(percentile(xs, 99))
    }
    if (run < 5) {
      const got: Record<string, number> = {}
      for (const which of order) {
        const r =
          which === 'hit'
            ? await load({ url: rerankUrl, body, connections: 8, durationSec: LOAD_SEC })
            : await load({ url: bareUrl, method: 'GET', connections: 8, durationSec: LOAD_SEC })
        if (r.errors > 0 || r.non2xx > 0) throw new Error(`${which}: ${r.errors} errors, ${r.non2xx} non-2xx`)
        rps[which].push(r.rps)
        got[which] = r.rps
      }
      ratio.push((got.hit ?? 0) / (got.bare ?? 1))
    }
  }

  const profile = await profileShares(fake.url, body)
  const cacheSelf = profile.self.find(([k]) => k.startsWith('src/cache'))?.[1] ?? 0

  const lines = [
    '## Score cache: fully cached 100-candidate call vs a bare route',
    '',
    `Command: \`npm run bench -- cache-hit-latency\` (bench/cache-hit-latency.bench.ts). One Miniflare workerd, real`,
    `local KV; \`POST /v2/rerank\` with ${CANDIDATES} candidates (${(body.length / 1024).toFixed(1)} KB body, every pair already in the isolate's memory) vs`,
    `\`GET /healthz\`; request logging off (\`LOG_REQUESTS=false\`) for both. Latency: ${CALLS} sequential calls per run on one`,
    `keep-alive connection, timed by the client (Node http), ${RUNS} runs; throughput: autocannon, 8 connections,`,
    `${LOAD_SEC} s per route per run, 5 runs; routes interleaved. Median (min–max).`,
    '',
    '| | fully cached call | bare route | ratio |',
    '|---|---:|---:|---:|',
    `| p50 latency (ms) | ${fmt(p50.hit, 3)} | ${fmt(p50.bare, 3)} | +${(median(p50.hit) - median(p50.bare)).toFixed(3)} ms |`,
    `| p99 latency (ms) | ${fmt(p99.hit)} | ${fmt(p99.bare)} | |`,
    `| throughput (req/s) | ${fmt(rps.hit, 0)} | ${fmt(rps.bare, 0)} | **${fmt(ratio, 3)}×** |`,
    '',
    `Targets: p50 under 2 ms — ${median(p50.hit) < 2 ? '**met**' : '**not met**'} (${median(p50.hit).toFixed(2)} ms, client-side, including the client's own`,
    `HTTP overhead, which the bare route's ${median(p50.bare).toFixed(2)} ms also carries); at least 0.5× the bare route's throughput —`,
    `${median(ratio) >= 0.5 ? '**met**' : '**not met**'} (${median(ratio).toFixed(3)}×).`,
    '',
    `Where a fully cached call's CPU goes (V8 CPU profile of ${PROFILED_CALLS} sequential calls in a second instance with the`,
    `inspector on, 100 µs sampling, idle excluded): the score cache's code is **${(cacheSelf * 100).toFixed(1)}%** of the samples by self`,
    `time and **${(profile.cacheInclusive * 100).toFixed(1)}%** counting everything it calls (hashing the scope, Map lookups); the rest is the`,
    'route around it (body reading, validation, middleware, response). Self time by source module:',
    '',
    '| module | share of CPU |',
    '|---|---:|',
    ...profile.self.slice(0, 12).map(([k, v]) => `| ${k} | ${(v * 100).toFixed(1)}% |`),
  ]
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/cache-hit-latency.md', lines.join('\n') + '\n')
  console.log(lines.join('\n'))
} finally {
  agent.destroy()
  await worker.dispose()
  await fake.close()
}
