/**
 * Starts `npm start` (the real user path: migrations + wrangler dev) on a spare port in its
 * own process group, waits until it answers, and stops it by signalling the npm process only —
 * exactly what a user's Ctrl-C does — so tests can check that nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export interface Served {
  url: string
  port: number
  child: ChildProcess
  output: () => string
  /** Sends `signal` to the npm process alone and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export const REPO_ROOT = new URL('../..', import.meta.url).pathname

/**
 * `cwd` runs `npm start` in another project directory (e.g. a copy with its own `.dev.vars`, see
 * `projectCopy`). Resolves once /healthz answers AND npm start has printed its "ready on" line.
 */
export async function serve(env: Record<string, string> = {}, timeoutMs = 60_000, cwd = REPO_ROOT): Promise<Served> {
  const port = await freePort()
  let out = ''
  const child = spawn('npm', ['start'], {
    cwd,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${out}`)
    try {
      const r = await fetch(`${url}/healthz`)
      if (r.ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`npm start did not answer within ${timeoutMs} ms:\n${out}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  while (!out.includes(`ready on ${url}`)) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${out}`)
    if (Date.now() > deadline) throw new Error(`npm start printed no ready line within ${timeoutMs} ms:\n${out}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    port,
    child,
    output: () => out,
    stop: (signal = 'SIGINT') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode)
        child.once('exit', (code) => resolve(code))
        child.kill(signal)
      }),
  }
}

/**
 * A throwaway project directory that shares this checkout's code (symlinks) but has its own
 * `.dev.vars` and `.wrangler` state, so a test can write `.dev.vars` without touching the
 * developer's. Returns its path; remove it with `rmSync(path, { recursive: true })`.
 */
export async function projectCopy(devVars: string): Promise<string> {
  const { mkdtempSync, symlinkSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'rerank-edge-e2e-'))
  for (const name of ['node_modules', 'src', 'migrations', 'scripts', 'package.json', 'wrangler.toml', 'tsconfig.json']) {
    symlinkSync(join(REPO_ROOT, name), join(dir, name))
  }
  writeFileSync(join(dir, '.dev.vars'), devVars, { mode: 0o600 })
  return dir
}

/** PIDs of processes whose command line mentions `needle` (from /proc; Linux). */
export async function processesMatching(needle: string): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs')
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/u.test(entry)) continue
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/gu, ' ')
      if (cmd.includes(needle)) pids.push(Number(entry))
    } catch {
      /* gone */
    }
  }
  return pids
}
