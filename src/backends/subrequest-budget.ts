/**
 * @module subrequest-budget
 * How many upstream calls one rerank call may be split into, so that it stays within the
 * platform's subrequests per invocation. Pure.
 *
 * A Worker invocation may make only so many subrequests (fetch() calls, and calls to Cloudflare
 * services such as KV and D1): 50 on the Workers Free plan, 10,000 by default on Paid, which
 * `[limits] subrequests` in wrangler.toml may lower (developers.cloudflare.com/workers/platform/
 * limits, "Subrequests"); past it the next one throws. Nothing enforces that locally (Miniflare
 * passes no such limit to workerd), so a call split into many small batches (a low
 * BACKEND_BATCH_SIZE, a high MAX_DOCUMENTS) would work under `npm start` and fail on Cloudflare's
 * free plan with 502s. MAX_SUBREQUESTS states the limit; a call keeps every upstream attempt of
 * every batch inside it by sending fewer, larger batches when it must, and counts what it sends
 * (`UpstreamAllowance`), so that a call whose batches needed more attempts than planned (retries,
 * a batch re-cut after the backend stated a smaller context) stops with a 503 that says so
 * instead of reaching the runtime's limit: there `fetch` throws, which would read as an
 * unreachable upstream, be retried (throwing again) and count against a healthy upstream's
 * circuit breaker.
 */
import { BackendError } from './backend-error'

/**
 * The subrequests one rerank call may make besides its upstream fetches, each at its worst case
 * (the integration test test/integration/subrequests.test.ts drives them through a double that
 * counts every fetch, KV, D1 and rate-limiter call of an invocation and refuses the 51st):
 */
export const STORAGE_SUBREQUESTS = {
  /** middleware/rate-limit.ts: `RATE_LIMITER.limit`, once per keyed call (a Cloudflare service; counted, as nothing says it is exempt). */
  rateLimit: 1,
  /** experiments/experiment-repo.ts `getExperiment`, through the isolate's cache (experiment-cache.ts): at most one D1 read. */
  experimentRead: 1,
  /**
   * templates/template-source-store.ts: the `TEMPLATES_KV` read, at most one per call (its loader is
   * memoised per call, so an arm and the control it falls back to share it, even at TEMPLATES_TTL_SECONDS=0).
   */
  templateRead: 1,
  /** cache/claim-pairs.ts → kv-score-store.ts: the score cache's read of the call's scope. */
  scoreCacheRead: 1,
  /** cache/edge-write.ts: a second read before the write, when the first failed, timed out or was skipped (`no-cache`). */
  scoreCacheReread: 1,
  /** cache/edge-write.ts → kv-score-store.ts: one `put` (write-pacer.ts sends at most one per call). */
  scoreCacheWrite: 1,
  /**
   * experiments/exposure-repo.ts `recordExposure`: 3 attempts, each an INSERT and, when it changed
   * nothing, a SELECT; a SELECT that fails is retried with its INSERT.
   */
  exposureWrite: 3 * 2,
} as const

/** The subrequests kept from MAX_SUBREQUESTS for storage: the sum of `STORAGE_SUBREQUESTS`. */
export const RESERVED_SUBREQUESTS = Object.values(STORAGE_SUBREQUESTS).reduce((a, b) => a + b, 0)

/** The fewest subrequests MAX_SUBREQUESTS may allow: the reserve and one batch's attempts. */
export function minSubrequests(attemptsPerBatch: number): number {
  return RESERVED_SUBREQUESTS + Math.max(1, attemptsPerBatch)
}

/** Upstream fetches one call may make: what the reserve leaves of MAX_SUBREQUESTS. */
export function upstreamSubrequests(maxSubrequests: number): number {
  return Math.max(1, maxSubrequests - RESERVED_SUBREQUESTS)
}

/**
 * Most upstream batches one call may be split into: each may take `attemptsPerBatch` fetches
 * (UPSTREAM_MAX_ATTEMPTS) within what the reserve leaves. A batch the backend refuses for length
 * is re-cut and sent again (vllm-client.ts), which can spend more than planned; the exact token
 * budget makes that the exception (a MAX_MODEL_LEN set above the server's), and the call's
 * `UpstreamAllowance` bounds it.
 */
export function maxUpstreamBatches(maxSubrequests: number, attemptsPerBatch: number): number {
  return Math.max(1, Math.floor((maxSubrequests - RESERVED_SUBREQUESTS) / Math.max(1, attemptsPerBatch)))
}

/** The upstream fetches one call has left: taken one by one, just before each fetch. */
export class UpstreamAllowance {
  #used = 0
  readonly limit: number
  constructor(limit: number) {
    this.limit = Math.max(0, limit)
  }

  /** Counts one fetch; false (and nothing counted) when the call has none left. */
  take(): boolean {
    if (this.#used >= this.limit) return false
    this.#used++
    return true
  }

  get used(): number {
    return this.#used
  }

  /**
   * The error a call out of fetches fails with (503). Batches and attempts are planned to fit
   * (`maxUpstreamBatches`), so what spends more is a batch re-cut and resent after the backend
   * refused it as longer than its context: MAX_MODEL_LEN above the backend's `--max-model-len`.
   * The vLLM scorer keeps the context the backend stated, so the isolate's next calls are cut to fit
   * before they are sent.
   */
  spent(): BackendError {
    return new BackendError({
      kind: 'budget',
      message: `this request reached its limit of ${this.limit} backend calls (MAX_SUBREQUESTS less ${RESERVED_SUBREQUESTS} kept for storage: a Worker invocation may make no more subrequests) before every batch was scored; batches the backend refused as longer than its context were being resent: is MAX_MODEL_LEN above the backend's --max-model-len?`,
    })
  }
}
