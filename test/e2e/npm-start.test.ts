/**
 * The newcomer's path: `npm start` serves the rerank API on 127.0.0.1:$PORT with the embedded
 * lexical scorer, and Ctrl-C (SIGINT) or SIGTERM stops it without orphaned workerd processes. It
 * refuses, exiting non-zero and never saying "ready", a port someone holds and a config the worker
 * refuses.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort, processesMatching, REPO_ROOT, serve } from './serve'

/** Runs `npm start` to its own exit (it must stop by itself): its status and all it printed. */
function startToExit(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    let out = ''
    const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGINT')
      reject(new Error(`npm start did not exit by itself within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

const DOCS = [
  'Bananas are rich in potassium.',
  'Paris is the capital and largest city of France.',
  'The Eiffel Tower was completed in 1889.',
  'Lyon is known for its cuisine.',
  'France is a country in Western Europe; its capital is Paris.',
]

describe('npm start', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves /v1/rerank and stops cleanly on ${signal}`, async () => {
      const s = await serve()
      try {
        const res = await fetch(`${s.url}/v1/rerank`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'What is the capital of France?', documents: DOCS }),
        })
        expect(res.status).toBe(200)
        const json = (await res.json()) as { results: Array<{ index: number; relevance_score: number }>; meta: { backend: string } }
        expect(json.meta.backend).toBe('lexical')
        expect(json.results).toHaveLength(5)
        expect([1, 4]).toContain(json.results[0]?.index)
        const scores = json.results.map((r) => r.relevance_score)
        expect([...scores].sort((a, b) => b - a)).toEqual(scores)
        expect(s.output()).toMatch(/embedded lexical scorer/u)
        expect(s.output()).toMatch(/access is OPEN \(no API_KEYS configured\)/u)
        // workerd processes serving this port exist while it runs...
        expect((await processesMatching(`--port ${s.port}`)).length).toBeGreaterThan(0)
      } finally {
        await s.stop(signal)
      }
      // ...and none are left after the signal.
      await new Promise((r) => setTimeout(r, 1500))
      expect(await processesMatching(`--port ${s.port}`)).toEqual([])
      await expect(fetch(`${s.url}/healthz`)).rejects.toThrow()
    })
  }
})

describe('npm start refuses', () => {
  it('a port already in use: says so, names PORT, exits 1 without starting wrangler', async () => {
    const holder = createServer()
    const port = await freePort()
    await new Promise<void>((ok) => holder.listen(port, '127.0.0.1', ok))
    try {
      const { code, out } = await startToExit({ PORT: String(port) }, 30_000)
      expect(code).toBe(1)
      expect(out).toContain(`rerank-edge: port ${port} is in use on 127.0.0.1`)
      expect(out).toMatch(/PORT=8787 npm start/u)
      expect(out).not.toMatch(/wrangler|ready on/u)
    } finally {
      await new Promise<void>((ok) => holder.close(() => ok()))
    }
  })

  it('a config the worker refuses: shows its error, never "ready", exits 2 and leaves nothing running', async () => {
    const port = await freePort()
    const { code, out } = await startToExit({ PORT: String(port), API_KEYS: 'not json' }, 85_000)
    expect(code).toBe(2)
    expect(out).toContain('rerank-edge: the worker refuses its configuration: invalid configuration var API_KEYS: not valid JSON')
    expect(out).not.toMatch(/ready on/u)
    await new Promise((r) => setTimeout(r, 1500))
    expect(await processesMatching(`--port ${port}`)).toEqual([])
  })
})
