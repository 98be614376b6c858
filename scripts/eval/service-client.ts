/**
 * The eval's client of the running service: `POST {base}/v1/rerank` per query and variant, with
 * the API key when given, retries on 429/502/503/504 (honouring Retry-After, else exponential),
 * and a strict check of the reply's shape. A failure is a `ServiceError` (exit status 1); the key
 * never appears in one.
 */
import type { RerankQuery } from '../../src/eval/rerank-data'
import type { EvalOptions, Variant } from './eval-args'
import type { EvalIo } from './eval-io'

const MAX_RETRIES = 3

export interface RerankReply {
  readonly scores: ReadonlyMap<number, number>
  readonly backend: string
  readonly hits: number
  readonly misses: number
  /** `meta.warnings` (e.g. "scored by the embedded lexical scorer, which ignores instructions"). */
  readonly warnings: readonly string[]
}

export class ServiceError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Validates `{results:[{index, relevance_score}], meta:{backend, cache:{hits, misses}, warnings}}`. */
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
    warnings: Array.isArray(meta.warnings) ? meta.warnings.filter((w): w is string => typeof w === 'string') : [],
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

/** What to do about a 401: the two ways this command takes a key (eval-args.ts). */
function keyHint(status: number, opts: EvalOptions): string {
  if (status !== 401) return ''
  return opts.apiKey === undefined ? ' (pass --api-key or set RERANK_API_KEY)' : ' (the key from --api-key or RERANK_API_KEY was refused)'
}

export async function rerankOnce(
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
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(opts.apiKey !== undefined ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
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
      throw new ServiceError(`query ${query.qid}, variant ${variant.name}: ${await describeFailure(res)}${keyHint(res.status, opts)}`)
    }
    await res.body?.cancel()
    await io.sleep(retryDelayMs(res, attempt))
  }
}
