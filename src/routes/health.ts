/**
 * @module routes/health
 * `GET /healthz` (a sub-app mounted at `/healthz` in app.ts): whether the worker can score.
 *
 * Public answer (anyone, no key): only what a client or a load balancer needs: `status`,
 * `backend` kind, `model`, `fallback` and `auth` mode. Upstream origins, breaker states and last
 * errors are operator information: they are shown with `?detail=1` (or `?probe=1`) to a caller
 * holding the `stats` scope (every caller of an open deployment holds it; on a keyed one, no key or
 * an unrecognised one is a 401, a key without the scope a 403), and every backend text in them
 * passes the secret redactor (lib/redact-secrets.ts).
 *
 * `?probe=1` also calls each upstream's `/health` (short timeout, `probe_timeout_ms`, default
 * 1500). It needs the `stats` scope, and its result is reused for `PROBE_REUSE_MS` per isolate
 * and upstream (concurrent askers share one in-flight probe), so a flood of probes costs each
 * upstream at most one `/health` call per few seconds per isolate. It probes no more upstreams
 * than the call's subrequests allow (`MAX_SUBREQUESTS`: each probe is a fetch, and past the limit
 * the runtime refuses them); the rest are counted in `unprobed_upstreams`.
 *
 * Overall `status`: `ok` (every upstream closed and, when probed, answering), `degraded` (some
 * upstream out, or none but the lexical fallback answers), `down` (nothing can score: 503, so a
 * load balancer's health check can act on the status code alone).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { probeUpstream, type AccessToken, type ProbeResult } from '../backends/vllm/upstream-health-client'
import type { UpstreamSnapshot } from '../backends/vllm/upstream-pool'
import { STORAGE_SUBREQUESTS } from '../backends/subrequest-budget'
import { healthView } from '../auth/route-access'
import { ApiError } from '../errors'
import { allowOnly } from '../lib/allow-only'
import { redactDeep, redactorFor } from '../lib/redact-secrets'
import type { CachedProbe } from '../services'

export const healthRoutes = new Hono<AppEnv>()

const PROBE_TIMEOUT_MS = 1500
/** How long one probe result answers every `?probe=1` in this isolate. */
const PROBE_REUSE_MS = 5_000

/** One upstream as `/healthz?detail=1` shows it. */
export type UpstreamHealth = UpstreamSnapshot & { probe?: ProbeResult }

const MAX_PROBE_ENTRIES = 256

/** One probe per upstream and `PROBE_REUSE_MS`, shared by concurrent askers (`probes`: the isolate's, src/services.ts). */
function probeShared(probes: Map<string, CachedProbe>, url: string, timeoutMs: number, now: number, accessToken: AccessToken | undefined): Promise<ProbeResult> {
  const hit = probes.get(url)
  if (hit && now - hit.at < PROBE_REUSE_MS) return hit.result
  if (probes.size >= MAX_PROBE_ENTRIES) probes.clear()
  const result = probeUpstream(url, timeoutMs, accessToken)
  probes.set(url, { at: now, result })
  return result
}

healthRoutes.get('/', async (c) => {
  const config = c.get('config')
  c.header('Cache-Control', 'no-store')
  const base = {
    auth: config.API_KEYS.length > 0 ? 'api_keys' : 'open',
    backend: config.backend,
    model: config.backend === 'vllm' ? config.VLLM_MODEL : 'lexical-bm25',
    fallback: config.FALLBACK,
  }
  const { probe, detail } = healthView((name) => c.req.query(name))
  // Access control (auth/route-access.ts) already answered a keyed deployment's caller without the
  // scope (401 without a recognised key, 403 with one lacking it); this states it where it is used.
  if (detail && !c.get('scopes').has('stats')) {
    throw new ApiError('forbidden', 'upstream detail and probes need an API key with the "stats" scope', {
      headers: { 'WWW-Authenticate': 'Bearer realm="rerank-edge", error="insufficient_scope", scope="stats"' },
    })
  }
  if (config.backend !== 'vllm') return c.json(detail ? { status: 'ok', ...base, upstreams: [] } : { status: 'ok', ...base })

  const upstreams: UpstreamHealth[] = c.var.services.upstreams.poolFor(config).snapshot()
  let unprobed = 0
  if (probe) {
    const asked = Number(c.req.query('probe_timeout_ms'))
    const timeoutMs = Number.isFinite(asked) && asked > 0 ? Math.min(5000, Math.max(50, asked)) : PROBE_TIMEOUT_MS
    const { healthProbes, now } = c.var.services
    const at = now()
    // One subrequest stays for the rate limiter a keyed call passes first (subrequest-budget.ts).
    const probed = config.VLLM_URLS.slice(0, config.MAX_SUBREQUESTS - STORAGE_SUBREQUESTS.rateLimit)
    unprobed = config.VLLM_URLS.length - probed.length
    const token = config.VLLM_ACCESS_CLIENT_ID ? { clientId: config.VLLM_ACCESS_CLIENT_ID, clientSecret: config.VLLM_ACCESS_CLIENT_SECRET } : undefined
    const results = await Promise.all(probed.map((url) => probeShared(healthProbes, url, timeoutMs, at, token)))
    upstreams.forEach((u, i) => {
      const p = results[i]
      if (p) u.probe = p
    })
  }
  const serving = upstreams.filter((u) => u.available && u.probe?.ok !== false).length
  const healthy = upstreams.every((u) => u.state === 'closed' && u.available && u.probe?.ok !== false)
  const status = healthy ? 'ok' : serving > 0 || config.FALLBACK === 'lexical' ? 'degraded' : 'down'
  const code = status === 'down' ? 503 : 200
  if (!detail) return c.json({ status, ...base }, code)
  const body = { status, ...base, serving_upstreams: serving, ...(unprobed > 0 ? { unprobed_upstreams: unprobed } : {}), checked_at: new Date(c.var.services.now()).toISOString(), upstreams }
  return c.json(redactDeep(body, redactorFor(config)), code)
})
healthRoutes.all('/', allowOnly('GET', 'HEAD'))

