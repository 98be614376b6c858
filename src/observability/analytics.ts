/**
 * @module observability/analytics
 * Maps a request record onto a Workers Analytics Engine data point. Layout (keep in sync with
 * any dashboard SQL; Analytics Engine addresses fields by position, blob1…blob20, double1…double20):
 *   index1: tenant (the sampling key)
 *   blob1 method, blob2 path, blob3 key_id, blob4 template, blob5 instruction_kind, blob6 backend,
 *   blob7 error_code, blob8 request_id, blob9 experiment id, blob10 experiment variant
 *   double1 status, double2 duration_ms, double3 upstream_ms, double4 cache_hits, double5 cache_misses,
 *   double6 cache_tokens_saved, double7 cache_gpu_ms_saved (0 when CACHE_GPU_TOKENS_PER_SECOND is unset),
 *   double8 fallback (1 when the lexical fallback answered for an unavailable GPU backend)
 * README "Access control, limits and observability" shows the same layout to operators.
 * Pure.
 */
import type { RequestRecord } from './request-record'

export function toDataPoint(r: RequestRecord): AnalyticsEngineDataPoint {
  return {
    indexes: [r.tenant.slice(0, 96)],
    blobs: [
      r.method,
      r.path,
      r.key_id,
      r.template,
      r.instruction_kind,
      r.backend,
      r.error_code,
      r.request_id,
      r.experiment?.id ?? null,
      r.experiment?.variant ?? null,
    ],
    doubles: [
      r.status,
      r.duration_ms,
      r.upstream_ms ?? 0,
      r.cache_hits ?? 0,
      r.cache_misses ?? 0,
      r.cache_tokens_saved ?? 0,
      r.cache_gpu_ms_saved ?? 0,
      r.fallback ? 1 : 0,
    ],
  }
}
