/**
 * @module fake-vllm-control
 * The fake vLLM's per-instance state (test/fakes/fake-vllm.ts): its misbehaviour modes, the control
 * a test patches through `/__control`, the counters and the recorded requests. Data only.
 */
import { z } from 'zod'

export const FAKE_MODES = [
  'ok',
  'slow', // answer after delayMs
  'hang', // never answer
  'error500', // the JSON 500 vLLM writes when scoring raised (do_rerank's HTTPException(500))
  'error503',
  'html', // a proxy's HTML error page with status 502
  'garbage', // 200 with a non-JSON body
  'nan', // a NaN score as vLLM answers it: a plain-text 500 "Internal Server Error" (see where it is written)
  'proxy_nan', // not vLLM: a proxy or other server answering 200 with a bare NaN score (Python's json.dumps default)
  'out_of_range', // 200 with a score of 1.7
  'wrong_count', // 200 with one result missing
  'unknown_index', // 200 with an index past the documents
  'duplicate_index',
  'reset', // destroy the socket without answering
  'error429', // 429 with `Retry-After: retryAfter` (when set), as a rate-limiting proxy in front would
  'constant', // every score 0.5 (broken head, vllm#27857)
  'extremes', // saturated and vanishing scores as a real head gives them: 1.0 (ties), 1.2e-05, 0.0
  'redirect', // 308 to `redirectTo` + the path, as Caddy's HTTP→HTTPS redirect answers an http:// URL (caddyserver/caddy#3722)
  'usage_bogus', // good scores, but `usage.prompt_tokens` is `bogusTokens` (a broken server or proxy in front)
  'usage_total_only', // good scores, `usage` with `total_tokens` alone, as vLLM wrote RerankUsage before PR #30596 (0.13.0 may: gpu-backend/fixtures/rerank-response-legacy.json)
] as const

export type FakeMode = (typeof FAKE_MODES)[number]

export interface FakeControl {
  mode: FakeMode
  /** Delay for `slow` (and added to every reply when > 0 in `ok`). */
  delayMs: number
  /** How many requests the mode applies to before falling back to `ok`; -1 = forever. */
  times: number
  apiKey: string | null
  servedModel: string
  /** Max tokens of one formatted pair, counted with the real Qwen3 tokenizer (vLLM `--max-model-len`). */
  maxModelLen: number
  /** A request with a document containing this text is answered 400 at once, before any delay. */
  failOn: string | null
  /** `Retry-After` value sent with error429 / error503 (null: none). */
  retryAfter: string | null
  /** How `GET /health` answers: 200, 503 with an empty body (vLLM's dead engine), or never. */
  health: 'ok' | 'error503' | 'hang'
  /** Record this instance's requests: true/false, or null for the server's `record` option. */
  record: boolean | null
  /**
   * A Cloudflare Access policy in front of the server (gpu-backend/README.md recommends one), or
   * null. A request without this service token, on any path (`/health` included), never reaches
   * vLLM: Access answers "a redirect or 403" (developers.cloudflare.com/cloudflare-one/
   * access-controls/authenticate-agents): `redirect` is a 302 to a login page that answers 200 HTML.
   */
  access: { clientId: string; clientSecret: string; unauthenticated: 'redirect' | 'forbidden' } | null
  /** Where `redirect` mode sends a rerank call (an origin; the path is kept). */
  redirectTo: string | null
  /** The raw JSON number `usage_bogus` mode writes as the token counts (`1e300`, `-1000`, `2.5`). */
  bogusTokens: string
}

/**
 * What `/__control` accepts: a patch of known fields with the right types. A misspelt field or
 * mode is a 400, never silently ignored (the fake would serve the normal path, and a test meant to
 * exercise a fault would pass for the wrong reason).
 */
export const controlPatchSchema = z
  .strictObject({
    mode: z.enum(FAKE_MODES),
    delayMs: z.number().min(0),
    times: z.number().int().min(-1),
    apiKey: z.string().nullable(),
    servedModel: z.string(),
    maxModelLen: z.number().int().min(1),
    failOn: z.string().nullable(),
    retryAfter: z.string().nullable(),
    health: z.enum(['ok', 'error503', 'hang']),
    record: z.boolean().nullable(),
    access: z.strictObject({ clientId: z.string(), clientSecret: z.string(), unauthenticated: z.enum(['redirect', 'forbidden']) }).nullable(),
    redirectTo: z.string().nullable(),
    bogusTokens: z.string(),
  })
  .partial()

/** Counters kept even when requests are not recorded (load runs). */
export interface FakeStats {
  /** Rerank requests received. */
  requests: number
  inFlight: number
  maxInFlight: number
  /**
   * Requests by outcome: the HTTP status, or `reset` / `aborted` (the client left, or a hang), or
   * `over_subrequests` (the call had made its `subrequestsPerCall` fetches: connection dropped).
   */
  outcomes: Record<string, number>
}

export interface RecordedRequest {
  path: string
  authorization: string | null
  /** Cloudflare Access service-token headers, when sent. */
  cfAccess?: { clientId: string; clientSecret: string }
  /** The `X-Request-Id` header, when sent. */
  requestId?: string
  body: unknown
  /** The instruction, query and raw document texts parsed back out of the Qwen3 format. */
  parsed?: { instruction: string; query: string; documents: string[] }
  /** The scores this fake computed, by document index (before any misbehaviour). */
  scores?: number[]
  /** Real Qwen3 tokens of each pair (query + document), by document index. */
  pairTokens?: number[]
  /** Control-token ids in each pair beyond the model card's fixed ones (must be 0). */
  controlTokens?: number[]
  at: number
}

export interface Instance {
  control: FakeControl
  requests: RecordedRequest[]
  stats: FakeStats
  /** The `X-Request-Id`s of requests in flight (claimRequestId): kept across `/__reset`, as they still run. */
  running: Set<string>
}

export const defaultControl = (): FakeControl => ({
  mode: 'ok',
  delayMs: 0,
  times: -1,
  apiKey: null,
  servedModel: 'qwen3-reranker-8b',
  maxModelLen: 8192,
  failOn: null,
  retryAfter: null,
  health: 'ok',
  record: null,
  access: null,
  redirectTo: null,
  bogusTokens: '1e300',
})

export const emptyStats = (): FakeStats => ({ requests: 0, inFlight: 0, maxInFlight: 0, outcomes: {} })
