/**
 * @module bench/fake-vllm-process
 * Starts the fake vLLM server (test/fakes/fake-vllm-cli.ts) as a child process, so that a load
 * run talks to a separate process with its own event loop, and "killing a backend" is a real
 * process death (SIGKILL: in-flight sockets reset, new connections refused). Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'

const ROOT = resolve(import.meta.dirname, '..', '..')
const CLI = resolve(ROOT, 'test', 'fakes', 'fake-vllm-cli.ts')

export interface FakeProcessOptions {
  port?: number
  msPerToken?: number
  msPerRequest?: number
  concurrency?: number
  delayMs?: number
}

export interface FakeStats {
  requests: number
  inFlight: number
  maxInFlight: number
  outcomes: Record<string, number>
}

export interface FakeProcess {
  url: string
  port: number
  stats(): Promise<FakeStats>
  control(patch: Record<string, unknown>): Promise<void>
  /** SIGKILL by default: the process dies without closing anything. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

export async function spawnFakeVllm(options: FakeProcessOptions = {}): Promise<FakeProcess> {
  const args = ['--import', 'tsx', CLI, '--port', String(options.port ?? 0)]
  if (options.msPerToken !== undefined) args.push('--ms-per-token', String(options.msPerToken))
  if (options.msPerRequest !== undefined) args.push('--ms-per-request', String(options.msPerRequest))
  if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency))
  if (options.delayMs !== undefined) args.push('--delay-ms', String(options.delayMs))
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('fake vLLM did not start within 20 s')), 20_000)
    child.once('exit', (code) => fail(new Error(`fake vLLM exited early (${code})`)))
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      try {
        const { url: u } = JSON.parse(line) as { url: string }
        clearTimeout(timer)
        ok(u)
      } catch {
        // not the ready line
      }
    })
  })
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  return {
    url,
    port: Number(new URL(url).port),
    async stats() {
      return (await (await fetch(`${url}/__stats`)).json()) as FakeStats
    },
    async control(patch) {
      const r = await fetch(`${url}/__control`, { method: 'POST', body: JSON.stringify(patch) })
      if (!r.ok) throw new Error(`fake control failed: ${r.status} ${await r.text()}`)
    },
    kill(signal = 'SIGKILL') {
      if (exited) return Promise.resolve()
      return new Promise<void>((done) => {
        child.once('exit', () => done())
        child.kill(signal)
      })
    },
  }
}
