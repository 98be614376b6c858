/**
 * @module bench/instant-backend
 * A vLLM `/v1/rerank` stand-in that answers at once, for overhead benches where the backend's
 * own cost must not drown the proxy's: it parses the body, answers one result per document in
 * vLLM 0.13's shape (index, the document echoed, relevance_score) with a deterministic score and
 * `usage.prompt_tokens` estimated as UTF-8 bytes / 4 (no tokenizer: the real one in the fake vLLM
 * costs ~2 s per 1,000 passages, which is what this avoids). Its own process, loopback only.
 * Correctness is the fake vLLM's job (test/fakes/fake-vllm.ts); this is for timing only.
 * `GET /__last` returns the last body it was sent (to check what a proxy forwarded); `GET /__pairs`
 * the pairs (documents) and requests it has received.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const SERVER = `
const http = require('node:http')
let last = ''
let pairs = 0
let requests = 0
http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__last') { res.writeHead(200); return res.end(last) }
  if (req.method === 'GET' && req.url === '/__pairs') { res.writeHead(200); return res.end(JSON.stringify({ pairs, requests })) }
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const raw = Buffer.concat(chunks)
    last = raw.toString('utf8')
    let body
    try { body = JSON.parse(raw.toString('utf8')) } catch { res.writeHead(400); return res.end('{"error":"bad json"}') }
    const docs = Array.isArray(body.documents) ? body.documents : []
    pairs += docs.length
    requests++
    const results = docs.map((d, i) => {
      let h = 7
      for (let k = 0; k < d.length; k += 7) h = (h * 31 + d.charCodeAt(k)) % 1000003
      return { index: i, document: { text: d }, relevance_score: h / 1000003 }
    })
    results.sort((a, b) => b.relevance_score - a.relevance_score)
    const tokens = Math.ceil(raw.length / 4)
    const out = JSON.stringify({ id: 'rerank-bench', model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens }, results })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) })
    res.end(out)
  })
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ url: 'http://127.0.0.1:' + this.address().port })) })
`

export async function startInstantBackend(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((ok, fail) => {
    const t = setTimeout(() => fail(new Error('instant backend did not start')), 10_000)
    createInterface({ input: child.stdout! }).on('line', (l) => {
      clearTimeout(t)
      ok((JSON.parse(l) as { url: string }).url)
    })
  })
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done())
        child.kill('SIGTERM')
      }),
  }
}
