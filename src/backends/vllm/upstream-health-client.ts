/**
 * @module upstream-health-client
 * Active health probe for `GET /healthz?probe=1`: `GET <base>/health` on each upstream, which
 * vLLM answers 200 (empty body) when the engine is alive and 503 when it is dead
 * (`EngineDeadError`; vLLM `vllm/entrypoints/openai/api_server.py` `/health`). `/health` is outside vLLM's key check, so no key is
 * sent. Informational only: a probe does not move a breaker (real traffic does).
 */

export interface ProbeResult {
  ok: boolean
  /** HTTP status, when the upstream answered. */
  status?: number
  ms: number
  error?: string
}

export async function probeUpstream(
  baseUrl: string,
  timeoutMs: number,
  doFetch: typeof fetch = (input, init) => fetch(input, init)
): Promise<ProbeResult> {
  const t0 = Date.now()
  const timeout = AbortSignal.timeout(timeoutMs)
  try {
    const res = await doFetch(`${baseUrl}/health`, { method: 'GET', signal: timeout })
    // Drain the body so the connection can be reused.
    await res.arrayBuffer()
    const ms = Date.now() - t0
    return res.ok ? { ok: true, status: res.status, ms } : { ok: false, status: res.status, ms, error: `answered ${res.status}` }
  } catch (e) {
    const ms = Date.now() - t0
    if (timeout.aborted) return { ok: false, ms, error: `no answer within ${timeoutMs} ms` }
    const msg = e instanceof Error ? e.message : String(e)
    return { ok: false, ms, error: `unreachable: ${msg.replace(/Bearer\s+\S+/giu, 'Bearer [redacted]').slice(0, 120)}` }
  }
}
