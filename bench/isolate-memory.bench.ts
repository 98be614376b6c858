/**
 * `npm run bench -- isolate-memory`: how much memory the worker's isolate holds, inside workerd,
 * at the moments that matter for Workers' 128 MB per isolate (developers.cloudflare.com/workers/
 * platform/limits, "Memory"), which the local runtime does not enforce.
 *
 * Each scenario starts a fresh worker (Miniflare, inspector on), then: one small call; one call
 * with a document the byte bound cannot clear (loads the Qwen3 tokenizer); 16 calls of 1,000 fresh
 * realistic passages (fills the 16 MiB memory tier); then K concurrent calls of 1,000 passages of
 * 7,500 characters (a 7.5 MB body, near the 8 MiB MAX_BODY_BYTES) against a backend stand-in that
 * answers them after DELAY_MS, and reads the heap while they wait on it. Heap figures are V8's
 * (`Runtime.getHeapUsage` through the inspector) after a full collection (`HeapProfiler.
 * collectGarbage`): `usedSize` (the JS heap) plus `backingStorageSize` (ArrayBuffers: request and
 * upstream bodies as bytes). One run per scenario: the figures are deterministic to about 1 MiB.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { realisticPassage } from './lib/passages'
import { connectWorkerInspector } from './lib/worker-inspector'
import { startWorker } from './lib/worker-under-test'

const DELAY_MS = 8000
const MiB = 2 ** 20

/** A vLLM /v1/rerank stand-in (documents echoed, as vLLM does) that answers the big calls' batches (documents over 5,000 characters) after DELAY_MS, others at once. */
async function slowBackend() {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { documents: string[] }
      const results = body.documents.map((d, i) => ({ index: i, document: { text: d }, relevance_score: (i % 97) / 97 }))
      const out = JSON.stringify({ id: 'bench', model: 'm', usage: { prompt_tokens: 1000, total_tokens: 1000 }, results })
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(out)
      }, body.documents.some((d) => d.length > 5000) ? DELAY_MS : 0)
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() }
}

interface Heap {
  used: number
  backing: number
}

async function scenario(concurrent: number, vars: Record<string, string>, port: number) {
  const be = await slowBackend()
  const worker = await startWorker({ vars: { VLLM_URLS: be.url, BACKEND_TIMEOUT_MS: '60000', ...vars }, kv: false, quiet: true, inspectorPort: port })
  // workerd answers the inspector when the isolate next runs: a cheap request wakes it.
  const { send, close } = await connectWorkerInspector(port, () => void fetch(`${worker.url}/v1/models`).then((r) => r.text()).catch(() => undefined))
  const heap = async (): Promise<Heap> => {
    await send('HeapProfiler.collectGarbage')
    const u = (await send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number }
    return { used: u.usedSize, backing: u.backingStorageSize ?? 0 }
  }
  const call = (body: unknown) =>
    fetch(`${worker.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  try {
    await (await call({ query: 'q', documents: ['a', 'b'] })).text()
    const started = await heap()
    await (await call({ query: 'rivers', documents: ['x '.repeat(20_000), 'short'] })).text()
    const tokenizer = await heap()
    for (let r = 0; r < 16; r++) {
      await (await call({ query: `fill ${r}`, documents: Array.from({ length: 1000 }, (_, i) => realisticPassage(r * 100_000 + i)) })).text()
    }
    const filled = await heap()
    const docs = Array.from({ length: 1000 }, (_, i) => realisticPassage(i + 7_000_000).repeat(12).slice(0, 7500))
    const bodyBytes = Buffer.byteLength(JSON.stringify({ query: 'big 0', documents: docs }))
    const calls = Array.from({ length: concurrent }, (_, k) => call({ query: `big ${k}`, documents: docs.map((d) => `${k} ${d}`) }))
    await new Promise((ok) => setTimeout(ok, DELAY_MS / 2))
    const during = await heap()
    const statuses = await Promise.all(calls.map(async (p) => (await p).status))
    return { started, tokenizer, filled, during, statuses, bodyBytes }
  } finally {
    close()
    await worker.dispose()
    be.close()
  }
}

const mib = (h: Heap) => `${((h.used + h.backing) / MiB).toFixed(1)}`
const rows: string[] = []
let bodyBytes = 0
let port = 9440
for (const [label, k, vars] of [
  ['1 call, no in-flight bound', 1, { MAX_INFLIGHT_BODY_BYTES: String(1024 * MiB) }],
  ['2 concurrent calls, no in-flight bound', 2, { MAX_INFLIGHT_BODY_BYTES: String(1024 * MiB) }],
  ['3 concurrent calls, no in-flight bound (before this bound existed)', 3, { MAX_INFLIGHT_BODY_BYTES: String(1024 * MiB) }],
  ['3 concurrent calls, default `MAX_INFLIGHT_BODY_BYTES` (10 MiB)', 3, {}],
] as const) {
  const r = await scenario(k, vars, port++)
  bodyBytes = r.bodyBytes
  const counts = new Map<number, number>()
  for (const s of r.statuses) counts.set(s, (counts.get(s) ?? 0) + 1)
  const answered = [...counts].map(([s, n]) => `${n} × ${s}`).join(', ')
  rows.push(`| ${label} | ${mib(r.started)} | ${mib(r.tokenizer)} | ${mib(r.filled)} | **${mib(r.during)}** | ${answered} |`)
  console.log(rows.at(-1))
}

const lines = [
  '## Isolate memory: what one worker instance holds (Workers allow 128 MB)',
  '',
  `Command: \`npm run bench -- isolate-memory\` (bench/isolate-memory.bench.ts), ${new Date().toISOString()}. Inside workerd (Miniflare, inspector on), V8's heap after a full collection, JS heap plus ArrayBuffers, MiB; each row a fresh worker: after start and one small call, after a call that loads the Qwen3 tokenizer, after 16 calls of 1,000 realistic passages (the 16 MiB memory tier full), then while K calls of ${(bodyBytes / 1e6).toFixed(1)} MB bodies (1,000 passages of 7,500 characters; the default MAX_BODY_BYTES is 8 MiB) wait on a backend that answers them after ${DELAY_MS / 1000} s (and the smaller calls at once). The local runtime enforces no memory limit, so these calls all succeed locally whatever the total; on Cloudflare an isolate past 128 MB is ended with every call it is serving.`,
  '',
  '| scenario | started | + tokenizer | + memory tier full | K big calls waiting | answers |',
  '|---|---:|---:|---:|---:|---|',
  ...rows,
  '',
  'Reading: the tokenizer (loaded by the first document the byte bound cannot clear, then kept) and a full memory tier take most of an isolate before any call; a call of a near-limit body then holds several MiB more while it waits, and more while it parses and builds the upstream body (a snapshot taken mid-parse is higher, so the 3-call row varies with timing). `MAX_INFLIGHT_BODY_BYTES` (default 10 MiB) refuses a call whose body would take the bodies in flight past it (503 `overloaded`, `Retry-After: 1`), which keeps an isolate to one such call at once beside small ones (a 100-passage call is about 0.1 MB): two already come within 10 MiB of the limit here, before any transient. Weak points: one run per row; V8\'s heap is what the inspector reports, not what Cloudflare meters (which we cannot read here).',
  '',
]
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/isolate-memory.md', lines.join('\n'))
console.log(lines.join('\n'))
process.exit(0)
