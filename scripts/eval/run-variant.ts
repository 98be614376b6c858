/**
 * One instruction variant of `npm run eval`: every query through the service (a bounded pool of
 * requests in flight), progress on stderr, and the run scored with trec_eval's rules. Records the
 * backend(s) that answered and their warnings, so the report can say when instructions were ignored.
 */
import { type RunEvaluation, evaluateRun } from '../../src/eval/evaluate-run'
import type { Qrels } from '../../src/eval/qrels'
import type { RerankQuery } from '../../src/eval/rerank-data'
import type { Run } from '../../src/eval/run-file'
import type { RunEntry } from '../../src/eval/trec-order'
import type { EvalOptions, Variant } from './eval-args'
import type { EvalIo } from './eval-io'
import { rerankOnce } from './service-client'

const MAX_WARNINGS = 10

/**
 * The lexical scorer does not read instructions (src/backends/lexical/lexical-backend.ts), and the
 * service says so in `meta.warnings` when it falls back to it.
 */
export function ignoresInstructions(backends: readonly string[], warnings: readonly string[]): boolean {
  return backends.includes('lexical') || warnings.some((w) => /ignores? (the )?(arm's )?instructions?/i.test(w))
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

export function progressReporter(io: EvalIo, label: string, total: number): { tick(): void; done(): void } {
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
  /** Distinct `meta.warnings` of the responses, at most MAX_WARNINGS. */
  readonly warnings: readonly string[]
  /** The backend ignored the instruction (lexical scorer, or a warning saying so). */
  readonly instructionsIgnored: boolean
  readonly evaluation: RunEvaluation
  readonly run: Run
  runFile?: string
}

export async function runVariant(
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
  const warnings = new Set<string>()
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
      for (const w of reply.warnings) if (warnings.size < MAX_WARNINGS) warnings.add(w)
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
  const warningList = [...warnings]
  return {
    name: variant.name,
    instruction: variant.instruction ?? null,
    backend: names.length === 0 ? 'none' : names.join('+'),
    backends,
    pairsScored: misses,
    pairsCached: hits,
    requests,
    wallMs,
    warnings: warningList,
    instructionsIgnored: ignoresInstructions(names, warningList),
    evaluation: evaluateRun(qrels, ordered, opts.level),
    run: ordered,
  }
}
