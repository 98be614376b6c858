/**
 * Command line of `npm run eval`: flags, usage text and their checks. A bad flag is a
 * `UsageError` (exit status 2).
 */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787'
export const DEFAULT_CONCURRENCY = 4
export const DEFAULT_TIMEOUT_MS = 120_000
export const DEFAULT_SEED = 20261203

export const USAGE = `usage:
  npm run eval -- --data FILE.jsonl --qrels QRELS [--variant NAME=INSTRUCTION]... [--base-url URL]
                  [--json OUT] [--run-dir DIR] [-l LEVEL] [--concurrency N] [--timeout-ms MS]
                  [--api-key KEY] [--seed N]
  npm run eval -- --qrels QRELS --run RUNFILE [-l LEVEL] [-q]
  npm run eval -- --qrels QRELS --run RUNFILE --run RUNFILE2... [-l LEVEL] [--seed N]

  --data         JSONL, one {"qid","query","candidates":[{"docid","text",...}]} per line
  --qrels        TREC qrels (qid iter docno grade)
  --variant      an instruction variant, repeatable; none: one variant "default" without instruction.
                 With two or more, each is compared with the first per measure: mean difference,
                 per-query wins/ties/losses, paired t-test and randomisation test p-values
  --base-url     the service (default ${DEFAULT_BASE_URL}); POST {base}/v1/rerank
  --json         write every figure (means and per query) as JSON
  --run-dir      write one TREC run file per variant, the first-stage order, and eval-chart.svg
  --api-key      send this key as "Authorization: Bearer" (default: $RERANK_API_KEY)
  --seed         seed of the randomisation test's resampling (default ${DEFAULT_SEED})
  -l, --level    lowest grade counted relevant by binary measures (trec_eval -l; default 1)
  --run          score this TREC run file instead of calling the service; repeatable: two or
                 more are compared with the first per measure, as variants are
  -q             with one --run: also print per-query lines, as trec_eval -q
  --concurrency  requests in flight at once (default ${DEFAULT_CONCURRENCY})
  --timeout-ms   per-request deadline (default ${DEFAULT_TIMEOUT_MS})
`

export class UsageError extends Error {}

/** Flags run-file mode reads; `--seed` only when it compares two or more run files. */
const RUN_FILE_FLAGS = new Set(['--qrels', '--run', '-l', '--level', '-q', '--seed', '-h', '--help'])

export interface Variant {
  readonly name: string
  readonly instruction?: string
}

export interface EvalOptions {
  readonly data?: string
  readonly qrels?: string
  /** `--run` files, in the order given; empty in service mode. */
  readonly runs: readonly string[]
  readonly variants: readonly Variant[]
  readonly baseUrl: string
  readonly json?: string
  readonly runDir?: string
  readonly level: number
  readonly perQuery: boolean
  readonly concurrency: number
  readonly timeoutMs: number
  readonly help: boolean
  /** Bearer key for the service; from --api-key, else RERANK_API_KEY. Never printed. */
  readonly apiKey?: string
  readonly seed: number
  /** The flags as given (`--level` and `-l` as typed), for the mode check. */
  readonly given: readonly string[]
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`)
  return n
}

/**
 * An http(s) URL without its trailing slashes. Without a scheme ("127.0.0.1:8787") fetch fails
 * on every call, which would look like a service that is down (three retries, then exit 1).
 */
function baseUrl(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UsageError(`--base-url must be an http:// or https:// URL, got "${value}"`)
  }
  return value.replace(/\/+$/, '')
}

export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): EvalOptions {
  const variants: Variant[] = []
  const runs: string[] = []
  const given: string[] = []
  const o: {
    data?: string
    qrels?: string
    json?: string
    runDir?: string
    baseUrl: string
    level: number
    perQuery: boolean
    concurrency: number
    timeoutMs: number
    help: boolean
    apiKey?: string
    seed: number
  } = {
    baseUrl: DEFAULT_BASE_URL,
    level: 1,
    perQuery: false,
    concurrency: DEFAULT_CONCURRENCY,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    help: false,
    seed: DEFAULT_SEED,
  }
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? ''
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1
    const flag = eq > 0 ? raw.slice(0, eq) : raw
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined
    given.push(flag)
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
      case '--run': {
        const v = value()
        if (runs.includes(v)) throw new UsageError(`--run "${v}" given twice`)
        runs.push(v)
        break
      }
      case '--json':
        o.json = value()
        break
      case '--run-dir':
        o.runDir = value()
        break
      case '--base-url':
        o.baseUrl = baseUrl(value())
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
      case '--api-key': {
        const v = value()
        if (!/^[\x21-\x7e]{1,512}$/.test(v)) throw new UsageError('--api-key must be 1 to 512 printable characters without spaces')
        o.apiKey = v
        break
      }
      case '--seed': {
        const v = value()
        if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`--seed must be an integer from 0 to 4294967295, got "${v}"`)
        o.seed = Number(v)
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
  if (o.apiKey === undefined && env.RERANK_API_KEY !== undefined && env.RERANK_API_KEY !== '') o.apiKey = env.RERANK_API_KEY
  const opts = { ...o, runs, given, variants: variants.length > 0 ? variants : [{ name: 'default' }] }
  if (!o.help) checkModeFlags(opts)
  return opts
}

/**
 * Refuses a flag the chosen mode would silently ignore (a `--json` that writes nothing, a `-q`
 * that prints nothing per query): the run would look complete while doing less than asked.
 */
function checkModeFlags(opts: EvalOptions): void {
  if (opts.runs.length === 0) {
    if (opts.given.includes('-q')) throw new UsageError('-q applies only with --run (service mode writes per-query figures with --json)')
    return
  }
  if (opts.data !== undefined) throw new UsageError('--run and --data are two different modes; give one')
  for (const flag of opts.given) {
    if (!RUN_FILE_FLAGS.has(flag)) {
      throw new UsageError(`${flag} does not apply with --run (run-file mode takes --qrels, --run, -l, -q; --seed with two or more --run)`)
    }
  }
  if (opts.runs.length === 1 && opts.given.includes('--seed')) throw new UsageError('--seed applies with --run only when two or more run files are compared')
  if (opts.runs.length > 1 && opts.given.includes('-q')) throw new UsageError('-q takes one --run (per-query lines of several runs would interleave)')
}
