/**
 * Shared by the eval CLI tests: a three-query data set with hand-checkable judgments, an output
 * capture, and a stand-in for the rerank service (see `startFakeService`).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

// Three queries; candidates listed in first-stage (bm25_rank) order.
export const DATA = [
  {
    qid: 'q1',
    query: 'red apple',
    candidates: [
      { docid: 'a1', text: 'green apple', bm25_rank: 1 },
      { docid: 'a2', text: 'red apple pie', bm25_rank: 2 },
      { docid: 'a3', text: 'red car', bm25_rank: 3 },
    ],
  },
  {
    qid: 'q2',
    query: 'blue sky',
    candidates: [
      { docid: 'b1', text: 'blue sky today', bm25_rank: 1 },
      { docid: 'b2', text: 'grey sky', bm25_rank: 2 },
      { docid: 'b3', text: 'blue whale', bm25_rank: 3 },
    ],
  },
  {
    qid: 'q3',
    query: 'fast car',
    candidates: [
      { docid: 'c1', text: 'slow car', bm25_rank: 1 },
      { docid: 'c2', text: 'fast car', bm25_rank: 2 },
    ],
  },
]
// b9 is judged but never retrieved: it still counts in IDCG and in the number of relevant docs.
export const QRELS = `q1 0 a1 0
q1 0 a2 3
q1 0 a3 1
q2 0 b1 2
q2 0 b2 0
q2 0 b3 1
q2 0 b9 2
q3 0 c1 0
q3 0 c2 2
`
export const log2 = Math.log2
export const IDCG = { q1: 3 + 1 / log2(3), q2: 2 + 2 / log2(3) + 1 / log2(4), q3: 2 }

export function f4(x: number): string {
  return x.toFixed(4)
}

export interface Capture {
  out: string
  err: string
  io: { stdout(t: string): void; stderr(t: string): void; stderrIsTty: boolean; sleep(ms: number): Promise<void> }
}

export function capture(): Capture {
  const c: Capture = {
    out: '',
    err: '',
    io: {
      stdout: (t) => {
        c.out += t
      },
      stderr: (t) => {
        c.err += t
      },
      stderrIsTty: false,
      sleep: () => Promise.resolve(),
    },
  }
  return c
}

export interface Recorded {
  query: string
  documents: string[]
  instruction?: string
  authorization?: string
}

/** The service's words when the lexical scorer answers (src/rerank/run-rerank.ts). */
export const LEXICAL_WARNING = 'no GPU backend configured: scored by the embedded lexical scorer, which ignores instructions'

/**
 * A stand-in for the service. Backend "vllm" follows the instruction: score = (query words found
 * in the document) / 10, or with an instruction containing "reverse", 1 / (1 + words found); a
 * (instruction, query, document) seen before is a cache hit, as the per-pair cache. Backend
 * "lexical" scores words found / 10 whatever the instruction, warns that it ignores instructions,
 * and caches nothing (the real lexical scorer is not cached). With `requireKey`, a call without
 * `Authorization: Bearer <key>` gets the service's 401.
 */
export function startFakeService(
  backend: 'vllm' | 'lexical' = 'vllm',
  requireKey?: string
): Promise<{ server: Server; url: string; requests: Recorded[]; failNext: number[] }> {
  const requests: Recorded[] = []
  const failNext: number[] = []
  const seen = new Set<string>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8')
    })
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/rerank') {
        res.writeHead(404).end()
        return
      }
      const status = failNext.shift()
      if (status !== undefined) {
        res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' })
        res.end(JSON.stringify({ error: { code: status === 400 ? 'invalid_request' : 'backend_unavailable', message: 'synthetic failure' }, request_id: 'x' }))
        return
      }
      const r = JSON.parse(body) as Recorded
      if (req.headers.authorization !== undefined) r.authorization = req.headers.authorization
      requests.push(r)
      if (requireKey !== undefined && req.headers.authorization !== `Bearer ${requireKey}`) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
        res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'missing or unknown API key' }, request_id: 'x' }))
        return
      }
      const follows = backend === 'vllm'
      const words = r.query.split(' ')
      let hits = 0
      let misses = 0
      const results = r.documents.map((doc, index) => {
        const key = `${r.instruction ?? ''}\u0000${r.query}\u0000${doc}`
        if (follows && seen.has(key)) hits++
        else {
          misses++
          seen.add(key)
        }
        const found = words.filter((w) => doc.split(' ').includes(w)).length
        return { index, relevance_score: follows && r.instruction?.includes('reverse') ? 1 / (1 + found) : found / 10 }
      })
      results.sort((a, b) => b.relevance_score - a.relevance_score)
      res.writeHead(200, { 'content-type': 'application/json' })
      const meta = follows ? { backend: 'vllm', cache: { hits, misses } } : { backend: 'lexical', cache: { hits, misses }, warnings: [LEXICAL_WARNING] }
      res.end(JSON.stringify({ id: 'r', model: follows ? 'Qwen/Qwen3-Reranker-0.6B' : 'lexical-bm25', results, meta }))
    })
  })
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      ok({ server, url: `http://127.0.0.1:${port}`, requests, failNext })
    })
  })
}
