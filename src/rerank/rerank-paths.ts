/**
 * @module rerank/rerank-paths
 * The paths the rerank route is mounted at (src/app.ts), with whether each returns documents by
 * default. One list, read by the mounts, by access control (auth/route-access.ts: each needs the
 * `rerank` scope) and by the access log (observability/request-record.ts), so a new mount cannot
 * be served without its scope check or its log fields.
 */
export const RERANK_MOUNTS = [
  // Cohere v1 / Jina clients expect documents back.
  { path: '/v1/rerank', returnDocumentsDefault: true },
  // Cohere v2 never returns documents.
  { path: '/v2/rerank', returnDocumentsDefault: false },
  // vLLM's own route.
  { path: '/rerank', returnDocumentsDefault: true },
] as const

export const RERANK_PATHS: ReadonlySet<string> = new Set(RERANK_MOUNTS.map((m) => m.path))
