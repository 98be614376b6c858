/**
 * @module bench/pipeline-harness
 * The worker's fetch handler driven in-process in Node (no workerd, no socket to the worker), for
 * CPU profiles (`node --cpu-prof`) of the rerank pipeline: `npx tsx bench/lib/pipeline-harness.ts
 * <cached|miss> <documents> [calls]`. The backend is the fake vLLM in this process. Figures for
 * BENCHMARKS.md come from workerd process CPU (bench/rerank-cpu.bench.ts), not from here.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { createApp } from '../../src/app'
import { startFakeVllm } from '../../test/fakes/fake-vllm'
import { realisticPassage } from './passages'

const [mode = 'cached', nArg = '1000', callsArg = '200'] = process.argv.slice(2)
const n = Number(nArg)
const calls = Number(callsArg)
const fake = await startFakeVllm({ record: false })
const app = createApp()
const env = { VLLM_URLS: fake.url, VLLM_MODEL: 'qwen3-reranker-8b', LOG_REQUESTS: 'false', BACKEND_TIMEOUT_MS: '60000' }
const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} }
let seq = 0
const body = (fresh: boolean) =>
  JSON.stringify({ query: 'which rivers feed the delta', documents: Array.from({ length: n }, (_, i) => realisticPassage(fresh ? seq * 100_000 + i : i)) })
const fixed = body(false)
const call = async () => {
  seq++
  const res = await app.fetch(new Request('http://x/v2/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: mode === 'miss' ? body(true) : fixed }), env, ctx as never)
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`)
  await res.arrayBuffer()
}
await call()
await call()
// PROFILE=<file>: a V8 CPU profile of the measured calls only (start-up and warm-up excluded).
const session = process.env.PROFILE ? new Session() : undefined
const post = (method: string, params?: object) =>
  new Promise<unknown>((ok, fail) => session?.post(method, params ?? {}, (e, r) => (e ? fail(e) : ok(r))))
if (session) {
  session.connect()
  await post('Profiler.enable')
  await post('Profiler.setSamplingInterval', { interval: 100 })
  await post('Profiler.start')
}
const t0 = performance.now()
const cpu0 = process.cpuUsage()
for (let i = 0; i < calls; i++) await call()
const cpu = process.cpuUsage(cpu0)
if (session) {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown }
  writeFileSync(process.env.PROFILE as string, JSON.stringify(profile))
}
console.log(JSON.stringify({ mode, n, calls, ms_per_call: (performance.now() - t0) / calls, cpu_ms_per_call: (cpu.user + cpu.system) / 1000 / calls }))
await fake.close()
