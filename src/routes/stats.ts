/**
 * @module routes/stats
 * `GET /v1/stats` (a sub-app mounted at `/v1/stats` in app.ts): this isolate's rolling summary of the last 5 minutes (or last 10,000
 * requests): request rate, p50/p95 latency, status classes, cache hit ratio, backend errors and
 * the share of rerank calls with a non-default instruction. Needs the `stats` scope when keys
 * are configured (auth/route-access.ts). Fleet-wide figures come from Analytics Engine.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { allowOnly } from '../lib/allow-only'

export const statsRoutes = new Hono<AppEnv>()

statsRoutes.get('/', (c) => {
  c.header('Cache-Control', 'no-store')
  return c.json(c.var.services.requestStats.summary(c.var.services.now()))
})
statsRoutes.all('/', allowOnly('GET', 'HEAD'))
