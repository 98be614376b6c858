/**
 * `npm run bench -- lying-content-length`: who holds a connection whose request declares more body
 * bytes (Content-Length) than it sends: the worker, or the local runtime (workerd)?
 *
 * Over a raw TCP socket each target gets `POST` with `Content-Length: 1000` and 10 bytes of body,
 * then silence. Measured: when the first response byte arrives and when the server closes the
 * socket (capped at CAP_MS). Targets, all on loopback:
 *  - the worker in Miniflare (bench/lib/worker-under-test.ts), on a body-reading route
 *    (`/v1/rerank`) and on a route that never reads the body (`POST /healthz`, a 405);
 *  - a bare `workerd serve` (bench/lib/raw-workerd.ts) running a 3-line Worker that never reads
 *    the body, and one that reads it: the runtime's own behaviour, without our code;
 *  - `npm start` (wrangler dev: its proxy worker in front of Miniflare), both routes.
 * Times are wall clock on a busy machine: they tell seconds from milliseconds, nothing finer.
 */
import { spawn } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { startRawWorkerd } from './lib/raw-workerd'
import { startWorker } from './lib/worker-under-test'

const CAP_MS = 25_000

interface Probe {
  firstByteMs: number | null
  closedMs: number | null
  status: string
}

function lyingRequest(url: string, path: string): Promise<Probe> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const t0 = performance.now()
    let firstByteMs: number | null = null
    let head = ''
    const socket = connect({ host: hostname, port: Number(port) })
    const done = (closedMs: number | null) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ firstByteMs, closedMs, status: head.split('\r\n')[0] ?? '' })
    }
    const timer = setTimeout(() => done(null), CAP_MS)
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":1`)
    })
    socket.on('data', (d: Buffer) => {
      if (firstByteMs === null) firstByteMs = performance.now() - t0
      if (head.length < 200) head += d.toString('latin1')
    })
    socket.on('close', () => done(performance.now() - t0))
    socket.on('error', () => undefined)
  })
}

/** `npm start` on its own port, in its own process group (stopped as a group). */
async function startNpmStart(port: number): Promise<{ url: string; stop(): void }> {
  const child = spawn('npm', ['start'], { env: { ...process.env, PORT: String(port), LOG_REQUESTS: 'false' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const stop = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 240 && !out.includes('ready on'); i++) await new Promise((r) => setTimeout(r, 500))
  if (!out.includes('ready on')) {
    stop()
    throw new Error(`npm start did not get ready:\n${out.slice(-2000)}`)
  }
  return { url: `http://127.0.0.1:${port}`, stop }
}

const fmtMs = (ms: number | null) => (ms === null ? `> ${CAP_MS / 1000} s (still open)` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`)

async function main(): Promise<void> {
  const rows: Array<[string, Probe]> = []
  const noRead = await startRawWorkerd({
    script: "export default { fetch() { return new Response('ok') } }",
    textBindings: {},
    port: 18_911,
    compatibilityDate: '2026-08-01',
  })
  const reads = await startRawWorkerd({
    script: 'export default { async fetch(r) { const b = await r.arrayBuffer(); return new Response(String(b.byteLength)) } }',
    textBindings: {},
    port: 18_912,
    compatibilityDate: '2026-08-01',
  })
  const worker = await startWorker({ vars: { LOG_REQUESTS: 'false' } })
  const dev = await startNpmStart(18_913)
  try {
    const results = await Promise.all([
      lyingRequest(noRead.url, '/'),
      lyingRequest(reads.url, '/'),
      lyingRequest(worker.url, '/healthz'),
      lyingRequest(worker.url, '/v1/rerank'),
      lyingRequest(dev.url, '/healthz'),
      lyingRequest(dev.url, '/v1/rerank'),
    ])
    rows.push(
      ['bare workerd, Worker never reads the body', results[0] as Probe],
      ['bare workerd, Worker reads the body', results[1] as Probe],
      ['our worker (Miniflare), POST /healthz (405, body not read)', results[2] as Probe],
      ['our worker (Miniflare), POST /v1/rerank (body read)', results[3] as Probe],
      ['our worker (`npm start`), POST /healthz (405, body not read)', results[4] as Probe],
      ['our worker (`npm start`), POST /v1/rerank (body read)', results[5] as Probe]
    )
  } finally {
    dev.stop()
    await Promise.allSettled([noRead.stop(), reads.stop(), worker.dispose()])
  }
  const lines = [
    '## Request bodies: a lying Content-Length (who holds the connection)',
    '',
    'A request declaring `Content-Length: 1000` that sends 10 bytes and then nothing, over a raw socket',
    `(\`npm run bench -- lying-content-length\`; cap ${CAP_MS / 1000} s; wall clock, so seconds vs milliseconds only).`,
    '',
    '| target | first response byte | server closed the socket | status line |',
    '|---|---|---|---|',
    ...rows.map(([name, p]) => `| ${name} | ${fmtMs(p.firstByteMs)} | ${fmtMs(p.closedMs)} | ${p.status || '—'} |`),
    '',
    'Reading: workerd never times out a body the Worker is reading (bare workerd row 2), so the wait',
    'was ours: `readJsonObject` now gives up with 408 after 10 s plus the declared size at 64 KiB/s',
    '(src/lib/read-json-body.ts). A body no route reads is cancelled once the response is built',
    '(src/middleware/request-id.ts); before that, `npm start` (wrangler dev\'s proxy) kept such a',
    'connection open with no answer (> 40 s, measured by hand with the same raw request). On',
    "Cloudflare's edge the proxy in front is Cloudflare's: not measured here.",
    '',
  ]
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/lying-content-length.md', lines.join('\n'))
  console.log(lines.join('\n'))
}

await main()
