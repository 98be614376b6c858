/**
 * @module rerank/rerank-paths
 * The paths the rerank route is mounted at (src/app.ts), with whether each returns documents by
 * default and the Cohere API version its answers name in `meta.api_version.version`. One list, read by the mounts, by access control (auth/route-access.ts: each needs the
 * `rerank` scope) and by the access log (observability/request-record.ts), so a new mount cannot
 * be served without its scope check or its log fields.
 */
export const RERANK_MOUNTS = [
  // Cohere v1 / Jina clients expect documents back. Cohere's v1 endpoint answers
  // `meta.api_version.version` "1", its v2 endpoint "2" (the cohere-ai 8.1 SDK's wire tests,
  // tests/wire/main.test.ts `rerank (1)` and tests/wire/v2.test.ts, which replay Cohere's answers).
  { path: '/v1/rerank', returnDocumentsDefault: true, apiVersion: '1' },
  // Cohere v2 never returns documents.
  { path: '/v2/rerank', returnDocumentsDefault: false, apiVersion: '2' },
  // vLLM's own route: the /v1/rerank shape (vLLM serves one handler at /rerank and /v1/rerank).
  { path: '/rerank', returnDocumentsDefault: true, apiVersion: '1' },
] as const

/** The Cohere API version a rerank path answers as (`meta.api_version.version`). */
export type RerankApiVersion = (typeof RERANK_MOUNTS)[number]['apiVersion']

export const RERANK_PATHS: ReadonlySet<string> = new Set(RERANK_MOUNTS.map((m) => m.path))
