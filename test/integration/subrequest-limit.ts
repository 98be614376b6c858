/**
 * The Workers runtime's subrequest limit, which Miniflare does not enforce: one invocation may make
 * 50 subrequests on the Free plan ("Subrequests", developers.cloudflare.com/workers/platform/limits:
 * fetch() calls and calls to Cloudflare services such as KV and D1), and past that the call throws
 * `Too many subrequests.`. `callWorker` (helpers.ts) runs each worker invocation inside
 * `inInvocation`, so every fetch, KV, D1 and rate-limiter call it makes, `waitUntil` work included,
 * is counted against that invocation (through AsyncLocalStorage, which follows promises and timers),
 * and the 51st is refused as the runtime refuses it.
 *
 * Not counted: Analytics Engine's `writeDataPoint` (its own limit of data points per invocation,
 * developers.cloudflare.com/analytics/analytics-engine/limits), and calls the test itself makes
 * outside an invocation (the fake vLLM's control routes, direct D1 reads).
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** Subrequests one invocation may make on the Workers Free plan (developers.cloudflare.com/workers/platform/limits). */
export const WORKERS_FREE_SUBREQUESTS = 50

/** The runtime's words when an invocation passes its limit. */
export const TOO_MANY_SUBREQUESTS = 'Too many subrequests.'

/** The subrequests of one worker invocation, in the order they were made. */
export class InvocationSubrequests {
  readonly made: string[] = []
  /** Those past the limit, refused. */
  readonly refused: string[] = []
  constructor(readonly limit = WORKERS_FREE_SUBREQUESTS) {}

  get count(): number {
    return this.made.length + this.refused.length
  }

  /** Counts one; false when it is past the limit (the caller then fails it as the runtime does). */
  take(what: string): boolean {
    if (this.made.length >= this.limit) {
      this.refused.push(what)
      return false
    }
    this.made.push(what)
    return true
  }

  /** How many of the made ones start with `kind` (`fetch`, `kv`, `d1`, `ratelimit`). */
  of(kind: string): number {
    return this.made.filter((m) => m.startsWith(`${kind} `)).length
  }
}

const current = new AsyncLocalStorage<InvocationSubrequests>()

/** Runs `f` (one worker invocation, its `waitUntil` work included) counting its subrequests in `counter`. */
export function inInvocation<T>(counter: InvocationSubrequests, f: () => T): T {
  return current.run(counter, f)
}

/** Counts a subrequest of the current invocation; the error to fail it with when it is one too many. */
function take(what: string): Error | undefined {
  const counter = current.getStore()
  if (counter === undefined || counter.take(what)) return undefined
  return new Error(TOO_MANY_SUBREQUESTS)
}

function counted<A extends unknown[], R>(what: (...a: A) => string, f: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
  return (...a: A) => {
    const refused = take(what(...a))
    return refused === undefined ? f(...a) : Promise.reject(refused)
  }
}

// The global fetch the worker's upstream and health clients call (vllm-client.ts,
// upstream-health-client.ts resolve `fetch` at call time), counted once for the whole test isolate.
const realFetch = globalThis.fetch
globalThis.fetch = counted(
  (input: RequestInfo | URL) => `fetch ${input instanceof Request ? input.url : String(input)}`,
  (input: RequestInfo | URL, init?: RequestInit) => realFetch(input, init)
) as typeof fetch

/** Each binding's counted stand-in (one per binding, so isolate state keyed by it survives). */
const wrappers = new WeakMap<object, object>()
const isWrapper = new WeakSet<object>()

function memo<T extends object>(binding: T, wrap: (b: T) => T): T {
  if (isWrapper.has(binding)) return binding
  let w = wrappers.get(binding) as T | undefined
  if (w === undefined) {
    w = wrap(binding)
    wrappers.set(binding, w)
    isWrapper.add(w)
  }
  return w
}

const KV_METHODS = new Set(['get', 'getWithMetadata', 'put', 'delete', 'list'])

function countedKv(name: string, kv: object): object {
  return new Proxy(kv, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      const f = (v as (...a: unknown[]) => Promise<unknown>).bind(target)
      return KV_METHODS.has(String(prop)) ? counted((key: unknown) => `kv ${name}.${String(prop)} ${String(key)}`, f) : f
    },
  })
}

function countedD1(name: string, db: D1Database): D1Database {
  /** Each counted statement's own: the runtime's (or strictD1's) `batch` takes only those. */
  const inner = new WeakMap<object, D1PreparedStatement>()
  const statement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop, target)
        if (typeof v !== 'function') return v
        const f = (v as (...a: unknown[]) => unknown).bind(target)
        if (prop === 'bind') return (...values: unknown[]) => statement(f(...values) as D1PreparedStatement, sql)
        if (prop === 'all' || prop === 'first' || prop === 'raw' || prop === 'run') {
          return counted(() => `d1 ${name} ${sql.replace(/\s+/gu, ' ').trim().slice(0, 80)}`, f as (...a: unknown[]) => Promise<unknown>)
        }
        return f
      },
    })
    inner.set(proxy, stmt)
    return proxy
  }
  return new Proxy(db, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      const f = (v as (...a: unknown[]) => unknown).bind(target)
      if (prop === 'prepare') return (sql: string) => statement(f(sql) as D1PreparedStatement, sql)
      // One batch is one call to D1.
      if (prop === 'batch') {
        return counted(
          (stmts: D1PreparedStatement[]) => `d1 ${name} batch of ${stmts.length}`,
          (stmts: D1PreparedStatement[]) => f(stmts.map((s) => inner.get(s) ?? s)) as Promise<unknown>
        )
      }
      if (prop === 'exec') return counted(() => `d1 ${name} exec`, f as (...a: unknown[]) => Promise<unknown>)
      return f
    },
  })
}

function countedRateLimiter(name: string, rl: object): object {
  return new Proxy(rl, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      const f = (v as (...a: unknown[]) => Promise<unknown>).bind(target)
      // Counted: the rate-limiting binding is a call to a Cloudflare service, and nothing says it is exempt.
      return prop === 'limit' ? counted(() => `ratelimit ${name}.limit`, f) : f
    },
  })
}

const KV_BINDINGS = ['SCORE_CACHE', 'TEMPLATES_KV']

/**
 * Replaces the worker's KV, D1 and rate-limiter bindings in `env` (in place: an env shared by
 * calls keeps its identity, and with it the isolate's config memo) with stand-ins that count each
 * call against the current invocation.
 */
export function countSubrequests<E extends object>(env: E): E {
  const e = env as Record<string, unknown>
  const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null
  for (const name of KV_BINDINGS) {
    const b = e[name]
    if (isObject(b)) e[name] = memo(b, (x) => countedKv(name, x))
  }
  if (isObject(e.DB)) e.DB = memo(e.DB as D1Database, (x) => countedD1('DB', x))
  if (isObject(e.RATE_LIMITER)) e.RATE_LIMITER = memo(e.RATE_LIMITER, (x) => countedRateLimiter('RATE_LIMITER', x))
  return env
}
