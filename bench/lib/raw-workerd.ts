/**
 * @module bench/raw-workerd
 * Runs one small module Worker in a bare `workerd serve` process (the binary Miniflare ships), with
 * no Miniflare entry worker or loopback service in front: the runtime's own floor for a proxied
 * call, next to the same Worker in Miniflare. Config format: workerd's `workerd.capnp`
 * (github.com/cloudflare/workerd, src/workerd/server/workerd.capnp); outbound `fetch` goes through
 * a network service that allows private addresses, since the backend is on loopback.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RawWorkerd {
  url: string
  pid: number
  stop(): Promise<void>
}

/** The workerd binary Miniflare itself runs (its `workerd` dependency's default export). */
function workerdBinary(): string {
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve('miniflare'))
  return (fromMiniflare('workerd') as { default: string }).default
}

export async function startRawWorkerd(options: { script: string; textBindings: Record<string, string>; port: number; compatibilityDate: string }): Promise<RawWorkerd> {
  const dir = mkdtempSync(join(tmpdir(), 'raw-workerd-'))
  writeFileSync(join(dir, 'worker.js'), options.script)
  const bindings = Object.entries(options.textBindings)
    .map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`)
    .join(', ')
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "net", network = (allow = ["private", "public"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${options.port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "${options.compatibilityDate}",
  bindings = [ ${bindings} ],
  globalOutbound = "net",
);
`
  )
  const child = spawn(workerdBinary(), ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'ignore', 'inherit'] })
  const url = `http://127.0.0.1:${options.port}`
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break
    try {
      await fetch(url, { method: 'HEAD' })
      return {
        url,
        pid: child.pid ?? 0,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => {
              rmSync(dir, { recursive: true, force: true })
              done()
            })
            child.kill('SIGTERM')
          }),
      }
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
  throw new Error('workerd serve did not start within 10 s')
}
