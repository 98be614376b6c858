/**
 * `npm run eval` (scripts/eval.ts) on a small synthetic data set, against a tiny local HTTP server
 * that answers `/v1/rerank` in the service's shape: either like a GPU backend that follows the
 * instruction (ranks differently per instruction, per-pair cache), or like the embedded lexical
 * scorer (ignores instructions, says so in `meta.warnings` with the service's own words, caches
 * nothing). Every expected figure is computed by hand below, with trec_eval's rules; p-values of
 * the paired tests come from SciPy 1.17.1 (`stats.ttest_rel`) or a hand count.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main, parseArgs } from '../../scripts/eval'
import { parseRerankJsonl, firstStageRun } from '../../src/eval/rerank-data'
import { formatRun, parseRun } from '../../src/eval/run-file'
import { capture, DATA, f4, IDCG, log2, QRELS, startFakeService } from './eval-cli-fixture'

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

  it('compares two or more run files with the first: means per run, then the paired comparison', async () => {
    const bm25 = join(dir, 'bm25.run')
    writeFileSync(bm25, formatRun(firstStageRun(parseRerankJsonl(readFileSync(join(dir, 'data.jsonl'), 'utf8'))), 'bm25'))
    const better = join(dir, 'better.run')
    writeFileSync(better, readFileSync(bm25, 'utf8').replace('q3 Q0 c1 1', 'q3 Q0 c1 2').replace('q3 Q0 c2 2', 'q3 Q0 c2 1').replace(/^(q3 Q0 c1 2) \S+/m, '$1 0.1'))
    const c = capture()
    expect(await main(['--qrels', join(dir, 'qrels.txt'), '--run', bm25, '--run', better, '-l', '2'], c.io)).toBe(0)
    // better.run puts c2 (grade 2) first for q3: nDCG@10 1 instead of 1/log2(3); q1 and q2 tie.
    const x = 1 - 1 / log2(3)
    const row = (name: string) => c.out.split('\n').find((l) => l.startsWith(`${name} `))?.split(/\s+/)
    expect(row(bm25)?.[2]).toBe(f4(ndcg))
    expect(row(better)?.[2]).toBe(f4(ndcg + x / 3))
    // Differences (0, 0, x): t = (x/3) / ((x/√3)/√3) = 1 on 2 dof, p = 1 − 1/√3; one non-zero
    // difference: both sign flips give |Σd| = x, randomisation p = 1.
    const cmp = c.out.split('\n').find((l) => l.startsWith(`${better}  ${bm25}  nDCG@10`))
    expect(cmp?.split(/\s{2,}/)).toEqual([better, bm25, 'nDCG@10', `+${f4(x / 3)}`, '1/2/0', f4(1 - 1 / Math.sqrt(3)), '1.0000'])
    expect(c.out).toMatch(/^run\s+vs\s+measure/m)
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

  it('stops writing quietly when its reader has gone (`… | head`: EPIPE), exiting with its own status', async () => {
    const run = join(dir, 'bm25.run')
    writeFileSync(run, formatRun(firstStageRun(parseRerankJsonl(readFileSync(join(dir, 'data.jsonl'), 'utf8'))), 'bm25'))
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/eval.ts', '--qrels', join(dir, 'qrels.txt'), '--run', run, '-q'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // Closing our end before the command writes anything makes its first stdout write fail with EPIPE.
    child.stdout.destroy()
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8')
    })
    const status = await new Promise<number | null>((ok) => child.on('close', (code) => ok(code)))
    expect(err).not.toMatch(/EPIPE|Error|\bat /)
    expect(err).toContain('eval: 3 queries measured')
    expect(status).toBe(0)
  }, 60_000)
})

// ------------------------------------------------------------------------------------------------

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
        instructions_ignored: boolean
        warnings: string[]
      }>
      comparisons: Array<{
        variant: string
        baseline: string
        measures: Record<
          string,
          {
            queries: number
            mean_difference: number
            wins: number
            ties: number
            losses: number
            paired_t: { t: number | null; dof: number; p_value: number | null }
            randomisation: { p_value: number; method: string; samples: number }
          }
        >
      }>
      warnings: string[]
    }
    expect(report.relevance_level).toBe(2)
    const [plain, rev] = report.variants
    expect(plain?.name).toBe('default')
    expect(plain?.instruction).toBeNull()
    expect(plain?.backend).toBe('vllm')
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

    // Paired comparison of "rev" with "default", by hand (-l 2). rev per query:
    //   q1: a3 (½), a1 (½), a2 (⅓) → grades 1, 0, 3: DCG 1 + 3/log2(4) = 2.5 → nDCG 2.5/IDCG.q1;
    //       a2 at rank 3 → MRR ⅓, P@1 0, MAP ⅓, R@10 1
    //   q2: b3, b2, b1 → grades 1, 0, 2: DCG 1 + 2/2 = 2 → nDCG 2/IDCG.q2; MRR ⅓, P@1 0, MAP ⅙, R@10 ½
    //   q3: c1, c2 → grades 0, 2: nDCG (2/log2 3)/2; MRR ½, P@1 0, MAP ½, R@10 1
    // Every query loses on nDCG, MRR, P@1, MAP; R@10 ties everywhere. With 3 non-zero differences of
    // one sign, only the all-observed and all-flipped signs reach |Σd|: randomisation p = 2/8.
    expect(report.comparisons).toHaveLength(1)
    const cmp = report.comparisons[0]
    expect([cmp?.variant, cmp?.baseline]).toEqual(['rev', 'default'])
    const revNdcg = [2.5 / IDCG.q1, 2 / IDCG.q2, 2 / log2(3) / IDCG.q3] as const
    const ndcgCmp = cmp?.measures.ndcg_cut_10
    expect(ndcgCmp?.mean_difference).toBeCloseTo((revNdcg[0] + revNdcg[1] + revNdcg[2] - (1 + q2ndcg + 1)) / 3, 12)
    expect(ndcgCmp?.mean_difference).toBeCloseTo(-0.28275296240044373, 12) // numpy, same inputs
    expect([ndcgCmp?.wins, ndcgCmp?.ties, ndcgCmp?.losses]).toEqual([0, 0, 3])
    expect(ndcgCmp?.paired_t.t).toBeCloseTo(-4.7225561992821685, 9) // scipy.stats.ttest_rel
    expect(ndcgCmp?.paired_t.p_value).toBeCloseTo(0.04203128161453946, 9)
    expect(ndcgCmp?.randomisation).toEqual({ p_value: 0.25, method: 'exact', samples: 8 })
    expect(cmp?.measures.recip_rank?.paired_t.p_value).toBeCloseTo(0.008163401865824486, 9) // d = −⅔, −⅔, −½
    expect(cmp?.measures.map?.paired_t.p_value).toBeCloseTo(0.03509871864598465, 9) // d = −⅔, −⅓, −½
    // P@1 drops by exactly 1 on every query: no spread, so no t-test (null), randomisation still 0.25.
    expect(cmp?.measures.P_1).toMatchObject({ mean_difference: -1, losses: 3, paired_t: { t: null, p_value: null } })
    expect(cmp?.measures.P_1?.randomisation.p_value).toBe(0.25)
    expect(cmp?.measures.recall_10).toMatchObject({ mean_difference: 0, ties: 3, paired_t: { p_value: 1 }, randomisation: { p_value: 1 } })
    expect(rev?.instructions_ignored).toBe(false)
    expect(report.warnings).toEqual([])
    // The same figures in the table and in the chart.
    const cmpRow = c.out.split('\n').find((l) => /^rev\s+default\s+nDCG@10\s/.test(l))
    expect(cmpRow?.split(/\s{2,}/)).toEqual(['rev', 'default', 'nDCG@10', `-${f4(0.28275296240044373)}`, '0/0/3', '0.0420 *', '0.2500'])
    expect(c.out).toMatch(/^rev\s+default\s+P@1\s+-1\.0000\s+0\/0\/3\s+n\/a\s+0\.2500$/m)
    expect(svg).toContain('rev vs default, paired over 3 queries')
    expect(svg).toContain('nDCG@10: -0.2828; 0/0/3; paired t p = 0.0420, randomisation p = 0.2500')
    expect(c.out).not.toMatch(/ignores instructions|lexical scorer is not cached/)

    // Table on stdout, progress on stderr.
    const row = c.out.split('\n').find((l) => l.startsWith('default '))
    expect(row?.split(/\s+/)).toEqual(['default', 'vllm', f4((1 + q2ndcg + 1) / 3), f4((1 + q2ndcg + 1) / 3), '1.0000', '1.0000', f4(2.5 / 3), f4(2.5 / 3), '8', '0', '3'])
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
    for (const argv of [[], ['--data', 'x.jsonl'], ['--run', 'x.run'], ['--bogus'], ['--variant', '=x', '--data', 'a', '--qrels', 'b'], ['-l', 'two'], ['--api-key', 'a b'], ['--seed', '-1']]) {
      const c = capture()
      expect(await main(argv, c.io), argv.join(' ')).toBe(2)
      expect(c.err).toContain('usage:')
    }
  })

  it('refuses, with status 2 and its name, a flag the chosen mode would ignore, a repeated --run, a base URL without scheme', async () => {
    const run = ['--qrels', 'q.txt', '--run', 'a.run']
    for (const [argv, said] of [
      [[...run, '--json', 'out.json'], '--json does not apply with --run'],
      [[...run, '--run-dir', 'runs'], '--run-dir does not apply with --run'],
      [[...run, '--variant', 'x=y'], '--variant does not apply with --run'],
      [[...run, '--base-url', 'http://127.0.0.1:1'], '--base-url does not apply with --run'],
      [[...run, '--api-key', 'k'], '--api-key does not apply with --run'],
      [[...run, '--concurrency', '2'], '--concurrency does not apply with --run'],
      [[...run, '--seed', '1'], '--seed applies with --run only when two or more'],
      [[...run, '--run', 'b.run', '-q'], '-q takes one --run'],
      [[...run, '--run', 'a.run'], '--run "a.run" given twice'],
      [['--data', 'd.jsonl', '--qrels', 'q.txt', '-q'], '-q applies only with --run'],
      [['--data', 'd.jsonl', '--qrels', 'q.txt', '--base-url', '127.0.0.1:18160'], '--base-url must be an http:// or https:// URL, got "127.0.0.1:18160"'],
      [['--data', 'd.jsonl', '--qrels', 'q.txt', '--base-url', 'localhost:8787'], '--base-url must be an http:// or https:// URL'],
    ] as const) {
      const c = capture()
      expect(await main(argv, c.io), argv.join(' ')).toBe(2)
      expect(c.err).toContain(`eval: ${said}`)
    }
    // RERANK_API_KEY is the environment's, not a flag given to run-file mode.
    expect(parseArgs([...run], { RERANK_API_KEY: 'k' }).runs).toEqual(['a.run'])
    expect(parseArgs(['--base-url', 'https://rerank.example/edge//']).baseUrl).toBe('https://rerank.example/edge')
  })
})
