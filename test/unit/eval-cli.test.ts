/**
 * `npm run eval` (scripts/eval.ts) on a small synthetic data set, against a tiny local HTTP server
 * that answers `/v1/rerank` in the service's shape. Every expected figure is computed by hand
 * below, with trec_eval's rules.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../scripts/eval'
import { parseRerankJsonl, firstStageRun } from '../../src/eval/rerank-data'
import { formatRun, parseRun } from '../../src/eval/run-file'

// Three queries; candidates listed in first-stage (bm25_rank) order.
const DATA = [
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
const QRELS = `q1 0 a1 0
q1 0 a2 3
q1 0 a3 1
q2 0 b1 2
q2 0 b2 0
q2 0 b3 1
q2 0 b9 2
q3 0 c1 0
q3 0 c2 2
`
const log2 = Math.log2
const IDCG = { q1: 3 + 1 / log2(3), q2: 2 + 2 / log2(3) + 1 / log2(4), q3: 2 }

function f4(x: number): string {
  return x.toFixed(4)
}

interface Capture {
  out: string
  err: string
  io: { stdout(t: string): void; stderr(t: string): void; stderrIsTty: boolean; sleep(ms: number): Promise<void> }
}

function capture(): Capture {
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

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eval-cli-'))
  writeFileSync(join(dir, 'data.jsonl'), `${DATA.map((q) => JSON.stringify(q)).join('\n')}\n`)
  writeFileSync(join(dir, 'qrels.txt'), QRELS)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('eval CLI, run-file mode', () => {
  // First-stage order scored with -l 2 (grade ≥ 2 relevant):
  //   q1: a1(0) a2(3) a3(1): DCG = 3/log2(3) + 1/log2(4); relevant {a2} at rank 2 → MRR ½, MAP ½, R@10 1
  //   q2: b1(2) b2(0) b3(1): DCG = 2 + 1/log2(4);        relevant {b1, b9}: b1 at 1 → MRR 1, MAP ½, R@10 ½
  //   q3: c1(0) c2(2):       DCG = 2/log2(3);             relevant {c2} at 2 → MRR ½, MAP ½, R@10 1
  const ndcg = ((3 / log2(3) + 0.5) / IDCG.q1 + 2.5 / IDCG.q2 + 2 / log2(3) / IDCG.q3) / 3
  const expected = [
    `ndcg_cut_5\tall\t${f4(ndcg)}`,
    `ndcg_cut_10\tall\t${f4(ndcg)}`,
    `recip_rank\tall\t${f4((0.5 + 1 + 0.5) / 3)}`,
    `P_1\tall\t${f4(1 / 3)}`,
    `map\tall\t${f4(0.5)}`,
    `recall_10\tall\t${f4((1 + 0.5 + 1) / 3)}`,
  ]

  it('scores the first-stage order (bm25_rank written as a run file) with -l 2', async () => {
    const run = join(dir, 'bm25.run')
    writeFileSync(run, formatRun(firstStageRun(parseRerankJsonl(readFileSync(join(dir, 'data.jsonl'), 'utf8'))), 'bm25'))
    const c = capture()
    const code = await main(['--qrels', join(dir, 'qrels.txt'), '--run', run, '-l', '2'], c.io)
    expect(code).toBe(0)
    expect(c.out.trimEnd().split('\n')).toEqual(expected)
    expect(f4(ndcg)).toBe('0.6515') // the figure itself, as a reader would check it
  })

  it('-l changes binary measures: at -l 1, q1 finds a relevant doc (a2) at rank 2 and q2 at rank 1', async () => {
    const run = join(dir, 'bm25.run')
    writeFileSync(run, formatRun(firstStageRun(parseRerankJsonl(readFileSync(join(dir, 'data.jsonl'), 'utf8'))), 'bm25'))
    const c = capture()
    expect(await main(['--qrels', join(dir, 'qrels.txt'), '--run', run], c.io)).toBe(0)
    // -l 1: q1 relevant {a2, a3}: ranks 2, 3 → AP (½ + ⅔)/2; q2 {b1, b3, b9}: ranks 1, 3 → (1 + ⅔)/3; q3: ½
    const map = ((0.5 + 2 / 3) / 2 + (1 + 2 / 3) / 3 + 0.5) / 3
    expect(c.out).toContain(`map\tall\t${f4(map)}\n`)
    expect(c.out).toContain(`ndcg_cut_10\tall\t${f4(ndcg)}\n`) // nDCG ignores -l
  })

  it('prints per-query lines with -q and rejects a run with a duplicate docno', async () => {
    const run = join(dir, 'x.run')
    writeFileSync(run, 'q3 Q0 c2 1 2 r\nq3 Q0 c1 2 1 r\n')
    const c = capture()
    expect(await main(['--qrels', join(dir, 'qrels.txt'), '--run', run, '-l', '2', '-q'], c.io)).toBe(0)
    expect(c.out).toContain('recip_rank\tq3\t1.0000\n')
    expect(c.out).toContain('ndcg_cut_10\tall\t1.0000\n')

    writeFileSync(run, 'q3 Q0 c2 1 2 r\nq3 Q0 c2 2 1 r\n')
    const d = capture()
    expect(await main(['--qrels', join(dir, 'qrels.txt'), '--run', run], d.io)).toBe(1)
    expect(d.err).toMatch(/duplicate docno "c2"/)
  })

  it('runs as a command (npx tsx scripts/eval.ts)', () => {
    const run = join(dir, 'bm25.run')
    writeFileSync(run, formatRun(firstStageRun(parseRerankJsonl(readFileSync(join(dir, 'data.jsonl'), 'utf8'))), 'bm25'))
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const r = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/eval.ts', '--qrels', join(dir, 'qrels.txt'), '--run', run, '-l', '2'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(r.status).toBe(0)
    expect(r.stdout.trimEnd().split('\n')).toEqual(expected)
  }, 60_000)
})

// ------------------------------------------------------------------------------------------------

interface Recorded {
  query: string
  documents: string[]
  instruction?: string
}

/**
 * A stand-in for the service: score = (query words found in the document) / 10, or with an
 * instruction containing "reverse", 1 / (1 + words found). Per-pair cache bookkeeping like the
 * real one: a (instruction, query, document) seen before is a hit.
 */
function startFakeService(): Promise<{ server: Server; url: string; requests: Recorded[]; failNext: number[] }> {
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
      requests.push(r)
      const words = r.query.split(' ')
      let hits = 0
      let misses = 0
      const results = r.documents.map((doc, index) => {
        const key = `${r.instruction ?? ''}\u0000${r.query}\u0000${doc}`
        if (seen.has(key)) hits++
        else {
          misses++
          seen.add(key)
        }
        const found = words.filter((w) => doc.split(' ').includes(w)).length
        return { index, relevance_score: r.instruction?.includes('reverse') ? 1 / (1 + found) : found / 10 }
      })
      results.sort((a, b) => b.relevance_score - a.relevance_score)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'r', model: 'lexical-bm25', results, meta: { backend: 'lexical', cache: { hits, misses } } }))
    })
  })
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      ok({ server, url: `http://127.0.0.1:${port}`, requests, failNext })
    })
  })
}

describe('eval CLI, service mode', () => {
  let svc: Awaited<ReturnType<typeof startFakeService>>
  beforeAll(async () => {
    svc = await startFakeService()
  })
  afterAll(
    () =>
      new Promise<void>((ok) => {
        svc.server.close(() => ok())
      }),
  )
  beforeEach(() => {
    svc.requests.length = 0
    svc.failNext.length = 0
  })

  // Default variant (score = words found / 10), ties broken by docno descending:
  //   q1: a2 (2), then a3 and a1 (1 each: a3 first) → grades 3, 1, 0: ideal → nDCG 1, all binary 1
  //   q2: b1 (2), then b3, b2 (1 each)             → grades 2, 1, 0: nDCG (2 + 1/log2(3)) / IDCG.q2;
  //       -l 2: b1 at 1 → MRR 1, P@1 1, MAP ½ (b9 never retrieved), R@10 ½
  //   q3: c2 (2), c1 (1)                            → ideal → nDCG 1, all binary 1
  const q2ndcg = (2 + 1 / log2(3)) / IDCG.q2

  it('reranks through /v1/rerank per variant and reports trec_eval figures, cache counts and backend', async () => {
    const runDir = join(dir, 'runs')
    const json = join(dir, 'out', 'report.json')
    const args = ['--data', join(dir, 'data.jsonl'), '--qrels', join(dir, 'qrels.txt'), '--base-url', `${svc.url}/`, '-l', '2']
    const c = capture()
    const code = await main([...args, '--variant', 'default', '--variant', 'rev=reverse the order', '--run-dir', runDir, '--json', json, '--concurrency', '2'], c.io)
    expect(c.err).not.toContain('eval:')
    expect(code).toBe(0)

    // Requests: one per query and variant, the instruction only where given.
    expect(svc.requests).toHaveLength(6)
    const byInstruction = svc.requests.filter((r) => r.instruction === 'reverse the order')
    expect(byInstruction).toHaveLength(3)
    expect(svc.requests.filter((r) => !('instruction' in r))).toHaveLength(3)
    expect(svc.requests.find((r) => r.query === 'red apple')?.documents).toEqual(['green apple', 'red apple pie', 'red car'])

    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      relevance_level: number
      first_stage: { metrics: Record<string, number> }
      variants: Array<{
        name: string
        instruction: string | null
        backend: string
        pairs_scored: number
        pairs_cached: number
        queries_evaluated: number
        metrics: Record<string, number>
        per_query: Record<string, Record<string, number>>
        run_file: string
      }>
    }
    expect(report.relevance_level).toBe(2)
    const [plain, rev] = report.variants
    expect(plain?.name).toBe('default')
    expect(plain?.instruction).toBeNull()
    expect(plain?.backend).toBe('lexical')
    expect(plain?.pairs_scored).toBe(8)
    expect(plain?.pairs_cached).toBe(0)
    expect(plain?.queries_evaluated).toBe(3)
    expect(plain?.metrics.ndcg_cut_10).toBeCloseTo((1 + q2ndcg + 1) / 3, 12)
    expect(plain?.metrics.ndcg_cut_5).toBeCloseTo((1 + q2ndcg + 1) / 3, 12)
    expect(plain?.metrics.recip_rank).toBe(1)
    expect(plain?.metrics.P_1).toBe(1)
    expect(plain?.metrics.map).toBeCloseTo((1 + 0.5 + 1) / 3, 12)
    expect(plain?.metrics.recall_10).toBeCloseTo((1 + 0.5 + 1) / 3, 12)
    expect(plain?.per_query.q2?.ndcg_cut_10).toBeCloseTo(q2ndcg, 12)
    // The reversed variant: q1 becomes a3 (1), a1 (0), a2 (3) → a2 at rank 3 → MRR ⅓ there.
    expect(rev?.instruction).toBe('reverse the order')
    expect(rev?.per_query.q1?.recip_rank).toBeCloseTo(1 / 3, 12)
    expect(rev?.metrics.ndcg_cut_10).toBeLessThan(plain?.metrics.ndcg_cut_10 ?? 0)
    expect(rev?.pairs_scored).toBe(8) // another instruction: other cache keys
    // First-stage baseline, as in run-file mode.
    expect(report.first_stage.metrics.recip_rank).toBeCloseTo(2 / 3, 12)

    // Run files: readable by trec_eval, in its order, one per variant plus the first stage.
    const runText = readFileSync(join(runDir, 'default.run'), 'utf8')
    expect(runText.split('\n').slice(0, 3)).toEqual(['q1 Q0 a2 1 0.2 rerank-edge.default', 'q1 Q0 a3 2 0.1 rerank-edge.default', 'q1 Q0 a1 3 0.1 rerank-edge.default'])
    expect(parseRun(readFileSync(join(runDir, 'rev.run'), 'utf8')).size).toBe(3)
    expect(existsSync(join(runDir, 'first-stage.run'))).toBe(true)

    // Chart: one SVG comparing the variants (and the first stage) per metric.
    const svg = readFileSync(join(runDir, 'eval-chart.svg'), 'utf8')
    expect(svg).toContain('<svg')
    expect(svg).toContain(`default — nDCG@10: ${f4((1 + q2ndcg + 1) / 3)}`)
    expect(svg).toContain('rev — MRR:')
    expect(svg).toContain('first stage — MRR: 0.6667')

    // Table on stdout, progress on stderr.
    const row = c.out.split('\n').find((l) => l.startsWith('default '))
    expect(row?.split(/\s+/)).toEqual(['default', 'lexical', f4((1 + q2ndcg + 1) / 3), f4((1 + q2ndcg + 1) / 3), '1.0000', '1.0000', f4(2.5 / 3), f4(2.5 / 3), '8', '0', '3'])
    expect(c.err).toContain('default: 3/3 queries')
    expect(c.err).toContain('rev: 3/3 queries')

    // Same variant again: every pair now comes from the cache.
    const again = capture()
    expect(await main([...args, '--json', json], again.io)).toBe(0)
    const second = JSON.parse(readFileSync(json, 'utf8')) as typeof report
    expect(second.variants[0]?.pairs_scored).toBe(0)
    expect(second.variants[0]?.pairs_cached).toBe(8)
    expect(existsSync(join(dir, 'out', 'report.svg'))).toBe(true) // chart next to --json without --run-dir
  })

  it('retries 503 and fails with the error envelope on 400', async () => {
    const args = ['--data', join(dir, 'data.jsonl'), '--qrels', join(dir, 'qrels.txt'), '--base-url', svc.url, '--concurrency', '1']
    svc.failNext.push(503, 503)
    const ok = capture()
    expect(await main(args, ok.io)).toBe(0)
    expect(svc.requests).toHaveLength(3)

    svc.failNext.push(400)
    const bad = capture()
    expect(await main(args, bad.io)).toBe(1)
    expect(bad.err).toMatch(/HTTP 400: invalid_request synthetic failure/)
  })

  it('fails clearly when the service is unreachable or answers out of shape', async () => {
    const c = capture()
    const unreachable = await main(
      ['--data', join(dir, 'data.jsonl'), '--qrels', join(dir, 'qrels.txt'), '--base-url', 'http://127.0.0.1:9'],
      { ...c.io, fetch: () => Promise.reject(new TypeError('fetch failed')) },
    )
    expect(unreachable).toBe(1)
    expect(c.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9\/v1\/rerank/)

    const d = capture()
    const badShape = await main(['--data', join(dir, 'data.jsonl'), '--qrels', join(dir, 'qrels.txt')], {
      ...d.io,
      fetch: () => Promise.resolve(new Response(JSON.stringify({ results: [{ index: 7, relevance_score: 1 }] }))),
    })
    expect(badShape).toBe(1)
    expect(d.err).toMatch(/index 7 is not a document index/)
  })

  it('rejects bad usage with status 2', async () => {
    for (const argv of [[], ['--data', 'x.jsonl'], ['--run', 'x.run'], ['--bogus'], ['--variant', '=x', '--data', 'a', '--qrels', 'b'], ['-l', 'two']]) {
      const c = capture()
      expect(await main(argv, c.io), argv.join(' ')).toBe(2)
      expect(c.err).toContain('usage:')
    }
  })
})
