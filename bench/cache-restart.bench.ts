/**
 * The persistent tier survives a restart of `npm start`: start the real dev server (wrangler dev,
 * local KV under .wrangler/state) on a spare port against a fake vLLM running in this process, make
 * a call (every pair forwarded), stop the server (SIGTERM to its process group), start it again
 * (a new isolate: the memory tier is empty), repeat the call, and require that 0 pairs reach the
 * backend and that every pair was served from the edge store. Takes ~20 s, so it is a bench
 * script rather than part of `npm test`.
 *
 *   npm run bench -- cache-restart
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { startFakeVllm } from '../test/fakes/fake-vllm'

const DOCS = 20

async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

interface Server {
  child: ChildProcess
  log: string[]
  startedMs: number
}

async function startServer(port: number, vllmUrl: string): Promise<Server> {
  const t0 = performance.now()
  const log: string[] = []
  // Its own process group, so that stopping it reaches wrangler and its workerd children.
  const child = spawn('npm', ['start'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), VLLM_URLS: vllmUrl, LOG_REQUESTS: 'false' },
  })
  child.stdout?.on('data', (b: Buffer) => log.push(b.toString()))
  child.stderr?.on('data', (b: Buffer) => log.push(b.toString()))
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${log.join('').slice(-2000)}`)
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
      if (r.ok) return { child, log, startedMs: performance.now() - t0 }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  await stopServer({ child, log, startedMs: 0 })
  throw new Error(`npm start did not become healthy:\n${log.join('').slice(-2000)}`)
}

async function stopServer(server: Server): Promise<void> {
  const { child } = server
  if (child.exitCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {
    return
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // gone
    }
  }, 15_000)
  await exited
  clearTimeout(timer)
}

async function portFree(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })
    return false
  } catch {
    return true
  }
}

const fake = await startFakeVllm({ port: 0, record: true })
const instance = `restart-${Date.now().toString(36)}`
const vllmUrl = `${fake.url}/i/${instance}`
const forwarded = () => fake.instance(instance).requests.reduce((n, r) => n + (r.parsed?.documents.length ?? 0), 0)
const port = await sparePort()
const body = JSON.stringify({
  query: `restart check ${new Date().toISOString()}`,
  documents: Array.from({ length: DOCS }, (_, i) => `Restart passage ${i}: the persistent tier keeps this score.`),
})
const call = async () => {
  const t0 = performance.now()
  const r = await fetch(`http://127.0.0.1:${port}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const json = (await r.json()) as { meta: { cache: { hits: number; misses: number } }; results: Array<{ index: number; relevance_score: number }> }
  if (r.status !== 200) throw new Error(`rerank answered ${r.status}`)
  return { ms: performance.now() - t0, status: r.headers.get('cache-status') ?? '', cache: json.meta.cache, scores: json.results }
}

let server: Server | undefined
const lines: string[] = []
try {
  server = await startServer(port, vllmUrl)
  const firstStart = server.startedMs
  const first = await call()
  const afterFirst = forwarded()
  await new Promise((r) => setTimeout(r, 1500)) // the KV writes run after the response
  await stopServer(server)
  const freed = await portFree(port)
  server = await startServer(port, vllmUrl)
  const secondStart = server.startedMs
  const second = await call()
  const afterSecond = forwarded()
  await stopServer(server)
  server = undefined

  const sameScores = JSON.stringify(first.scores) === JSON.stringify(second.scores)
  const ok =
    afterFirst === DOCS && afterSecond === DOCS && second.cache.hits === DOCS && /; hit;.* edge=20 /u.test(second.status) && sameScores && freed
  lines.push(
    '## Score cache: persistence across a restart of `npm start`',
    '',
    'Command: `npm run bench -- cache-restart` (bench/cache-restart.bench.ts): `npm start` (wrangler dev, local KV under',
    `.wrangler/state) on a spare port with VLLM_URLS pointing at a fake vLLM in the bench process; one ${DOCS}-candidate call;`,
    'SIGTERM to the server\'s process group; start again (a fresh isolate, empty memory tier); the same call again.',
    '',
    '| step | result |',
    '|---|---|',
    `| first start (migrations + wrangler dev until /healthz answers) | ${(firstStart / 1000).toFixed(1)} s |`,
    `| first call | ${first.cache.misses} misses, ${afterFirst} pairs forwarded, \`${first.status}\` |`,
    `| stop (SIGTERM to the group) | port free afterwards: ${freed ? 'yes' : 'NO'} |`,
    `| second start | ${(secondStart / 1000).toFixed(1)} s |`,
    `| repeated call after the restart | ${second.cache.hits} hits, **${afterSecond - afterFirst} pairs forwarded**, \`${second.status}\` |`,
    `| same scores before and after | ${sameScores ? 'yes' : 'NO'} |`,
    '',
    `Result: **${ok ? 'PASS' : 'FAIL'}**: the persistent tier survives a restart; the repeated call was served from KV alone.`
  )
  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/cache-restart.md', lines.join('\n') + '\n')
  console.log(lines.join('\n'))
  if (!ok) process.exitCode = 1
} finally {
  if (server) await stopServer(server)
  await fake.close()
}
