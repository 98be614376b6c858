/**
 * @module routes/stats
 * `GET /v1/stats` (a sub-app mounted at `/v1/stats` in app.ts): this isolate's rolling summary of the last 5 minutes (or last 10,000
 * requests): request rate, p50/p95 latency, status classes, cache hit ratio, backend errors and
 * the share of rerank calls with a non-default instruction; and the edge store's (KV) operations
 * and failures since the isolate started. Needs the `stats` scope when keys
 * are configured (auth/route-access.ts). Fleet-wide figures come from Analytics Engine.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { allowOnly } from '../lib/allow-only'

export const statsRoutes = new Hono<AppEnv>()

statsRoutes.get('/', (c) => {
  c.header('Cache-Control', 'no-store')
  const services = c.var.services
  const edge = services.scoreCache.edgeTotals
  return c.json({
    ...services.requestStats.summary(services.now()),
    // Since this isolate started, not windowed: a write's outcome comes after its request is
    // counted. Refused writes (KV's one write per second per key from another isolate, the free
    // plan's daily writes) show here as write_failures; writes this isolate held back for the
    // key's second and merged into one as writes_merged.
    edge_store: {
      reads: edge.readOps,
      read_failures: edge.readFailures,
      writes: edge.writeOps,
      write_failures: edge.writeFailures,
      writes_merged: edge.writesMerged,
      corrupt_values: edge.corrupt,
    },
  })
})
statsRoutes.all('/', allowOnly('GET', 'HEAD'))
