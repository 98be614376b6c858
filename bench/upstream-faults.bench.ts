/**
 * Load and fault suite for the upstream layer (`npm run bench -- upstream-faults`): the worker in
 * Miniflare in front of two fake vLLM *processes* with a GPU cost model, under closed-loop load
 * (autocannon), every call a cache miss (`Cache-Control: no-store`). Three scenarios, each run
 * REPS times, each with a fresh worker (fresh upstream pool):
 *  - steady: both backends healthy;
 *  - kill: backend B is SIGKILLed mid-run and restarted on the same port later (expect 0 failed
 *    client requests; B's breaker opens, then a half-open probe brings it back);
 *  - slow: backend B answers 40 ms later than A (expect traffic to shift to A).
 * Loopback only; about 80 s on an idle 2-core machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { load, type LoadResult } from './lib/autocannon-run'
import { spawnFakeVllm, type FakeProcess, type FakeProcessOptions } from './lib/fake-vllm-process'
import { fmt } from './lib/stats'
import { startWorker } from './lib/worker-under-test'

const ROOT = resolve(import.meta.dirname, '..')
const REPS = 3
const CONNECTIONS = 8
/** "GPU" cost per backend: 8 ms per request + 0.01 ms per token (~700 tokens here), 4 at a time. */
const GPU: FakeProcessOptions = { msPerRequest: 8, msPerToken: 0.01, concurrency: 4 }
const SLOW_MS = 40

const body = JSON.stringify({
  query: 'Which city is the capital of China?',
  documents: Array.from(
    { length: 8 },
    (_, i) => `Passage ${i}: Beijing is the capital of the People's Republic of China; this passage is padded to look like a retrieved chunk of a web page about Chinese cities and history.`
  ),
})

interface RunOutcome {
  load: LoadResult
  requestsA: number
  requestsB: number
  /** B's requests after its restart (kill scenario). */
  requestsBAfterRestart?: number
  /** Failed attempts the worker absorbed (retried or refused by the breaker), from /healthz. */
  upstreamFailures: number
  breakerB: string
}

interface HealthUpstream {
  state: string
  failures: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The two backend processes, shared by all runs; `b` is replaced when it is killed and restarted. */
interface Backends {
  a: FakeProcess
  b: FakeProcess
}

async function scenario(kind: 'steady' | 'kill' | 'slow', backends: Backends): Promise<RunOutcome> {
  const { a } = backends
  // A fresh worker per run: a fresh isolate, so a fresh upstream pool (breakers, estimates).
  const worker = await startWorker({
    vars: { VLLM_URLS: `${a.url},${backends.b.url}`, LOG_REQUESTS: 'false', UPSTREAM_BREAKER_COOLDOWN_MS: '1000', BACKEND_TIMEOUT_MS: '5000' },
  })
  try {
    const url = `${worker.url}/v1/rerank`
    const headers = { 'cache-control': 'no-store' }
    // Warm-up (JIT, connection pools); the counters below start after it.
    await load({ url, body, headers, connections: CONNECTIONS, durationSec: 1 })
    if (kind === 'slow') await backends.b.control({ delayMs: SLOW_MS })
    const [a0, bStart] = await Promise.all([a.stats(), backends.b.stats()])

    let bBeforeKill = 0
    let restarted: FakeProcess | undefined
    const events =
      kind === 'kill'
        ? (async () => {
            await sleep(2000)
            bBeforeKill = (await backends.b.stats()).requests - bStart.requests
            await backends.b.kill('SIGKILL')
            await sleep(1000)
            restarted = await spawnFakeVllm({ ...GPU, port: backends.b.port })
            backends.b = restarted
          })()
        : Promise.resolve()
    const result = await load({ url, body, headers, connections: CONNECTIONS, durationSec: kind === 'kill' ? 9 : 5 })
    await events
    const [a1, b1] = await Promise.all([a.stats(), backends.b.stats()])
    if (kind === 'slow') await backends.b.control({ delayMs: 0 })
    const health = (await (await fetch(`${worker.url}/healthz?detail=1`)).json()) as { upstreams: HealthUpstream[] }
    const out: RunOutcome = {
      load: result,
      requestsA: a1.requests - a0.requests,
      requestsB: kind === 'kill' ? bBeforeKill + b1.requests : b1.requests - bStart.requests,
      upstreamFailures: health.upstreams.reduce((n, u) => n + u.failures, 0),
      breakerB: health.upstreams[1]?.state ?? '?',
    }
    if (kind === 'kill') out.requestsBAfterRestart = b1.requests
    return out
  } finally {
    await worker.dispose()
  }
}

async function main() {
  const loadBefore = loadavg()[0] ?? 0
  const runs: Record<string, RunOutcome[]> = { steady: [], kill: [], slow: [] }
  const [a, b] = await Promise.all([spawnFakeVllm(GPU), spawnFakeVllm(GPU)])
  const backends: Backends = { a, b }
  try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const kind of ['steady', 'slow', 'kill'] as const) {
      const r = await scenario(kind, backends)
      runs[kind]?.push(r)
      console.log(
        `${kind.padEnd(6)} rep ${rep + 1}: ${r.load.rps.toFixed(0)} req/s p50 ${r.load.p50} ms p99 ${r.load.p99} ms ` +
          `failed ${r.load.errors + r.load.non2xx} of ${r.load.requests}; A ${r.requestsA} B ${r.requestsB}` +
          (r.requestsBAfterRestart === undefined ? '' : ` (B after restart ${r.requestsBAfterRestart})`) +
          `; absorbed upstream failures ${r.upstreamFailures}; B breaker ${r.breakerB}`
      )
    }
  }
  } finally {
    await Promise.all([backends.a.kill('SIGTERM'), backends.b.kill('SIGTERM')])
  }
  const row = (name: string, rs: RunOutcome[], note: string) => {
    const share = rs.map((r) => (100 * r.requestsB) / Math.max(1, r.requestsA + r.requestsB))
    const failed = rs.map((r) => r.load.errors + r.load.non2xx)
    const total = rs.reduce((n, r) => n + r.load.requests, 0)
    return (
      `| ${name} | ${fmt(rs.map((r) => r.load.rps), 0)} | ${fmt(rs.map((r) => r.load.p50), 0)} | ${fmt(rs.map((r) => r.load.p99), 0)} | ` +
      `**${failed.reduce((a, b) => a + b, 0)}** of ${total} | ${fmt(share, 1)} % | ${note} |`
    )
  }
  const kill = runs.kill ?? []
  const md = `## Upstream load and faults: two fake GPU backends, one killed, one slow

\`npm run bench -- upstream-faults\` (bench/upstream-faults.bench.ts). ${new Date().toISOString().slice(0, 10)}, Node ${process.version},
${cpus().length} CPU cores, loopback only; 1-min load average ${loadBefore.toFixed(1)} before and
${(loadavg()[0] ?? 0).toFixed(1)} after the run (the machine is shared with other work: absolute figures vary run to run).

The worker in Miniflare in front of two fake vLLM **processes** (test/fakes/fake-vllm-cli.ts) with a GPU
cost model of ${GPU.msPerRequest} ms per request (up to ${GPU.concurrency} requests at a time each, more queue) + ${GPU.msPerToken} ms per token,
the tokens of all requests to one backend through one queue (one GPU: concurrent requests do not multiply its prefill throughput). Closed-loop load, ${CONNECTIONS} connections (autocannon, 1 ms latency resolution), 8 passages per request,
\`Cache-Control: no-store\` so every call goes to a backend. Each scenario ran ${REPS} times, each run with a
fresh worker (so a fresh upstream pool); figures are median (min–max) over the runs; "failed" counts non-2xx answers and
transport errors seen by the client, summed over the runs.

| scenario | req/s | p50 ms | p99 ms | failed client requests | share of calls on B | what happened |
|---|---|---|---|---|---|---|
${row('steady (A and B healthy, 5 s)', runs.steady ?? [], 'baseline: load spread over both')}
${row('kill (B SIGKILLed at 2 s, restarted from 3 s, 9 s)', kill, `the worker absorbed ${fmt(kill.map((r) => r.upstreamFailures), 0)} failed attempts on B, each retried on A, after which the pool stopped choosing B (latency penalty, then its open breaker); B served ${fmt(kill.map((r) => r.requestsBAfterRestart ?? 0), 0)} calls after its restart`)}
${row(`slow (B +${SLOW_MS} ms per call, 5 s)`, runs.slow ?? [], 'round robin would put 50 % on B')}

Settings: \`UPSTREAM_BREAKER_COOLDOWN_MS=1000\` (so the restart is seen within the run; default 5000), other
upstream settings at their defaults (3 attempts, 5 consecutive failures open a breaker).
`
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench', 'results', 'upstream-faults.md'), md)
  console.log(md)
}

await main()
