/**
 * @module upstream-health-client
 * Active health probe for `GET /healthz?probe=1`: `GET <base>/health` on each upstream, which
 * vLLM answers 200 (empty body) when the engine is alive and 503 when it is dead
 * (`EngineDeadError`; vLLM `vllm/entrypoints/openai/api_server.py` `/health`). `/health` is outside
 * vLLM's key check, so no key is sent; a Cloudflare Access policy in front (gpu-backend/README.md)
 * guards every path, so its service token is sent as on a rerank call. Redirects are not followed:
 * Access answers a request without its token with a redirect to a login page that answers 200,
 * which would read as a live engine. Informational only: a probe does not move a breaker (real
 * traffic does).
 */

export interface ProbeResult {
  ok: boolean
  /** HTTP status, when the upstream answered. */
  status?: number
  ms: number
  error?: string
}

/** The Cloudflare Access service token sent to the upstreams (Config `VLLM_ACCESS_CLIENT_ID` / `_SECRET`). */
export interface AccessToken {
  clientId: string
  clientSecret: string
}

export async function probeUpstream(
  baseUrl: string,
  timeoutMs: number,
  accessToken?: AccessToken,
  doFetch: typeof fetch = (input, init) => fetch(input, init)
): Promise<ProbeResult> {
  const t0 = Date.now()
  const timeout = AbortSignal.timeout(timeoutMs)
  const headers: Record<string, string> = accessToken ? { 'cf-access-client-id': accessToken.clientId, 'cf-access-client-secret': accessToken.clientSecret } : {}
  try {
    const res = await doFetch(`${baseUrl}/health`, { method: 'GET', headers, redirect: 'manual', signal: timeout })
    // Drain the body so the connection can be reused.
    await res.arrayBuffer()
    const ms = Date.now() - t0
    if (res.ok) return { ok: true, status: res.status, ms }
    const redirected = res.status >= 300 && res.status < 400
    return { ok: false, status: res.status, ms, error: redirected ? `answered ${res.status}, a redirect (an access policy in front without the service token?)` : `answered ${res.status}` }
  } catch (e) {
    const ms = Date.now() - t0
    if (timeout.aborted) return { ok: false, ms, error: `no answer within ${timeoutMs} ms` }
    const msg = e instanceof Error ? e.message : String(e)
    return { ok: false, ms, error: `unreachable: ${msg.replace(/Bearer\s+\S+/giu, 'Bearer [redacted]').slice(0, 120)}` }
  }
}
