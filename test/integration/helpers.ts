/**
 * Shared helpers for workerd integration tests: call the real worker with real local
 * bindings (KV, D1, Cache API) and a per-test fake vLLM instance.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../src/index'
import type { Env } from '../../src/app-env'
import { countSubrequests, InvocationSubrequests, inInvocation } from './subrequest-limit'

export const testEnv = env as unknown as Env & { FAKE_VLLM_URL: string }

/** When each score-cache key was last written (across every call of this test file's isolate). */
const lastScoreWrite = new Map<string, number>()

/**
 * The score cache's KV as strict as Cloudflare's: the local simulator takes any number of writes
 * to a key, KV one per second per key ("Writes to same key: 1 per second",
 * developers.cloudflare.com/kv/platform/limits), refusing the rest with a 429. Reads and lists go
 * to the real local binding.
 */
function strictScoreCache(kv: KVNamespace): KVNamespace {
  return {
    get: kv.get.bind(kv),
    getWithMetadata: kv.getWithMetadata.bind(kv),
    list: kv.list.bind(kv),
    delete: kv.delete.bind(kv),
    async put(key: string, value: never, options?: KVNamespacePutOptions) {
      const now = Date.now()
      const last = lastScoreWrite.get(key)
      if (last !== undefined && now - last < 1000) throw new Error('KV PUT failed: 429 Too Many Requests')
      lastScoreWrite.set(key, now)
      await kv.put(key, value, options)
    },
  } as unknown as KVNamespace
}

/**
 * An ANALYTICS binding as strict as the runtime's (workerd src/workerd/api/analytics-engine-impl.h):
 * at most 20 blobs, 20 doubles and 1 index of at most 96 bytes, blobs of at most 5,120 bytes in all
 * (UTF-8); past any of them `writeDataPoint` throws a TypeError and the point is lost. The local
 * binding (`wrangler dev`, Miniflare) accepts anything. Accepted points are kept in `points`.
 */
export function strictAnalytics(): { points: AnalyticsEngineDataPoint[]; writeDataPoint: (point?: AnalyticsEngineDataPoint) => void } {
  const points: AnalyticsEngineDataPoint[] = []
  const size = (v: unknown) => (typeof v === 'string' ? new TextEncoder().encode(v).byteLength : v instanceof ArrayBuffer ? v.byteLength : 0)
  return {
    points,
    writeDataPoint(point = {}) {
      const { blobs = [], doubles = [], indexes = [] } = point
      if (blobs.length > 20) throw new TypeError('writeDataPoint(): Maximum of 20 blobs supported.')
      if (doubles.length > 20) throw new TypeError('writeDataPoint(): Maximum of 20 doubles supported.')
      if (indexes.length > 1) throw new TypeError('writeDataPoint(): Maximum of 1 indexes supported.')
      if (indexes.length === 1 && size(indexes[0]) > 96) throw new TypeError('writeDataPoint(): Size of indexes[0] exceeds 96 bytes).')
      if (blobs.reduce((n: number, b) => n + size(b), 0) > 5120) throw new TypeError('writeDataPoint(): Cumulative size of blobs exceeds 5120 bytes).')
      points.push(point)
    },
  }
}

/**
 * D1's limit on one string or BLOB ("Maximum string, BLOB or table row size",
 * developers.cloudflare.com/d1/platform/limits: 1,000,000 bytes in the version we could read, 2 MB
 * in later ones; the stricter kept). The local D1 takes any size (checked: 5 MB inserted), though
 * it does enforce the 100 bound parameters and the 100 KB statement. The limit holds for a whole row
 * too: the test database refuses a row over it itself (test/strict-d1-rows.ts).
 */
export const D1_MAX_VALUE_BYTES = 1_000_000

/**
 * D1's limit on what one query returns ("Maximum query result size 50 MB",
 * developers.cloudflare.com/d1/platform/limits). The local D1 returns any size. Measured here as the
 * UTF-8 bytes of the rows' JSON, the form D1 sends them to the Worker in.
 */
export const D1_MAX_RESULT_BYTES = 50 * 1000 * 1000

/** What `strictD1` throws for a result over D1_MAX_RESULT_BYTES (D1 does not document its wording). */
export const D1_RESULT_TOO_LARGE = 'D1_ERROR: query result too large'

/**
 * The D1 binding as strict as D1 on size: a statement bound with a string or BLOB over
 * `D1_MAX_VALUE_BYTES` throws as D1 answers it (SQLITE_TOOBIG), and a statement (alone or in a
 * `batch`) whose rows pass `D1_MAX_RESULT_BYTES` rejects. Everything else goes to the real local
 * binding (`bind` returns its statement, so `batch` gets real ones).
 */
function strictD1(db: D1Database): D1Database {
  const encoder = new TextEncoder()
  const sizeOf = (v: unknown) =>
    typeof v === 'string' ? encoder.encode(v).byteLength : v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? v.byteLength : 0
  const checkResult = <T>(result: T): T => {
    // `first()` gives a row or null, `raw()` arrays, `all()`/`run()`/`batch()` `{ results }`.
    const rows = typeof result === 'object' && result !== null && 'results' in result ? (result as { results: unknown }).results : result
    const bytes = rows === null || rows === undefined ? 0 : encoder.encode(JSON.stringify(rows)).byteLength
    if (bytes > D1_MAX_RESULT_BYTES) throw new Error(`${D1_RESULT_TOO_LARGE}: ${bytes} bytes, over ${D1_MAX_RESULT_BYTES}`)
    return result
  }
  /** Each proxy's real statement: the runtime's `batch` reads internals a proxy does not have. */
  const unwrapped = new WeakMap<D1PreparedStatement, D1PreparedStatement>()
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') {
          return (...values: unknown[]) => {
            if (values.some((v) => sizeOf(v) > D1_MAX_VALUE_BYTES)) throw new Error('D1_ERROR: string or blob too big: SQLITE_TOOBIG')
            return statement(target.bind(...values))
          }
        }
        const v: unknown = Reflect.get(target, prop, target)
        if (typeof v !== 'function') return v
        const f = (v as (...a: unknown[]) => unknown).bind(target)
        if (prop === 'all' || prop === 'first' || prop === 'raw' || prop === 'run') return async (...a: unknown[]) => checkResult(await f(...a))
        return f
      },
    })
    unwrapped.set(proxy, stmt)
    return proxy
  }
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => statement(target.prepare(sql))
      if (prop === 'batch') {
        // The runtime's batch takes only its own statements: hand it what the proxies wrap.
        return async (stmts: D1PreparedStatement[]) => (await target.batch(stmts.map((s) => unwrapped.get(s) ?? s))).map(checkResult)
      }
      const v: unknown = Reflect.get(target, prop, target)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

/** The env the worker is called with: the real local bindings, the score cache's KV and D1 kept strict. */
export const workerEnv: Env & { FAKE_VLLM_URL: string } = {
  ...testEnv,
  SCORE_CACHE: strictScoreCache(testEnv.SCORE_CACHE as KVNamespace),
  ...(testEnv.DB === undefined ? {} : { DB: strictD1(testEnv.DB) }),
}

export interface FakeInstance {
  url: string
  control(patch: Record<string, unknown>): Promise<void>
  requests(): Promise<RecordedRequest[]>
  reset(): Promise<void>
}

export interface RecordedRequest {
  path: string
  authorization: string | null
  cfAccess?: { clientId: string; clientSecret: string }
  /** The `X-Request-Id` the worker sent (`<call id>-<n>`). */
  requestId?: string
  body: { model?: string; query: string; documents: string[]; [k: string]: unknown }
  parsed?: { instruction: string; query: string; documents: string[] }
  scores?: number[]
}

let counter = 0

/** A fresh, isolated fake vLLM server instance (its own recorded requests and mode). */
export function fakeVllm(name = 'test'): FakeInstance {
  const url = `${testEnv.FAKE_VLLM_URL}/i/${name}-${Date.now().toString(36)}-${counter++}`
  return {
    url,
    async control(patch) {
      const r = await fetch(`${url}/__control`, { method: 'POST', body: JSON.stringify(patch) })
      if (!r.ok) throw new Error(`fake control failed: ${r.status} ${await r.text()}`)
    },
    async requests() {
      return (await (await fetch(`${url}/__requests`)).json()) as RecordedRequest[]
    },
    async reset() {
      await fetch(`${url}/__reset`, { method: 'POST' })
    },
  }
}

export interface CallOptions {
  method?: string
  headers?: Record<string, string>
  vars?: Record<string, string>
  /**
   * The env to call with, as is (`envWith`): calls that share one share its parsed config and so
   * what the isolate keeps per config (scorer, upstream pool), as every call of a deployed isolate
   * does. Without it each call gets a fresh env, hence a fresh scorer.
   */
  env?: Env
  rawBody?: BodyInit | null
}

/** An env of the test bindings with `vars` laid over them, to pass as `CallOptions.env`. */
export function envWith(vars: Record<string, string>): Env {
  return { ...workerEnv, ...vars }
}

/** Calls the worker's fetch handler and waits for its `waitUntil` work to settle. */
export async function callWorker(path: string, body?: unknown, options: CallOptions = {}): Promise<Response> {
  const init: RequestInit = {
    method: options.method ?? (body === undefined && options.rawBody === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
  }
  if (options.rawBody !== undefined) init.body = options.rawBody
  else if (body !== undefined) init.body = JSON.stringify(body)
  const request = new Request(`http://rerank.test${path}`, init)
  const env = options.env ?? { ...workerEnv, ...(options.vars ?? {}) }
  return invoke(request, env)
}

/** Each response's invocation: the subrequests it made (subrequest-limit.ts). */
const invocations = new WeakMap<Response, InvocationSubrequests>()

/** The subrequests the invocation that answered `response` made, its `waitUntil` work included. */
export function subrequestsOf(response: Response): InvocationSubrequests {
  const s = invocations.get(response)
  if (s === undefined) throw new Error('not a response of callWorker')
  return s
}

/**
 * One worker invocation, as strict as the runtime on subrequests: every fetch, KV, D1 and
 * rate-limiter call it makes counts, and the 51st fails (subrequest-limit.ts).
 */
async function invoke(request: Request, env: Env): Promise<Response> {
  const ctx = createExecutionContext()
  const counter = new InvocationSubrequests()
  const response = await inInvocation(counter, async () => {
    const r = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, countSubrequests(env), ctx)
    await waitOnExecutionContext(ctx)
    return r
  })
  invocations.set(response, counter)
  return response
}

/** The union of the success and error wire shapes, loosely typed for assertions. */
export interface WireJson {
  id: string
  model: string
  results: Array<{ index: number; relevance_score: number; document?: { text: string; id?: string }; explanation?: Record<string, unknown> }>
  usage: Record<string, number>
  meta: {
    backend: string
    cache: { hits: number; misses: number }
    instruction: string
    warnings?: string[]
    [k: string]: unknown
  }
  error: { code: string; message: string; field?: string }
  request_id: string
  [k: string]: unknown
}

export async function rerank(
  body: unknown,
  options: CallOptions & { path?: string } = {}
): Promise<{ status: number; json: WireJson; headers: Headers; text: string; subrequests: InvocationSubrequests }> {
  const res = await callWorker(options.path ?? '/v1/rerank', body, options)
  const text = await res.text()
  let json: WireJson
  try {
    json = JSON.parse(text) as WireJson
  } catch {
    json = { __raw: text } as unknown as WireJson
  }
  return { status: res.status, json, headers: res.headers, text, subrequests: subrequestsOf(res) }
}

/**
 * Like `callWorker`, with env entries that are not strings (a spy for `ANALYTICS`, a failing
 * `RATE_LIMITER`, …) laid over the test env after `options.vars`.
 */
export async function callWorkerWithBindings(
  path: string,
  body: unknown,
  options: CallOptions,
  bindings: Record<string, unknown>
): Promise<Response> {
  const init: RequestInit = {
    method: options.method ?? (body === undefined && options.rawBody === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
  }
  if (options.rawBody !== undefined) init.body = options.rawBody
  else if (body !== undefined) init.body = JSON.stringify(body)
  const request = new Request(`http://rerank.test${path}`, init)
  const env = { ...workerEnv, ...(options.vars ?? {}), ...bindings } as Env
  return invoke(request, env)
}
