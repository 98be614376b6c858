/**
 * @module bench/decode-probe
 * How much workerd CPU decoding a large request body costs, per decoder: `npx tsx
 * bench/lib/decode-probe.ts`. A probe Worker reads a 1.2 MB body of realistic passages and
 * decodes it with a fatal TextDecoder, a lenient one, or not at all; CPU per request from /proc.
 */
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { bodyLoad } from './body-load'
import { realisticPassage } from './passages'
import { cpuMs, newWorkerdPid, workerdPids } from './proc-cpu'

const SCRIPT = `export default {
  async fetch(request) {
    const path = new URL(request.url).pathname
    const bytes = new Uint8Array(await request.arrayBuffer())
    let text = ''
    if (path === '/fatal') text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    else if (path === '/lenient') text = new TextDecoder('utf-8').decode(bytes)
    else if (path === '/lenient-check') { text = new TextDecoder('utf-8').decode(bytes); if (text.includes('\\ufffd')) text = new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
    return new Response(String(text.length))
  },
}`
const before = workerdPids()
const mf = new Miniflare({ handleStructuredLogs: () => undefined, ...convertV4MiniflareOptions({ modules: true, script: SCRIPT, compatibilityDate: '2026-08-01', host: '127.0.0.1', port: 0 }) })
const url = (await mf.ready).toString().replace(/\/$/u, '')
const pid = newWorkerdPid(before)
const body = JSON.stringify({ query: 'q', documents: Array.from({ length: 1000 }, (_, i) => realisticPassage(i)) })
for (let round = 0; round < 3; round++) {
  for (const path of ['/none', '/fatal', '/lenient', '/lenient-check']) {
    const c0 = cpuMs(pid)
    const r = await bodyLoad({ url: url + path, body, connections: 1, requests: 60 })
    console.log(round, path, ((cpuMs(pid) - c0) / r.requests).toFixed(2), 'ms CPU/req', r.failures)
  }
}
await mf.dispose()
