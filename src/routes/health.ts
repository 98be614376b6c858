/**
 * @module routes/health
 * `GET /healthz`: the worker's state, which backend answers, and each upstream's state as this
 * isolate's upstream pool sees it (breaker state, outstanding calls, EWMA latency, consecutive
 * failures, last error summary). Upstreams are shown by id and origin only: never a path, user
 * info or the API key. `?probe=1` also calls each upstream's `/health` (short timeout,
 * `probe_timeout_ms`, default 1500).
 *
 * Overall `status`: `ok` (every upstream closed and, when probed, answering), `degraded` (some
 * upstream out, or none but the lexical fallback answers), `down` (nothing can score: 503, so a
 * load balancer's health check can act on the status code alone).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { probeUpstream, type ProbeResult } from '../backends/vllm/upstream-health-client'
import type { UpstreamSnapshot } from '../backends/vllm/upstream-pool'
import { upstreamPoolFor } from '../backends/vllm/upstream-registry'
import { allowOnly } from './allow-only'

export const healthRoutes = new Hono<AppEnv>()

const PROBE_TIMEOUT_MS = 1500

type UpstreamHealth = UpstreamSnapshot & { probe?: ProbeResult }

healthRoutes.get('/healthz', async (c) => {
  const config = c.get('config')
  c.header('Cache-Control', 'no-store')
  const base = {
    auth: config.API_KEYS.length > 0 ? 'api_keys' : 'open',
    backend: config.backend,
    model: config.backend === 'vllm' ? config.VLLM_MODEL : 'lexical-bm25',
    fallback: config.FALLBACK,
  }
  if (config.backend !== 'vllm') return c.json({ status: 'ok', ...base, upstreams: [] })

  const upstreams: UpstreamHealth[] = upstreamPoolFor(config).snapshot()
  if (/^(1|true|yes|on)$/iu.test(c.req.query('probe') ?? '')) {
    const asked = Number(c.req.query('probe_timeout_ms'))
    const timeoutMs = Number.isFinite(asked) && asked > 0 ? Math.min(5000, Math.max(50, asked)) : PROBE_TIMEOUT_MS
    const probes = await Promise.all(config.VLLM_URLS.map((url) => probeUpstream(url, timeoutMs)))
    upstreams.forEach((u, i) => {
      const p = probes[i]
      if (p) u.probe = p
    })
  }
  const serving = upstreams.filter((u) => u.available && u.probe?.ok !== false).length
  const healthy = upstreams.every((u) => u.state === 'closed' && u.available && u.probe?.ok !== false)
  const status = healthy ? 'ok' : serving > 0 || config.FALLBACK === 'lexical' ? 'degraded' : 'down'
  return c.json(
    { status, ...base, serving_upstreams: serving, checked_at: new Date().toISOString(), upstreams },
    status === 'down' ? 503 : 200
  )
})
healthRoutes.all('/healthz', allowOnly('GET', 'HEAD'))
