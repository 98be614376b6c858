/**
 * @module bench/workerd-profile
 * A V8 CPU profile of the worker *inside workerd* (Miniflare with the inspector on, Profiler
 * domain, 100 µs sampling) over 40 calls of 1,000 realistic passages on /v2/rerank, after 20
 * warm-up calls, against the instant backend; each frame is mapped to its source module by
 * esbuild's `// path` comments and written as `.cpuprofile` (Chrome DevTools format):
 *
 *   [DOCS=1000] [ROUTE=/v2/rerank] [CALLS=40] npx tsx bench/lib/workerd-profile.ts <cached|miss> <out.cpuprofile>
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { buildWorker, startWorker } from "./worker-under-test"
import { startInstantBackend } from "./instant-backend"
import { connectWorkerInspector } from "./worker-inspector"
import { realisticPassage } from "./passages"
const mode = process.argv[2] ?? 'cached'
const be = await startInstantBackend()
const PORT = 9333
const worker = await startWorker({ vars: { VLLM_URLS: be.url, BACKEND_TIMEOUT_MS: '60000' }, kv: false, quiet: true, inspectorPort: PORT })
const scriptPath = buildWorker()
const N = Number(process.env.DOCS ?? 1000)
const url = `${worker.url}${process.env.ROUTE ?? '/v2/rerank'}`
let seq = 0
const body = () => JSON.stringify({ query: 'rivers', documents: Array.from({ length: N }, (_, i) => realisticPassage(mode === 'miss' ? ++seq * 10000 + i : i).slice(0, Number(process.env.CHARS ?? 100000))) })
const fixed = body()
const call = async () => { const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: mode === 'miss' ? body() : fixed }); if (r.status !== 200) throw new Error(await r.text()); await r.arrayBuffer() }
for (let i = 0; i < 20; i++) await call()
const { send, close } = await connectWorkerInspector(PORT)
await send('Profiler.enable'); await send('Profiler.setSamplingInterval', { interval: 100 }); await send('Profiler.start')
for (let i = 0; i < Number(process.env.CALLS ?? 40); i++) await call()
const { profile } = (await send('Profiler.stop')) as { profile: { nodes: Array<{ callFrame: { url: string; lineNumber: number } }> } }
close()
// map bundle lines to modules
const lines = readFileSync(scriptPath, 'utf8').split('\n')
const starts: Array<[number, string]> = []
lines.forEach((l, i) => { const m = /^\/\/ ((?:node_modules|src)\/\S+)$/u.exec(l); if (m) starts.push([i, m[1]!]) })
for (const n of profile.nodes) {
  if (!n.callFrame.url.includes('.js') || n.callFrame.url.startsWith('node:')) continue
  let mod = ''
  for (const [s, m] of starts) { if (s <= n.callFrame.lineNumber) mod = m; else break }
  if (mod) n.callFrame.url = `/work/main/${mod}`
}
writeFileSync(process.argv[3] ?? `${mode}.cpuprofile`, JSON.stringify(profile))
await worker.dispose(); await be.stop()
