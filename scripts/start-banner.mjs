/**
 * What `npm start` prints once the worker answers GET /healthz: computed from that answer (what
 * the worker enforces), never from what the environment suggests. Pure: scripts/start.mjs does
 * the fetch. `health` is the parsed body (or null when it was not JSON).
 *
 * `ready` is false when the worker refuses its configuration (a bad config var: every route,
 * /healthz included, is a 500 naming it, src/config.ts) or answers without a health body: then
 * there is no "ready on" line, and start.mjs stops the server and exits non-zero, since a server
 * that answers every call with a 500 is not ready.
 *
 * @param {{ status: number, health: any, url: string, configured: string[], apiKeysSource: string, vllmUrls: string | undefined }} o
 * @returns {{ ready: boolean, lines: string[] }}
 */
export function bannerLines({ status, health, url, configured, apiKeysSource, vllmUrls }) {
  if (!health || typeof health.auth !== 'string') {
    const message = health?.error?.message ?? `HTTP ${status} without a health report`
    return {
      ready: false,
      lines: [
        `rerank-edge: the worker refuses its configuration: ${message}`,
        'rerank-edge: not started; fix that var (in .dev.vars or the environment) and run npm start again',
      ],
    }
  }
  const lines = []
  const backend =
    health.backend === 'vllm' ? `vLLM (${health.model}) at ${vllmUrls ?? '?'}` : 'the embedded lexical scorer (no VLLM_URLS set)'
  lines.push(`rerank-edge: scoring with ${backend}${configured.length ? `; config: ${configured.join(', ')}` : ''}`)
  if (health.auth === 'open') {
    lines.push('rerank-edge: access is OPEN (no API_KEYS configured): every caller is tenant "public" with all scopes')
  } else {
    lines.push(`rerank-edge: access requires an API key (API_KEYS from ${apiKeysSource}); /healthz says "auth":"${health.auth}"`)
  }
  lines.push(`rerank-edge: ready on ${url}`)
  return { ready: true, lines }
}
