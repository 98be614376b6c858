/**
 * @module routes/rerank
 * `POST /v1/rerank`, `/v2/rerank`, `/rerank`: validate, run the pipeline, respond.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { scorerFor } from '../backends/create-scorer'
import { scoreStoreFor } from '../cache/kv-score-store'
import { cacheModeFrom, cacheNamespace } from '../lib/cache-control'
import { readJsonObject } from '../lib/read-json-body'
import { serverTiming } from '../lib/server-timing'
import { zodToApiError } from '../lib/zod-error'
import { runRerank } from '../rerank/run-rerank'
import { rerankBodySchema } from '../schemas/rerank-request'
import { allowOnly } from './allow-only'
import { templateRegistryLoader } from './templates'

/** Cohere v2 never returns documents; Jina and vLLM clients expect them. */
const RETURN_DOCUMENTS_DEFAULT: Record<string, boolean> = { '/v1/rerank': true, '/v2/rerank': false, '/rerank': true }

export const rerankRoutes = new Hono<AppEnv>()

for (const path of Object.keys(RETURN_DOCUMENTS_DEFAULT)) {
  rerankRoutes.post(path, async (c) => {
    const config = c.get('config')
    const raw = await readJsonObject(c.req.raw, config.MAX_BODY_BYTES)
    const parsed = rerankBodySchema(config).safeParse(raw)
    if (!parsed.success) throw zodToApiError(parsed.error)
    const outcome = await runRerank(
      {
        config,
        scorer: scorerFor(config),
        cacheMode: cacheModeFrom(c.req.header('cache-control')),
        namespace: cacheNamespace(config.CACHE_SHARED ? '*' : c.get('tenant'), c.req.header('x-cache-namespace')),
        waitUntil: (p) => c.executionCtx.waitUntil(p),
        scoreStore: scoreStoreFor(c.env.SCORE_CACHE, config.CACHE_TTL_SECONDS),
        templates: templateRegistryLoader(c),
        experiments: { db: c.env.DB, tenant: c.get('tenant') },
        now: c.get('startedAt'),
      },
      parsed.data,
      { requestId: c.get('requestId'), clientRequestId: c.get('clientRequestId'), returnDocumentsDefault: RETURN_DOCUMENTS_DEFAULT[path] ?? true, bodyKeys: Object.keys(raw), unitHeader: c.req.header('x-rerank-user') }
    )
    c.set('rerankInfo', { meta: outcome.response.meta, upstreamMs: outcome.timings.backendMs })
    c.header('Cache-Status', outcome.cacheStatus)
    c.header(
      'Server-Timing',
      serverTiming({ cache: outcome.timings.cacheMs, backend: outcome.timings.backendMs, total: Date.now() - c.get('startedAt') })
    )
    return c.json(outcome.response)
  })
  rerankRoutes.all(path, allowOnly('POST'))
}
