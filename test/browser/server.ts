/**
 * Starts `npm start` (migrations + wrangler dev, lexical backend: no GPU needed) on a spare port in
 * its own process group, waits until it answers, and stops the whole group afterwards, escalating
 * to SIGKILL, so no wrangler or workerd process outlives the tests (a signal to wrangler alone
 * can leave its workerd children holding the port).
 */
import { freePort } from '../e2e/serve'
import { spawn } from 'node:child_process'

export interface DevServer {
  url: string
  stop(): Promise<void>
}


/** `env`: config vars over the defaults below (e.g. `API_KEYS`, for a deployment that needs keys). */
export async function startDevServer(timeoutMs = 90_000, env: Record<string, string> = {}): Promise<DevServer> {
  const port = await freePort()
  let out = ''
  const child = spawn('npm', ['start'], {
    cwd: new URL('../..', import.meta.url).pathname,
    // Lexical backend, open access (unless `env` sets API_KEYS), quiet logs: the pages need nothing else.
    env: { ...process.env, PORT: String(port), VLLM_URLS: '', API_KEYS: '', LOG_REQUESTS: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    const group = -child.pid
    try {
      process.kill(group, 'SIGTERM')
    } catch {
      return
    }
    const killer = setTimeout(() => {
      try {
        process.kill(group, 'SIGKILL')
      } catch {
        /* gone */
      }
    }, 8000)
    await exited
    clearTimeout(killer)
  }

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${out}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`npm start did not answer within ${timeoutMs} ms:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return { url, stop }
}
