/**
 * `npm run eval` — offline evaluation (shared/notes/interface.md "Offline evaluation").
 *
 * Service mode: reranks every query of a JSONL data set through the running service, once per
 * instruction variant, and reports trec_eval-compatible figures per variant:
 *
 *   npm run eval -- --data FILE.jsonl --qrels QRELS [--variant NAME=INSTRUCTION]… [--base-url URL]
 *                   [--json OUT] [--run-dir DIR] [-l LEVEL] [--concurrency N] [--timeout-ms MS]
 *
 * Run-file mode: scores an existing TREC run file, printing trec_eval-style lines:
 *
 *   npm run eval -- --qrels QRELS --run RUNFILE [-l LEVEL] [-q]
 *
 * The metrics are src/eval/ (trec_eval's rules, see shared/notes/eval-and-experiments.md).
 * Exit status: 0 done, 1 failed (service, files), 2 bad usage.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { barChartSvg } from '../src/eval/bar-chart-svg'
import { EvalInputError } from '../src/eval/eval-input-error'
import { type RunEvaluation, evaluateRun } from '../src/eval/evaluate-run'
import { MEASURE_LABELS, MEASURE_NAMES, type Measures } from '../src/eval/measures'
import { type Qrels, parseQrels } from '../src/eval/qrels'
import { type RerankQuery, firstStageRun, parseRerankJsonl } from '../src/eval/rerank-data'
import { type Run, formatRun, parseRun } from '../src/eval/run-file'
import { formatFixed4, formatTrecLines } from '../src/eval/trec-format'
import type { RunEntry } from '../src/eval/trec-order'

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787'
const DEFAULT_CONCURRENCY = 4
const DEFAULT_TIMEOUT_MS = 120_000
const MAX_RETRIES = 3

export interface EvalIo {
  stdout(text: string): void
  stderr(text: string): void
  /** Whether stderr is a terminal (a redrawn progress bar) or a log (a line per 10 %). */
  readonly stderrIsTty: boolean
  readonly fetch: typeof fetch
  /** Waits between retries; replaceable so tests do not sleep. */
  sleep(ms: number): Promise<void>
}

const USAGE = `usage:
  npm run eval -- --data FILE.jsonl --qrels QRELS [--variant NAME=INSTRUCTION]... [--base-url URL]
                  [--json OUT] [--run-dir DIR] [-l LEVEL] [--concurrency N] [--timeout-ms MS]
  npm run eval -- --qrels QRELS --run RUNFILE [-l LEVEL] [-q]

  --data         JSONL, one {"qid","query","candidates":[{"docid","text",...}]} per line
  --qrels        TREC qrels (qid iter docno grade)
  --variant      an instruction variant, repeatable; none: one variant "default" without instruction
  --base-url     the service (default ${DEFAULT_BASE_URL}); POST {base}/v1/rerank
  --json         write every figure (means and per query) as JSON
  --run-dir      write one TREC run file per variant, the first-stage order, and eval-chart.svg
  -l, --level    lowest grade counted relevant by binary measures (trec_eval -l; default 1)
  --run          score this TREC run file instead of calling the service
  -q             with --run: also print per-query lines, as trec_eval -q
  --concurrency  requests in flight at once (default ${DEFAULT_CONCURRENCY})
  --timeout-ms   per-request deadline (default ${DEFAULT_TIMEOUT_MS})
`

class UsageError extends Error {}

export interface Variant {
  readonly name: string
  readonly instruction?: string
}

export interface EvalOptions {
  readonly data?: string
  readonly qrels?: string
  readonly run?: string
  readonly variants: readonly Variant[]
  readonly baseUrl: string
  readonly json?: string
  readonly runDir?: string
  readonly level: number
  readonly perQuery: boolean
  readonly concurrency: number
  readonly timeoutMs: number
  readonly help: boolean
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`)
  return n
}

export function parseArgs(argv: readonly string[]): EvalOptions {
  const variants: Variant[] = []
  const o: {
    data?: string
    qrels?: string
    run?: string
    json?: string
    runDir?: string
    baseUrl: string
    level: number
    perQuery: boolean
    concurrency: number
    timeoutMs: number
    help: boolean
  } = {
    baseUrl: DEFAULT_BASE_URL,
    level: 1,
    perQuery: false,
    concurrency: DEFAULT_CONCURRENCY,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    help: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? ''
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1
    const flag = eq > 0 ? raw.slice(0, eq) : raw
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined
    const value = (): string => {
      if (inline !== undefined) return inline
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '--data':
        o.data = value()
        break
      case '--qrels':
        o.qrels = value()
        break
      case '--run':
        o.run = value()
        break
      case '--json':
        o.json = value()
        break
      case '--run-dir':
        o.runDir = value()
        break
      case '--base-url':
        o.baseUrl = value().replace(/\/+$/, '')
        break
      case '-l':
      case '--level': {
        const v = value()
        if (!/^-?\d+$/.test(v)) throw new UsageError(`${flag} must be an integer grade, got "${v}"`)
        o.level = Number(v)
        break
      }
      case '-q':
        o.perQuery = true
        break
      case '--concurrency':
        o.concurrency = positiveInt(flag, value())
        break
      case '--timeout-ms':
        o.timeoutMs = positiveInt(flag, value())
        break
      case '--variant': {
        const v = value()
        const at = v.indexOf('=')
        const name = (at < 0 ? v : v.slice(0, at)).trim()
        const instruction = at < 0 ? undefined : v.slice(at + 1)
        if (name === '') throw new UsageError(`--variant needs NAME=INSTRUCTION, got "${v}"`)
        if (variants.some((x) => x.name === name)) throw new UsageError(`--variant "${name}" given twice`)
        variants.push(instruction === undefined || instruction.trim() === '' ? { name } : { name, instruction })
        break
      }
      case '-h':
      case '--help':
        o.help = true
        break
      default:
        throw new UsageError(`unknown argument "${raw}"`)
    }
  }
  return { ...o, variants: variants.length > 0 ? variants : [{ name: 'default' }] }
}

// ---------------------------------------------------------------------------------------------
// Run-file mode

function scoreRunFile(opts: EvalOptions, io: EvalIo): number {
  if (opts.qrels === undefined || opts.run === undefined) throw new UsageError('--run needs --qrels')
  if (opts.data !== undefined) throw new UsageError('--run and --data are two different modes; give one')
  const qrels = parseQrels(readFileSync(opts.qrels, 'utf8'))
  const run = parseRun(readFileSync(opts.run, 'utf8'))
  const e = evaluateRun(qrels, run, opts.level)
  warnCoverage(e, io)
  if (e.numQueries === 0) {
    io.stderr('eval: no query is in both the run and the qrels\n')
    return 1
  }
  if (opts.perQuery) for (const [qid, m] of e.perQuery) io.stdout(formatTrecLines(m, qid))
  io.stdout(formatTrecLines(e.mean))
  io.stderr(`eval: ${e.numQueries} queries measured, grade >= ${opts.level} relevant\n`)
  return 0
}

function warnCoverage(e: RunEvaluation, io: EvalIo): void {
  if (e.unjudgedQueries.length > 0) {
    io.stderr(`eval: ${e.unjudgedQueries.length} run queries have no judgments and are not measured\n`)
  }
  if (e.missingQueries.length > 0) {
    io.stderr(`eval: ${e.missingQueries.length} judged queries are missing from the run and are not measured\n`)
  }
}

// ---------------------------------------------------------------------------------------------
// Service mode

interface RerankReply {
  readonly scores: ReadonlyMap<number, number>
  readonly backend: string
  readonly hits: number
  readonly misses: number
}

class ServiceError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Validates `{results:[{index, relevance_score}], meta:{backend, cache:{hits, misses}}}`. */
export function parseRerankReply(body: unknown, documentCount: number): RerankReply {
  if (!isRecord(body) || !Array.isArray(body.results)) throw new ServiceError('response has no "results" array')
  const scores = new Map<number, number>()
  for (const r of body.results) {
    if (!isRecord(r)) throw new ServiceError('a result is not an object')
    const { index, relevance_score: score } = r
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= documentCount) {
      throw new ServiceError(`result index ${String(index)} is not a document index (0…${documentCount - 1})`)
    }
    if (typeof score !== 'number' || !Number.isFinite(score)) throw new ServiceError(`result ${index} has no finite relevance_score`)
    if (scores.has(index)) throw new ServiceError(`result index ${index} appears twice`)
    scores.set(index, score)
  }
  const meta = isRecord(body.meta) ? body.meta : {}
  const cache = isRecord(meta.cache) ? meta.cache : {}
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0)
  return {
    scores,
    backend: typeof meta.backend === 'string' ? meta.backend : 'unknown',
    hits: count(cache.hits),
    misses: count(cache.misses),
  }
}

const RETRYABLE = new Set([429, 502, 503, 504])

function retryDelayMs(res: Response | undefined, attempt: number): number {
  const header = res?.headers.get('retry-after')
  const seconds = header !== null && header !== undefined ? Number(header) : Number.NaN
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 10) * 1000
  return 250 * 2 ** attempt
}

async function describeFailure(res: Response): Promise<string> {
  let detail = ''
  try {
    const body: unknown = await res.json()
    if (isRecord(body) && isRecord(body.error)) {
      detail = `: ${String(body.error.code ?? '')} ${String(body.error.message ?? '')}`.trimEnd()
    }
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${res.status}${detail}`
}

async function rerankOnce(
  opts: EvalOptions,
  io: EvalIo,
  query: RerankQuery,
  variant: Variant,
): Promise<RerankReply> {
  const body = JSON.stringify({
    query: query.query,
    documents: query.candidates.map((c) => c.text),
    ...(variant.instruction !== undefined ? { instruction: variant.instruction } : {}),
  })
  const url = `${opts.baseUrl}/v1/rerank`
  for (let attempt = 0; ; attempt++) {
    let res: Response | undefined
    try {
      res = await io.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      })
    } catch (err) {
      if (attempt >= MAX_RETRIES) {
        const reason = err instanceof Error ? err.message : String(err)
        throw new ServiceError(`query ${query.qid}: cannot reach ${url} (${reason})`)
      }
      await io.sleep(retryDelayMs(undefined, attempt))
      continue
    }
    if (res.ok) {
      let json: unknown
      try {
        json = await res.json()
      } catch {
        throw new ServiceError(`query ${query.qid}: the response is not JSON`)
      }
      try {
        return parseRerankReply(json, query.candidates.length)
      } catch (err) {
        throw new ServiceError(`query ${query.qid}: ${(err as Error).message}`)
      }
    }
    if (!RETRYABLE.has(res.status) || attempt >= MAX_RETRIES) {
      throw new ServiceError(`query ${query.qid}, variant ${variant.name}: ${await describeFailure(res)}`)
    }
    await res.body?.cancel()
    await io.sleep(retryDelayMs(res, attempt))
  }
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure stops new starts. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed = false
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T
      try {
        await task(item)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

function progressReporter(io: EvalIo, label: string, total: number): { tick(): void; done(): void } {
  let count = 0
  let lastDecile = -1
  const width = 30
  const draw = () => {
    const filled = total === 0 ? width : Math.round((count / total) * width)
    io.stderr(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total}`)
  }
  if (io.stderrIsTty) draw()
  return {
    tick() {
      count++
      if (io.stderrIsTty) draw()
      else {
        const decile = total === 0 ? 10 : Math.floor((count / total) * 10)
        if (decile > lastDecile) {
          lastDecile = decile
          io.stderr(`${label}: ${count}/${total} queries\n`)
        }
      }
    },
    done() {
      if (io.stderrIsTty) io.stderr('\n')
    },
  }
}

export interface VariantReport {
  readonly name: string
  readonly instruction: string | null
  /** `meta.backend` of the responses ("lexical", "vllm"; "a+b" when they differed). */
  readonly backend: string
  readonly backends: Readonly<Record<string, number>>
  /** Pairs the backend scored (Σ meta.cache.misses) and pairs served from cache (Σ hits). */
  readonly pairsScored: number
  readonly pairsCached: number
  readonly requests: number
  readonly wallMs: number
  readonly evaluation: RunEvaluation
  readonly run: Run
  runFile?: string
}

async function runVariant(
  opts: EvalOptions,
  io: EvalIo,
  queries: readonly RerankQuery[],
  qrels: Qrels,
  variant: Variant,
): Promise<VariantReport> {
  const run = new Map<string, RunEntry[]>()
  const backends: Record<string, number> = {}
  let hits = 0
  let misses = 0
  let requests = 0
  const withDocs = queries.filter((q) => q.candidates.length > 0)
  const progress = progressReporter(io, variant.name, withDocs.length)
  const started = performance.now()
  try {
    await pool(withDocs, opts.concurrency, async (q) => {
      const reply = await rerankOnce(opts, io, q, variant)
      requests++
      hits += reply.hits
      misses += reply.misses
      backends[reply.backend] = (backends[reply.backend] ?? 0) + 1
      const entries: RunEntry[] = []
      for (const [index, score] of reply.scores) {
        const c = q.candidates[index]
        if (c !== undefined) entries.push({ docno: c.docid, score })
      }
      run.set(q.qid, entries)
      progress.tick()
    })
  } finally {
    progress.done()
  }
  const wallMs = performance.now() - started
  // Queries in data order, so run files read like the input.
  const ordered = new Map<string, RunEntry[]>()
  for (const q of queries) {
    const e = run.get(q.qid)
    if (e !== undefined) ordered.set(q.qid, e)
  }
  const names = Object.keys(backends).sort()
  return {
    name: variant.name,
    instruction: variant.instruction ?? null,
    backend: names.length === 0 ? 'none' : names.join('+'),
    backends,
    pairsScored: misses,
    pairsCached: hits,
    requests,
    wallMs,
    evaluation: evaluateRun(qrels, ordered, opts.level),
    run: ordered,
  }
}

/** A name safe in a file name and a run-file column. */
export function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '')
  return s === '' ? 'variant' : s
}

function measuresJson(m: Measures): Record<string, number> {
  return Object.fromEntries(MEASURE_NAMES.map((k) => [k, m[k]]))
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length)
}

function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? []
  return rows.map((r) => r.map((cell, c) => pad(cell, (widths[c] ?? 0) + 2)).join('').trimEnd()).join('\n') + '\n'
}

async function evaluateService(opts: EvalOptions, io: EvalIo): Promise<number> {
  if (opts.data === undefined || opts.qrels === undefined) throw new UsageError('give --data and --qrels (or --qrels and --run)')
  const queries = parseRerankJsonl(readFileSync(opts.data, 'utf8'))
  const qrels = parseQrels(readFileSync(opts.qrels, 'utf8'))
  const empty = queries.filter((q) => q.candidates.length === 0).length
  if (empty > 0) io.stderr(`eval: ${empty} queries have no candidates and are skipped\n`)
  const unjudged = queries.filter((q) => !qrels.has(q.qid)).length
  if (unjudged > 0) io.stderr(`eval: ${unjudged} queries have no judgments: reranked but not measured\n`)

  const hasFirstStage = queries.some((q) => q.candidates.some((c) => c.firstStageRank !== undefined))
  const firstStage = hasFirstStage ? evaluateRun(qrels, firstStageRun(queries), opts.level) : undefined

  const reports: VariantReport[] = []
  for (const variant of opts.variants) {
    try {
      reports.push(await runVariant(opts, io, queries, qrels, variant))
    } catch (err) {
      if (err instanceof ServiceError) {
        io.stderr(`eval: ${err.message}\n`)
        return 1
      }
      throw err
    }
  }

  // Files.
  if (opts.runDir !== undefined) {
    mkdirSync(opts.runDir, { recursive: true })
    for (const r of reports) {
      const file = join(opts.runDir, `${safeName(r.name)}.run`)
      writeFileSync(file, formatRun(r.run, `rerank-edge.${safeName(r.name)}`))
      r.runFile = file
    }
    if (hasFirstStage) writeFileSync(join(opts.runDir, 'first-stage.run'), formatRun(firstStageRun(queries), 'first-stage'))
  }
  const chartPath =
    opts.runDir !== undefined
      ? join(opts.runDir, 'eval-chart.svg')
      : opts.json !== undefined
        ? join(dirname(opts.json), `${basename(opts.json, extname(opts.json))}.svg`)
        : undefined
  if (chartPath !== undefined) {
    const series = reports.map((r) => ({ name: r.name, values: MEASURE_NAMES.map((m) => r.evaluation.mean[m]) }))
    if (firstStage !== undefined) {
      series.unshift({ name: 'first stage', values: MEASURE_NAMES.map((m) => firstStage.mean[m]) })
    }
    const subtitle = `${basename(opts.data)}: ${reports[0]?.evaluation.numQueries ?? 0} judged queries; binary measures count grade ≥ ${opts.level} relevant; trec_eval rules`
    mkdirSync(dirname(chartPath), { recursive: true })
    writeFileSync(
      chartPath,
      barChartSvg({ title: 'rerank-edge offline evaluation', subtitle, categories: MEASURE_NAMES.map((m) => MEASURE_LABELS[m]), series }),
    )
  }
  if (opts.json !== undefined) {
    const doc = {
      data: resolve(opts.data),
      qrels: resolve(opts.qrels),
      base_url: opts.baseUrl,
      relevance_level: opts.level,
      queries_in_data: queries.length,
      first_stage: firstStage && {
        queries_evaluated: firstStage.numQueries,
        metrics: measuresJson(firstStage.mean),
      },
      variants: reports.map((r) => ({
        name: r.name,
        instruction: r.instruction,
        backend: r.backend,
        backends: r.backends,
        pairs_scored: r.pairsScored,
        pairs_cached: r.pairsCached,
        requests: r.requests,
        wall_ms: Math.round(r.wallMs),
        queries_evaluated: r.evaluation.numQueries,
        metrics: measuresJson(r.evaluation.mean),
        per_query: Object.fromEntries([...r.evaluation.perQuery].map(([qid, m]) => [qid, measuresJson(m)])),
        ...(r.runFile !== undefined ? { run_file: r.runFile } : {}),
      })),
      ...(chartPath !== undefined ? { chart: chartPath } : {}),
    }
    mkdirSync(dirname(opts.json), { recursive: true })
    writeFileSync(opts.json, `${JSON.stringify(doc, null, 2)}\n`)
  }

  // Report.
  const header = ['variant', 'backend', ...MEASURE_NAMES.map((m) => MEASURE_LABELS[m]), 'scored', 'cached', 'queries']
  const rows: string[][] = [header]
  if (firstStage !== undefined) {
    rows.push(['(first stage)', '-', ...MEASURE_NAMES.map((m) => formatFixed4(firstStage.mean[m])), '-', '-', String(firstStage.numQueries)])
  }
  for (const r of reports) {
    rows.push([
      r.name,
      r.backend,
      ...MEASURE_NAMES.map((m) => formatFixed4(r.evaluation.mean[m])),
      String(r.pairsScored),
      String(r.pairsCached),
      String(r.evaluation.numQueries),
    ])
  }
  io.stdout(`data: ${opts.data}  qrels: ${opts.qrels}  service: ${opts.baseUrl}  relevant: grade >= ${opts.level}\n`)
  io.stdout(formatTable(rows))
  io.stdout('scored = pairs the backend computed (meta.cache.misses), cached = pairs served from cache (meta.cache.hits)\n')
  for (const r of reports) if (r.runFile !== undefined) io.stdout(`run file: ${r.runFile}\n`)
  if (chartPath !== undefined) io.stdout(`chart: ${chartPath}\n`)
  if (opts.json !== undefined) io.stdout(`json: ${opts.json}\n`)
  return 0
}

// ---------------------------------------------------------------------------------------------

function defaultIo(): EvalIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrIsTty: process.stderr.isTTY === true,
    fetch: globalThis.fetch,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  }
}

/** The CLI; returns the exit status. `io` replaces the process's streams and fetch (tests). */
export async function main(argv: readonly string[], io: Partial<EvalIo> = {}): Promise<number> {
  const full: EvalIo = { ...defaultIo(), ...io }
  try {
    const opts = parseArgs(argv)
    if (opts.help) {
      full.stdout(USAGE)
      return 0
    }
    if (opts.run !== undefined) return scoreRunFile(opts, full)
    return await evaluateService(opts, full)
  } catch (err) {
    if (err instanceof UsageError) {
      full.stderr(`eval: ${err.message}\n\n${USAGE}`)
      return 2
    }
    if (err instanceof EvalInputError || (err instanceof Error && 'code' in err && typeof err.code === 'string')) {
      full.stderr(`eval: ${err.message}\n`) // a bad input file, or a file-system error (ENOENT, …)
      return 1
    }
    throw err
  }
}

const invokedPath = process.argv[1]
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`eval: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = 1
    },
  )
}
