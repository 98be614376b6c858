/**
 * What `npm start` prints once the worker answers GET /healthz: computed from that answer (what
 * the worker enforces), never from what the environment suggests. Pure: scripts/start.mjs does
 * the fetch. `health` is the parsed body (or null when it was not JSON).
 *
 * @param {{ status: number, health: any, url: string, configured: string[], apiKeysSource: string, vllmUrls: string | undefined }} o
 * @returns {string[]}
 */
export function bannerLines({ status, health, url, configured, apiKeysSource, vllmUrls }) {
  const lines = []
  if (!health || typeof health.auth !== 'string') {
    // A bad config var: every route, /healthz included, is a 500 naming it (src/config.ts).
    const message = health?.error?.message ?? `HTTP ${status}`
    lines.push(`rerank-edge: the worker answers but refuses its configuration: ${message}`)
  } else {
    const backend =
      health.backend === 'vllm' ? `vLLM (${health.model}) at ${vllmUrls ?? '?'}` : 'the embedded lexical scorer (no VLLM_URLS set)'
    lines.push(`rerank-edge: scoring with ${backend}${configured.length ? `; config: ${configured.join(', ')}` : ''}`)
    if (health.auth === 'open') {
      lines.push('rerank-edge: access is OPEN (no API_KEYS configured): every caller is tenant "public" with all scopes')
    } else {
      lines.push(`rerank-edge: access requires an API key (API_KEYS from ${apiKeysSource}); /healthz says "auth":"${health.auth}"`)
    }
  }
  lines.push(`rerank-edge: ready on ${url}`)
  return lines
}
