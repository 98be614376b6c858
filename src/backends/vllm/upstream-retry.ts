/**
 * @module upstream-retry
 * When a failed upstream call may be tried again, how long to wait, and what the failure says
 * about the upstream's health. Pure: time and randomness are arguments.
 *
 * A rerank is idempotent (scoring the same pairs twice changes nothing), so the question is only
 * whether a retry can help and stays inside the caller's deadline:
 *  - retried, on another upstream when there is one: the connection failed or was reset before a
 *    reply (`unreachable`), any 5xx (503 is vLLM's overloaded / starting / draining answer; a 500
 *    "CUDA error" or a proxy's 502 page says this server is sick, not that the request is wrong),
 *    a reply that failed validation (`bad_reply`: garbage, NaN, a wrong count, HTML: a broken
 *    server or proxy, and the same pairs scored elsewhere are fine), 429, and a timeout that
 *    leaves time on the call's deadline (an attempt runs to the call's deadline since the pool
 *    hedges instead of cutting, so this is only a fetch whose own timer fired early);
 *  - retried on another upstream only, and booked against this one like a 5xx: a reply that says
 *    this upstream is set up wrong (`isMisconfiguredStatus`). The worker sends the same key, model
 *    name and path to every upstream, so one upstream's 401 or 404 is that upstream's fault, and
 *    its instant answer must not read as the pool's fastest success (it drew nearly every call);
 *  - never retried: any other 4xx (400, 422: the request itself is wrong; it would fail everywhere;
 *    the context-length 400 is re-truncated by the client instead), a timeout at the call's own
 *    deadline, and a call that has no subrequests left (nothing was sent).
 */
import { BackendError } from '../backend-error'

export interface FailureVerdict {
  retry: boolean
  /** Retry only on an upstream the call has not tried: the same one would answer the same. */
  elsewhereOnly?: true
  /** What the outcome tells the breaker: the upstream failed, it answered, or nothing. */
  health: 'failure' | 'answered' | 'neutral'
  /** Delay the upstream asked for, ms (429/503 `Retry-After`). */
  retryAfterMs?: number
}

/**
 * Statuses that say the upstream, not the request, is wrong:
 *  - 401: a stale key on one host during a key rotation (vLLM's `{"error":"Unauthorized"}`,
 *    vllm/entrypoints/openai/api_server.py AuthenticationMiddleware; gpu-backend/README.md);
 *  - 403: a Cloudflare Access policy refusing the service token (gpu-backend/README.md "Reaching it
 *    from the Cloudflare Worker safely"), or a firewall in front;
 *  - 404: a host serving another model (vLLM's NotFoundError "The model `x` does not exist.",
 *    vllm/entrypoints/openai/serving_engine.py `_check_model`), or a wrong base path (Starlette's
 *    `{"detail":"Not Found"}`, or the proxy's 404, gpu-backend/proxy/Caddyfile);
 *  - 405: a base URL pointing at something that serves that path but not POST;
 *  - 407: a forward proxy asking for its own credentials;
 *  - 413: a proxy's body cap (gpu-backend/proxy/Caddyfile `PROXY_MAX_BODY`, 16 MB), which another
 *    upstream's proxy may not have;
 *  - 3xx: vLLM never redirects; the client refuses redirects (`redirect: 'manual'`, vllm-client.ts),
 *    so a redirect is an http:// URL in front of TLS or an Access login page (RFC 9110 §15.4).
 */
export function isMisconfiguredStatus(status: number): boolean {
  return (status >= 300 && status < 400) || MISCONFIGURED_4XX.has(status)
}

const MISCONFIGURED_4XX: ReadonlySet<number> = new Set([401, 403, 404, 405, 407, 413])

/**
 * The class of an upstream fault a "poison" request could cause on every upstream, or undefined:
 * any 5xx but 503 (capacity) as one class (a 500 on one replica, a proxy's 502 page on the next),
 * and each misconfiguration status as its own (a body over every proxy's cap is a 413 everywhere;
 * a WAF in front of every replica can 403 a document's text). The pool books a class once per call.
 */
export function poisonClass(e: unknown): string | undefined {
  if (!(e instanceof BackendError) || e.fault.kind !== 'status') return undefined
  const s = e.fault.status
  if (s >= 500 && s !== 503) return '5xx'
  return isMisconfiguredStatus(s) ? String(s) : undefined
}

/**
 * @param e the error the attempt threw
 * @param callTimeLeftMs time left on the call's deadline when the attempt ended
 */
export function classifyFailure(e: unknown, callTimeLeftMs: number): FailureVerdict {
  if (!(e instanceof BackendError)) return { retry: false, health: 'neutral' }
  const f = e.fault
  const retryAfterMs = (e as { retryAfterMs?: unknown }).retryAfterMs
  const withAfter = (v: FailureVerdict): FailureVerdict =>
    typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) ? { ...v, retryAfterMs } : v
  switch (f.kind) {
    case 'unreachable':
      return { retry: true, health: 'failure' }
    case 'timeout':
      // A timeout with time to spare (a fetch's own timer fired before the call's deadline): try another.
      return { retry: callTimeLeftMs > 0, health: 'failure' }
    case 'bad_reply':
      return { retry: true, health: 'failure' }
    case 'budget':
      // Nothing was sent: the call itself has no subrequests left (subrequest-budget.ts).
      return { retry: false, health: 'neutral' }
    case 'status':
      if (f.status === 503) return withAfter({ retry: true, health: 'failure' })
      // 429 is back-pressure, not sickness: the upstream is throttled, its breaker untouched.
      if (f.status === 429) return withAfter({ retry: true, health: 'neutral' })
      if (f.status >= 500) return { retry: true, health: 'failure' }
      if (isMisconfiguredStatus(f.status)) return { retry: true, health: 'failure', elsewhereOnly: true }
      // Any other 4xx (400, 422) proves the upstream is alive; the request is what is wrong.
      return { retry: false, health: 'answered' }
  }
}

export interface BackoffPolicy {
  baseMs: number
  capMs: number
}

/** Short pauses: most retries go to another upstream, and all must fit the 15 s default deadline. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 20, capMs: 1_000 }

/**
 * "Full jitter" exponential back-off: uniform in [0, min(cap, base × 2^retry)) (Brooker,
 * "Exponential Backoff And Jitter", AWS Architecture Blog, 2015). `retry` counts from 0;
 * `random` is a draw in [0, 1).
 */
export function fullJitterDelay(retry: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry))
  return Math.floor(Math.min(Math.max(random, 0), 1) * ceiling)
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns ms from `now`,
 * 0 for a date in the past, undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined
  const v = value.trim()
  if (/^\d+$/u.test(v)) return Number(v) * 1000
  if (!/[a-z]/iu.test(v)) return undefined
  const at = Date.parse(v)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

export interface RetryPlanInput {
  /** Retries already made in this call (0 before the first retry). */
  retry: number
  maxAttempts: number
  verdict: FailureVerdict
  /** Whether another available upstream exists to send the retry to, tried by this call or not. */
  otherUpstream: boolean
  /** Whether an available upstream this call has not tried exists (`elsewhereOnly` needs one). */
  untriedUpstream?: boolean
  now: number
  deadline: number
  /** Shortest useful attempt: no retry starts with less than this left on the deadline. */
  minAttemptMs: number
  random: number
  backoff?: BackoffPolicy
}

/** The delay before the next attempt, ms, or null: do not retry. */
export function planRetry(input: RetryPlanInput): number | null {
  if (!input.verdict.retry) return null
  if (input.verdict.elsewhereOnly && input.untriedUpstream !== true) return null
  if (input.retry + 1 >= input.maxAttempts) return null
  let delay = fullJitterDelay(input.retry, input.random, input.backoff)
  // Retry-After binds the upstream that sent it; another upstream may be asked at once.
  if (!input.otherUpstream && input.verdict.retryAfterMs !== undefined) delay = Math.max(delay, input.verdict.retryAfterMs)
  if (input.now + delay + input.minAttemptMs > input.deadline) return null
  return delay
}
