/**
 * @module observability/rolling-stats
 * In-isolate rolling window over the last `capacity` requests (ring buffer of typed arrays, so
 * recording is a few stores and no allocation), summarised over the last `windowMs` on demand:
 * request rate, p50/p95 latency, cache hit ratio, backend errors, and the share of rerank calls
 * with a non-default instruction, and the prompt tokens / GPU-ms the score cache saved, per tenant
 * and template. One isolate's view only; fleet-wide figures come from
 * Analytics Engine. Pure: `now` is passed in.
 */
import { isBackendError, type RequestRecord } from './request-record'

const FLAG_RERANK = 1
const FLAG_NON_DEFAULT = 2
const FLAG_BACKEND_ERROR = 4
const FLAG_FALLBACK = 8
/** The call was scored lexically: the score cache was bypassed, so its pairs are neither hits nor misses. */
const FLAG_LEXICAL = 16

export interface StatsSummary {
  scope: 'isolate'
  window_seconds: number
  /**
   * The time the figures cover: `window_seconds`, or less when this isolate started within the
   * window or when more requests came in the window than the ring holds (`capped`).
   */
  covered_seconds: number
  /** True when the ring's capacity, not the window, bounded the figures: older in-window requests are not in them. */
  capped: boolean
  requests: number
  request_rate_per_s: number
  latency_ms: { p50: number | null; p95: number | null; max: number | null }
  status: { '2xx': number; '3xx': number; '4xx': number; '5xx': number }
  rerank_calls: number
  cache: { hits: number; misses: number; hit_ratio: number | null }
  backend_errors: number
  /** Rerank calls the lexical fallback answered because the GPU backend could not (FALLBACK=lexical). */
  fallback_answers: number
  non_default_instruction_share: number | null
  by_instruction_kind: Record<string, number>
  /** What the score cache saved the GPU in the window: in total, per tenant and per template. */
  cache_savings: CacheSavings
}

export interface SavingsFigures {
  rerank_calls: number
  prompt_tokens: number
  /** null when no call in the group had CACHE_GPU_TOKENS_PER_SECOND for its model. */
  gpu_ms: number | null
}

export interface CacheSavings extends SavingsFigures {
  by_tenant: Record<string, SavingsFigures>
  /** Keyed by template id; calls without a template under "(none)". */
  by_template: Record<string, SavingsFigures>
}

const NO_TEMPLATE = '(none)'

const emptyFigures = (): SavingsFigures => ({ rerank_calls: 0, prompt_tokens: 0, gpu_ms: null })

function addTo(group: Record<string, SavingsFigures>, key: string, tokens: number, gpuMs: number): void {
  let f = Object.hasOwn(group, key) ? group[key] : undefined
  if (f === undefined) {
    f = emptyFigures()
    // defineProperty: a tenant or template named "__proto__" must be a key, not a prototype.
    Object.defineProperty(group, key, { value: f, enumerable: true, writable: true, configurable: true })
  }
  add(f, tokens, gpuMs)
}

function add(f: SavingsFigures, tokens: number, gpuMs: number): void {
  f.rerank_calls++
  f.prompt_tokens += tokens
  if (!Number.isNaN(gpuMs)) f.gpu_ms = Math.round(((f.gpu_ms ?? 0) + gpuMs) * 100) / 100
}

/** Nearest-rank percentile (the same definition as bench/lib/stats.ts). */
function nearestRank(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i] as number
}

export class RollingStats {
  readonly #capacity: number
  readonly #windowMs: number
  readonly #at: Float64Array
  readonly #duration: Float64Array
  readonly #status: Uint16Array
  readonly #hits: Uint32Array
  readonly #misses: Uint32Array
  readonly #flags: Uint8Array
  readonly #kind: Uint8Array
  readonly #tokensSaved: Float64Array
  /** NaN: no GPU rate configured for that call. */
  readonly #gpuMsSaved: Float64Array
  readonly #tenant: string[]
  readonly #template: Array<string | null>
  #next = 0
  #size = 0
  #firstAt = Number.NaN
  /** When the newest entry the ring has overwritten was recorded (NaN: none yet). */
  #evictedAt = Number.NaN

  constructor(options: { capacity?: number; windowMs?: number } = {}) {
    this.#capacity = options.capacity ?? 10_000
    this.#windowMs = options.windowMs ?? 5 * 60_000
    this.#at = new Float64Array(this.#capacity)
    this.#duration = new Float64Array(this.#capacity)
    this.#status = new Uint16Array(this.#capacity)
    this.#hits = new Uint32Array(this.#capacity)
    this.#misses = new Uint32Array(this.#capacity)
    this.#flags = new Uint8Array(this.#capacity)
    this.#kind = new Uint8Array(this.#capacity)
    this.#tokensSaved = new Float64Array(this.#capacity)
    this.#gpuMsSaved = new Float64Array(this.#capacity)
    this.#tenant = new Array<string>(this.#capacity).fill('')
    this.#template = new Array<string | null>(this.#capacity).fill(null)
  }

  record(r: RequestRecord, at: number): void {
    const i = this.#next
    if (this.#size === this.#capacity) this.#evictedAt = this.#at[i] as number
    this.#at[i] = at
    this.#duration[i] = r.duration_ms
    this.#status[i] = r.status
    this.#hits[i] = r.cache_hits ?? 0
    this.#misses[i] = r.cache_misses ?? 0
    let flags = 0
    if (r.instruction_kind !== 'none' && r.instruction_kind !== null) flags |= FLAG_RERANK
    if (flags & FLAG_RERANK && r.instruction_kind !== 'default') flags |= FLAG_NON_DEFAULT
    if (isBackendError(r.error_code)) flags |= FLAG_BACKEND_ERROR
    if (r.fallback) flags |= FLAG_FALLBACK
    if (r.backend === 'lexical') flags |= FLAG_LEXICAL
    this.#flags[i] = flags
    this.#kind[i] = KIND_CODES.indexOf(r.instruction_kind ?? 'unknown')
    this.#tokensSaved[i] = r.cache_tokens_saved ?? 0
    this.#gpuMsSaved[i] = r.cache_gpu_ms_saved ?? Number.NaN
    this.#tenant[i] = r.tenant
    this.#template[i] = r.template
    this.#next = (i + 1) % this.#capacity
    this.#size = Math.min(this.#size + 1, this.#capacity)
    if (Number.isNaN(this.#firstAt)) this.#firstAt = at
  }

  reset(): void {
    this.#next = 0
    this.#size = 0
    this.#firstAt = Number.NaN
    this.#evictedAt = Number.NaN
  }

  summary(now: number): StatsSummary {
    const from = now - this.#windowMs
    const durations: number[] = []
    const status = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }
    const byKind: Record<string, number> = {}
    let oldest = now
    let truncated = false
    let hits = 0
    let misses = 0
    let backendErrors = 0
    let fallbacks = 0
    let rerankCalls = 0
    let nonDefault = 0
    const savings: CacheSavings = { ...emptyFigures(), by_tenant: {}, by_template: {} }
    for (let n = 0; n < this.#size; n++) {
      const i = (this.#next - 1 - n + this.#capacity) % this.#capacity
      const at = this.#at[i] as number
      if (at < from) {
        truncated = true // older entries are older still
        break
      }
      oldest = at
      durations.push(this.#duration[i] as number)
      const s = this.#status[i] as number
      const cls = s >= 500 ? '5xx' : s >= 400 ? '4xx' : s >= 300 ? '3xx' : '2xx'
      status[cls]++
      const flags = this.#flags[i] as number
      if (!(flags & FLAG_LEXICAL)) {
        hits += this.#hits[i] as number
        misses += this.#misses[i] as number
      }
      if (flags & FLAG_BACKEND_ERROR) backendErrors++
      if (flags & FLAG_FALLBACK) fallbacks++
      if (flags & FLAG_RERANK) {
        rerankCalls++
        if (flags & FLAG_NON_DEFAULT) nonDefault++
        const kind = KIND_CODES[this.#kind[i] as number] ?? 'unknown'
        byKind[kind] = (byKind[kind] ?? 0) + 1
        // Savings are counted for successful rerank calls (a failed one has no cache meta).
        if (s < 400) {
          const tokens = this.#tokensSaved[i] as number
          const gpuMs = this.#gpuMsSaved[i] as number
          add(savings, tokens, gpuMs)
          addTo(savings.by_tenant, this.#tenant[i] as string, tokens, gpuMs)
          addTo(savings.by_template, this.#template[i] ?? NO_TEMPLATE, tokens, gpuMs)
        }
      }
    }
    const sorted = Float64Array.from(durations).sort()
    // The rate's denominator: the part of the window this isolate has seen, or, when the ring is
    // full of in-window entries, the time those entries span. At least 1 s.
    let spanMs = Number.isNaN(this.#firstAt) ? 0 : now - Math.max(this.#firstAt, from)
    // The ring overwrote a request that was still in the window: the figures cover less.
    const capped = this.#evictedAt >= from
    if (!truncated && this.#size === this.#capacity) spanMs = now - oldest
    const spanS = Math.max(1, spanMs / 1000)
    return {
      scope: 'isolate',
      window_seconds: this.#windowMs / 1000,
      covered_seconds: Math.round(Math.max(0, spanMs) / 100) / 10,
      capped,
      requests: durations.length,
      request_rate_per_s: Math.round((durations.length / spanS) * 1000) / 1000,
      latency_ms: { p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95), max: sorted.length ? (sorted[sorted.length - 1] as number) : null },
      status,
      rerank_calls: rerankCalls,
      cache: { hits, misses, hit_ratio: hits + misses === 0 ? null : Math.round((hits / (hits + misses)) * 10_000) / 10_000 },
      backend_errors: backendErrors,
      fallback_answers: fallbacks,
      non_default_instruction_share: rerankCalls === 0 ? null : Math.round((nonDefault / rerankCalls) * 10_000) / 10_000,
      by_instruction_kind: byKind,
      cache_savings: savings,
    }
  }
}

const KIND_CODES = ['unknown', 'none', 'default', 'raw', 'template', 'experiment', 'query']
