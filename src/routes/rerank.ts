/**
 * @module routes/rerank
 * `POST /v1/rerank`, `/v2/rerank`, `/rerank`: validate, run the pipeline, respond. One sub-app per
 * path (app.ts mounts `rerankRoutes(…)` at each); they differ only in whether documents are
 * returned by default and in the `meta.api_version` they name (rerank/rerank-paths.ts).
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { scoreStoreFor } from '../cache/kv-score-store'
import type { Config } from '../config'
import { ApiError, zodToApiError } from '../errors'
import { allowOnly } from '../lib/allow-only'
import { cacheModeFrom, cacheNamespace } from '../lib/cache-control'
import { readJsonObject } from '../lib/read-json-body'
import { serverTiming } from '../lib/server-timing'
import type { RerankApiVersion } from '../rerank/rerank-paths'
import { runRerank } from '../rerank/run-rerank'
import { parseRerankBody } from '../schemas/rerank-body-fast-path'
import type { Services } from '../services'
import { templateRegistryLoader } from '../templates/template-source-store'

const UTF8 = new TextEncoder()
const JSON_CONTENT_TYPE = { 'Content-Type': 'application/json' }

export interface RerankRouteOptions {
  /** `return_documents` when the body omits it: Cohere v2 never returns documents; Jina and vLLM clients expect them. */
  returnDocumentsDefault: boolean
  /** `meta.api_version.version`: the Cohere API this path speaks (rerank/rerank-paths.ts). */
  apiVersion: RerankApiVersion
}

export function rerankRoutes(options: RerankRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.post('/', async (c) => {
    const config = c.get('config')
    const services = c.get('services')
    // Held from before the body is read until the response is built: the bytes this call makes the
    // isolate hold (lib/inflight-bytes.ts). The declared length when there is one; a body sent
    // without one is counted once read, before it is decoded and parsed (where a call peaks).
    const inflight = services.inflightBodies(config)
    const declared = Number(c.req.header('content-length') ?? Number.NaN)
    const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, config.MAX_BODY_BYTES) : 0
    const hold = inflight.take(bytes, services.now(), c.get('startedAt') + config.BACKEND_TIMEOUT_MS + INFLIGHT_GRACE_MS)
    if (hold === undefined) throw overloaded(inflight.bytes, bytes, config)
    const onRead = (read: number) => {
      if (!inflight.grow(hold, read)) throw overloaded(inflight.bytes, read, config)
    }
    try {
      return await answer(c, config, services, onRead)
    } finally {
      inflight.release(hold)
    }
  })
  app.all('/', allowOnly('POST'))
  return app

  async function answer(c: Context<AppEnv>, config: Config, services: Services, onRead: (bytes: number) => void): Promise<Response> {
    const raw = await readJsonObject(c.req.raw, config.MAX_BODY_BYTES, { onRead })
    const parsed = parseRerankBody(config, raw)
    if (!parsed.success) throw zodToApiError(parsed.error)
    const outcome = await runRerank(
      {
        config,
        scorer: services.scorerFor(config),
        fallbackFor: (e) => services.fallbackFor(e, config),
        cacheMode: cacheModeFrom(c.req.header('cache-control'), c.req.header('pragma')),
        namespace: cacheNamespace(config.CACHE_SHARED ? '*' : c.get('tenant'), c.req.header('x-cache-namespace')),
        waitUntil: (p) => c.executionCtx.waitUntil(p),
        scoreStore: scoreStoreFor(c.env.SCORE_CACHE, {
          ttlSeconds: config.CACHE_TTL_SECONDS,
          recent: services.scoreCache.recentWrites,
          totals: services.scoreCache.edgeTotals,
          pacer: services.scoreCache.edgeWrites,
        }),
        templates: templateRegistryLoader(config, c.env, c.get('startedAt'), services.templates),
        experiments: { db: c.env.DB, tenant: c.get('tenant'), cache: services.experiments },
        memory: services.scoreCache.memoryFor(config),
        flights: services.scoreCache.flights,
        now: c.get('startedAt'),
        clock: services.now,
      },
      parsed.data,
      { requestId: c.get('requestId'), clientRequestId: c.get('clientRequestId'), returnDocumentsDefault: options.returnDocumentsDefault, apiVersion: options.apiVersion, bodyKeys: Object.keys(raw).filter((k) => raw[k] !== null), unitHeader: c.req.header('x-rerank-user') }
    )
    c.set('rerankInfo', { meta: outcome.response.meta, upstreamMs: outcome.timings.backendMs })
    c.header('Cache-Status', outcome.cacheStatus)
    c.header(
      'Server-Timing',
      serverTiming({ cache: outcome.timings.cacheMs, backend: outcome.timings.backendMs, total: c.var.services.now() - c.get('startedAt') })
    )
    // The same bytes and headers c.json would send (`Content-Type: application/json`), but encoded
    // by TextEncoder. A string body is written out by V8's scalar UTF-8 encoder, TextEncoder by
    // simdutf (workerd src/workerd/api/encoding.c++, TextEncoder::encode); the gap is large once the
    // JSON is a two-byte string, as it is when any passage holds a non-ASCII character (perf of
    // workerd, cached /v1/rerank with 100 of bench/lib/passages.ts's passages: the string body's
    // encoder alone took ~15 % of a bare route's CPU, TextEncoder under 1 % here).
    // encode() always returns a view of a whole new ArrayBuffer (Encoding Standard, TextEncoder).
    return c.body(UTF8.encode(JSON.stringify(outcome.response)) as Uint8Array<ArrayBuffer>, undefined, JSON_CONTENT_TYPE)
  }
}

function overloaded(held: number, bytes: number, config: Config): ApiError {
  return new ApiError(
    'overloaded',
    `this worker instance is already working on ${held} bytes of request bodies, and this call's ${bytes} would pass the ${config.MAX_INFLIGHT_BODY_BYTES} it allows (MAX_INFLIGHT_BODY_BYTES: a Worker has 128 MB of memory); retry shortly`,
    { headers: { 'Retry-After': '1' } }
  )
}

/** A hold outlives its call's backend deadline by this much before it is presumed lost (the body read and the response come on top). */
const INFLIGHT_GRACE_MS = 30_000
