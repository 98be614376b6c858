/**
 * Overhead of the worker's miss path, next to Portkey's open-source gateway, over the same fake
 * vLLM backend, side by side in one run (`npm run bench -- upstream-overhead`).
 *
 * Five targets, each answering the same rerank from the same fake backend process:
 *  - direct: the fake's `/v1/rerank`, with the pairs already in the Qwen3 format (the body the
 *    worker itself sends; checked byte for byte before measuring);
 *  - bare: a minimal keep-alive pass-through proxy process (the cost of one extra hop alone);
 *  - minimal: the smallest Worker that forwards the body, in its own Miniflare (the runtime's cost);
 *  - raw: the same minimal Worker in a bare `workerd serve` (bench/lib/raw-workerd.ts): the
 *    runtime's floor without Miniflare's entry worker in front;
 *  - worker: `POST /v1/rerank` on the worker in Miniflare (bench/lib/worker-under-test.ts), with
 *    `Cache-Control: no-store` so every call is a miss that goes to the backend;
 *  - portkey: `@portkey-ai/gateway` 1.15.2 (bench/peer/, installed on demand with
 *    `npm ci --prefix bench/peer`), routed with `x-portkey-provider: openai` +
 *    `x-portkey-custom-host` to the same backend.
 * Closed-loop load at 1 and 8 connections, microsecond timing (bench/lib/precise-load.ts),
 * ROUNDS rounds per setting with the order of targets rotated each round; "added" figures are
 * paired per round (target − direct in the same round) and reported as median (min–max), next
 * to each proxy's own CPU time per request. Loopback only; about 80 s.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { DEFAULT_INSTRUCTION, formatQwen3Document, formatQwen3Query } from '../src/backends/vllm/qwen3-prompt'
import { spawnFakeVllm } from './lib/fake-vllm-process'
import { preciseLoad, type PreciseLoadResult } from './lib/precise-load'
import { fmt, median } from './lib/stats'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { startRawWorkerd } from './lib/raw-workerd'
import { startWorker } from './lib/worker-under-test'

const ROOT = resolve(import.meta.dirname, '..')
const PEER = join(ROOT, 'bench', 'peer')
const PORTKEY_START = join(PEER, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js')
const ROUNDS = 6
const RUN_MS = 1000
const BACKEND_MS = 5
const MODEL = 'qwen3-reranker-8b'

type Target = 'direct' | 'bare' | 'raw' | 'minimal' | 'worker' | 'portkey'

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => ok(port))
    })
  })
}

function ensurePortkey(): void {
  if (existsSync(PORTKEY_START)) return
  console.log('installing the peer gateway: npm ci --prefix bench/peer')
  const r = spawnSync('npm', ['ci', '--prefix', PEER, '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'inherit' })
  if (r.status !== 0 || !existsSync(PORTKEY_START)) throw new Error('could not install @portkey-ai/gateway into bench/peer')
}

async function startPortkey(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  ensurePortkey()
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', join(PEER, 'listen-loopback.cjs'), PORTKEY_START, `--port=${port}`, '--headless'],
    { cwd: PEER, stdio: ['ignore', 'ignore', 'inherit'] }
  )
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url)
      return {
        url,
        pid: child.pid ?? 0,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      }
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill('SIGKILL')
  throw new Error('Portkey gateway did not start within 10 s')
}

/** Eight passages of about 250 characters: a ~2 KB request, like the peers note's measurement. */
function makeRequest(): { query: string; documents: string[] } {
  const topics = ['Beijing', 'gravity', 'photosynthesis', 'Paris', 'the Nile', 'volcanoes', 'jazz', 'tides']
  const documents = topics.map(
    (t, i) =>
      `Passage ${i} about ${t}. ${t} has been studied for centuries; this passage summarises what is known, ` +
      `cites a few sources, and ends with an open question about ${t} that later work may answer. ` +
      'It is long enough to resemble a retrieved chunk.'
  )
  return { query: 'What is the capital city of China and when did it become the capital?', documents }
}

/**
 * A minimal keep-alive pass-through proxy in its own Node process: the cost of one extra hop and
 * nothing else, so that "added" figures can be read against what any proxy costs on this machine.
 */
const BARE_PROXY = `
const http = require('node:http')
const agent = new http.Agent({ keepAlive: true })
const t = new URL(process.env.TARGET)
http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const up = http.request({ host: t.hostname, port: t.port, path: t.pathname + req.url, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length } }, (ur) => {
      const out = []
      ur.on('data', (c) => out.push(c))
      ur.on('end', () => {
        const b = Buffer.concat(out)
        res.writeHead(ur.statusCode, { 'content-type': 'application/json', 'content-length': b.length })
        res.end(b)
      })
    })
    up.on('error', () => { res.writeHead(502); res.end() })
    up.end(body)
  })
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
`

async function startBareProxy(target: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['-e', BARE_PROXY], { env: { ...process.env, TARGET: target, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`bare proxy exited (${code})`)))
    child.stdout?.once('data', () => ok())
  })
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done())
        child.kill('SIGTERM')
      }),
  }
}

/**
 * The smallest Worker that does the same job on the same runtime: read the body, `fetch` the
 * backend, return its text. Worker − minimal = what the worker's own code costs on top of the
 * runtime's subrequest path (which, in Miniflare, is most of the total).
 */
const MINIMAL_WORKER = `export default {
  async fetch(req, env) {
    const r = await fetch(env.BACKEND + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: await req.text() })
    return new Response(await r.text(), { status: r.status, headers: { 'content-type': 'application/json' } })
  },
}`

async function startMinimalWorker(backend: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({ modules: true, script: MINIMAL_WORKER, bindings: { BACKEND: backend }, host: '127.0.0.1', port: 0, compatibilityDate: '2026-08-01' })
  )
  const url = (await mf.ready).toString().replace(/\/$/u, '')
  return { url, stop: () => mf.dispose() }
}

/** CPU time (user + system) a process has used so far, ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After the command: state is field 3 of stat(5), so utime (14) and stime (15) sit at 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

/** The workerd processes Miniflare started as this process's children. */
function workerdPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/u))
    .filter(([, comm]) => comm === 'workerd')
    .map(([pid]) => Number(pid))
}

async function main() {
  const loadBefore = loadavg()[0] ?? 0
  const fake = await spawnFakeVllm({ msPerRequest: BACKEND_MS })
  const backend = `${fake.url}/i/bench`
  const worker = await startWorker({ vars: { VLLM_URLS: backend, VLLM_MODEL: MODEL, LOG_REQUESTS: 'false' } })
  const workerd = workerdPids()
  const minimal = await startMinimalWorker(backend)
  const minimalWorkerd = workerdPids().filter((pid) => !workerd.includes(pid))
  const portkey = await startPortkey()
  const bare = await startBareProxy(backend)
  const raw = await startRawWorkerd({ script: MINIMAL_WORKER, textBindings: { BACKEND: backend }, port: await freePort(), compatibilityDate: '2026-08-01' })
  try {
    const req = makeRequest()
    const workerBody = JSON.stringify(req)
    const directBody = JSON.stringify({
      model: MODEL,
      query: formatQwen3Query(DEFAULT_INSTRUCTION, req.query),
      documents: req.documents.map(formatQwen3Document),
    })
    const portkeyHeaders = { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${backend}/v1` }

    // The direct body must be exactly what the worker sends (and what Portkey forwards).
    await fetch(`${backend}/__control`, { method: 'POST', body: JSON.stringify({ record: true }) })
    const w = await fetch(`${worker.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: workerBody })
    if (w.status !== 200) throw new Error(`worker answered ${w.status}: ${await w.text()}`)
    const p = await fetch(`${portkey.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', ...portkeyHeaders }, body: directBody })
    if (p.status !== 200) throw new Error(`Portkey answered ${p.status}: ${await p.text()}`)
    const recorded = (await (await fetch(`${backend}/__requests`)).json()) as Array<{ body: unknown }>
    if (JSON.stringify(recorded[0]?.body) !== directBody) throw new Error('the direct body differs from what the worker sends')
    if (JSON.stringify(recorded[1]?.body) !== directBody) throw new Error('Portkey did not forward the body unchanged')
    await fetch(`${backend}/__reset`, { method: 'POST' })

    const targets: Target[] = ['direct', 'bare', 'raw', 'minimal', 'worker', 'portkey']
    const pids: Record<Target, number[]> = { direct: [], bare: [bare.pid], raw: [raw.pid], minimal: minimalWorkerd, worker: workerd, portkey: [portkey.pid] }
    const run = async (t: Target, connections: number, durationMs = RUN_MS): Promise<PreciseLoadResult & { cpuMs: number }> => {
      const cpu0 = pids[t].reduce((n, pid) => n + cpuMs(pid), 0)
      const r =
        t === 'direct'
          ? await preciseLoad({ url: `${backend}/v1/rerank`, body: directBody, connections, durationMs })
          : t === 'bare' || t === 'raw'
            ? await preciseLoad({ url: `${(t === 'bare' ? bare : raw).url}/v1/rerank`, body: directBody, connections, durationMs })
            : t === 'minimal'
              ? await preciseLoad({ url: `${minimal.url}/v1/rerank`, body: directBody, connections, durationMs })
            : t === 'worker'
              ? await preciseLoad({ url: `${worker.url}/v1/rerank`, body: workerBody, headers: { 'cache-control': 'no-store' }, connections, durationMs })
              : await preciseLoad({ url: `${portkey.url}/v1/rerank`, body: directBody, headers: portkeyHeaders, connections, durationMs })
      return { ...r, cpuMs: pids[t].reduce((n, pid) => n + cpuMs(pid), 0) - cpu0 }
    }
    for (const t of targets) await run(t, 8, 1000) // warm-up: JIT, connection pools

    const rows: string[] = []
    const summary: Record<string, number> = {}
    let failures = 0
    for (const connections of [1, 8]) {
      const res: Record<Target, Array<PreciseLoadResult & { cpuMs: number }>> = { direct: [], bare: [], raw: [], minimal: [], worker: [], portkey: [] }
      for (let round = 0; round < ROUNDS; round++) {
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target)
        for (const t of order) {
          const r = await run(t, connections)
          res[t].push(r)
          failures += r.failures
          console.log(
            `c=${connections} round ${round + 1} ${t.padEnd(7)} p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  ${r.rps.toFixed(0)} req/s  ` +
              `cpu ${(r.cpuMs / Math.max(1, r.requests)).toFixed(3)} ms/req  failures ${r.failures}`
          )
        }
      }
      const added = (t: Target, k: 'p50' | 'p99', base: Target = 'direct') => res[t].map((r, i) => r[k] - (res[base][i] as PreciseLoadResult)[k])
      const cpu = (t: Target) => {
        const total = res[t].reduce((n, r) => n + r.cpuMs, 0)
        const reqs = res[t].reduce((n, r) => n + r.requests, 0)
        return (total / Math.max(1, reqs)).toFixed(2)
      }
      const rps = (t: Target) => median(res[t].map((r) => r.rps)).toFixed(0)
      rows.push(
        `| ${connections} | ${fmt(res.direct.map((r) => r.p50), 2)} | ${fmt(added('bare', 'p50'), 2)} | ${fmt(added('raw', 'p50'), 2)} | ${fmt(added('minimal', 'p50'), 2)} | ` +
          `**${fmt(added('worker', 'p50'), 2)}** | **${fmt(added('worker', 'p50', 'minimal'), 2)}** | **${fmt(added('portkey', 'p50'), 2)}** | ` +
          `${fmt(added('worker', 'p99'), 1)} | ${fmt(added('portkey', 'p99'), 1)} | ` +
          `${cpu('bare')} / ${cpu('raw')} / ${cpu('minimal')} / ${cpu('worker')} / ${cpu('portkey')} | ${rps('direct')} / ${rps('bare')} / ${rps('raw')} / ${rps('minimal')} / ${rps('worker')} / ${rps('portkey')} |`
      )
      summary[`own_c${connections}`] = median(added('worker', 'p50', 'minimal'))
      for (const t of ['bare', 'raw', 'minimal', 'worker', 'portkey'] as const) {
        summary[`${t}_c${connections}`] = median(added(t, 'p50'))
        summary[`${t}_cpu_c${connections}`] = Number(cpu(t))
      }
    }

    const f = (k: string) => (summary[k] ?? Number.NaN).toFixed(2)
    const verdict = (k: string) => ((summary[k] ?? Infinity) <= 1 ? 'met' : 'not met')
    const md = `## Upstream overhead: the worker's miss path vs calling vLLM directly, next to Portkey

\`npm run bench -- upstream-overhead\` (bench/upstream-overhead.bench.ts). One run, ${new Date().toISOString().slice(0, 10)},
Node ${process.version}, ${cpus().length} CPU cores, loopback only; 1-min load average ${loadBefore.toFixed(1)} before and
${(loadavg()[0] ?? 0).toFixed(1)} after the run (the machine is shared: other work inflates every extra hop).

Setup: one fake vLLM process (test/fakes/fake-vllm.ts, ${BACKEND_MS} ms per request, no concurrency limit) behind
six paths, measured side by side: **direct** (the fake's \`/v1/rerank\` with the pairs already in the Qwen3
format: the exact body the worker sends, checked byte for byte before the run); a **bare proxy** (20 lines of
Node \`http\`, keep-alive, its own process: one extra hop and nothing else); a **minimal Worker** (read the
body, \`fetch\` the backend, return the text: the runtime's own cost for a proxied call), once in a bare
\`workerd serve\` (**raw workerd**, bench/lib/raw-workerd.ts: no Miniflare entry worker in front) and once in
its own Miniflare;
the **worker** in Miniflare (\`POST /v1/rerank\`, \`Cache-Control: no-store\` so every call is a miss forwarded
to the backend; \`LOG_REQUESTS=false\`); **Portkey**'s open-source gateway \`@portkey-ai/gateway\` 1.15.2
(bench/peer/, \`@hono/node-server\` pinned to 1.14.1, loopback-only preload, \`x-portkey-provider: openai\` +
\`x-portkey-custom-host\`; it forwards the formatted body unchanged, checked). Request: 8 passages,
${Buffer.byteLength(workerBody)} B as sent to the worker, ${Buffer.byteLength(directBody)} B formatted. Closed-loop keep-alive load with
microsecond timing (bench/lib/precise-load.ts), ${RUN_MS / 1000} s per run, ${ROUNDS} rounds per setting, the order of
the six targets rotated every round. "Added" = target − direct (or − minimal Worker) **in the same round**,
median (min–max) over the ${ROUNDS} rounds, in ms. CPU = user + system time of the proxy's own process(es)
(its workerd for the Workers) per request over all rounds, from /proc (10 ms ticks), in ms.

| connections | direct p50 | bare proxy added p50 | minimal Worker, raw workerd, added p50 | minimal Worker, Miniflare, added p50 | worker added p50 | worker − minimal Worker p50 | Portkey added p50 | worker added p99 | Portkey added p99 | CPU ms/req bare / raw / minimal / worker / Portkey | req/s direct / bare / raw / minimal / worker / Portkey |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Failed requests during the measured runs: ${failures}.

Target "the miss path adds at most 1 ms p50" over calling the backend directly: ${verdict('worker_c1')} at 1 connection
(${f('worker_c1')} ms; Portkey ${f('portkey_c1')} ms), ${verdict('worker_c8')} at 8 connections (${f('worker_c8')} ms; Portkey
${f('portkey_c8')} ms). Most of it is the runtime, not the worker: a minimal Worker that only forwards the body adds
${f('minimal_c1')} / ${f('minimal_c8')} ms on the same Miniflare and ${f('raw_c1')} / ${f('raw_c8')} ms in a bare \`workerd serve\` (a bare
Node proxy: ${f('bare_c1')} / ${f('bare_c8')} ms), and the worker's own code (validation, instruction and
Qwen3 formatting, upstream choice, reply validation, response shaping) adds ${f('own_c1')} / ${f('own_c8')} ms p50 on top of
it (1 / 8 connections). CPU per call: worker ${f('worker_cpu_c1')} ms, minimal Worker ${f('minimal_cpu_c1')} ms, Portkey
${f('portkey_cpu_c1')} ms, bare proxy ${f('bare_cpu_c1')} ms (1 connection). Caveats: the load generator, both workerd
processes, the proxies and the fake share the machine's cores, so every extra hop also waits for a core (more
so at 8 connections and when the machine is busy); Miniflare runs one workerd per instance without the
production edge in front, so these figures bound, rather than predict, the deployed overhead.
`
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
    writeFileSync(join(ROOT, 'bench', 'results', 'upstream-overhead.md'), md)
    console.log(md)
  } finally {
    await bare.stop()
    await raw.stop()
    await minimal.stop()
    await portkey.stop()
    await worker.dispose()
    await fake.kill('SIGTERM')
  }
}

await main()
