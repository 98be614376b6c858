/**
 * @module bench/portkey
 * Portkey's open-source AI gateway (@portkey-ai/gateway, pinned in bench/peer) as a peer proxy
 * for the overhead benches: its own Node process on loopback (bench/peer/listen-loopback.cjs),
 * installed on demand into bench/peer only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

const PEER = join(resolve(import.meta.dirname, '..', '..'), 'bench', 'peer')
const PORTKEY_START = join(PEER, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js')

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => ok(port))
    })
  })
}

export function ensurePortkey(): void {
  if (existsSync(PORTKEY_START)) return
  console.log('installing the peer gateway: npm ci --prefix bench/peer')
  const r = spawnSync('npm', ['ci', '--prefix', PEER, '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'inherit' })
  if (r.status !== 0 || !existsSync(PORTKEY_START)) throw new Error('could not install @portkey-ai/gateway into bench/peer')
}

export async function startPortkey(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  ensurePortkey()
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', join(PEER, 'listen-loopback.cjs'), PORTKEY_START, `--port=${port}`, '--headless'],
    { cwd: PEER, stdio: ['ignore', 'ignore', 'inherit'] }
  )
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url)
      return {
        url,
        pid: child.pid ?? 0,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      }
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill('SIGKILL')
  throw new Error('Portkey gateway did not start within 10 s')
}
