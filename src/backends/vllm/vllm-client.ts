/**
 * @module vllm-client
 * The only module that sends vLLM scoring requests (the `/health` probe is upstream-health-client.ts). Formats each pair in the Qwen3 prompt format,
 * POSTs `/v1/rerank` (the route vLLM's `--api-key` guards: vLLM docs/usage/security.md) with a bearer key,
 * validates the reply and maps scores back to request order.
 *
 * It owns the model's side of a call: `prepare` neutralises control-token text (qwen3-special-tokens.ts)
 * and `score` fits every pair it sends to the context exactly (qwen3-token-budget.ts), so cache hits
 * skip the budget; a batch the backend still rejects for length is re-cut to the length it states
 * and sent again (context-length-tokens.ts).
 *
 * Large candidate sets are split into as few even batches of at most `batchSize` as that allows
 * (and never into more than the call's subrequest budget allows: subrequest-budget.ts), sent
 * concurrently, at most `MAX_CONCURRENT_UPSTREAM` at a time: a Worker may hold 6 simultaneous
 * outgoing connections (developers.cloudflare.com/workers/platform/limits, "Simultaneous open
 * connections"). Why few: vLLM schedules every pair of a call as its own engine request
 * (`--max-num-seqs` caps pairs, not calls), so on one replica one call of 1,000 pairs keeps the GPU
 * as busy as eight of 125; splitting pays off only to spread a call over replicas (the backend's
 * proxy gives each call to one). Each extra call costs the Worker CPU: in workerd, a 1,000-pair
 * miss in 8 calls took about 5 ms more CPU than in one (`npm run bench -- rerank-cpu`, "batch
 * size" rows).
 */
import { ApiError } from '../../errors'
import { BackendError } from '../backend-error'
import { UpstreamAllowance } from '../subrequest-budget'
import { redactorFor } from '../../lib/redact-secrets'
import type { PairScorer, PrepareRequest, ScoreOptions, ScoreRequest, ScoreResult } from '../types'
import { contextLengthOf, refitBatch } from './context-length-tokens'
import { apportionPairTokens } from './qwen3-pair-tokens'
import { DEFAULT_INSTRUCTION, formatQwen3Query, PROMPT_FORMAT_VERSION } from './qwen3-prompt'
import { QWEN3_PREFORMATTED } from './qwen3-preformatted'
import { fitPreparedDocuments, prepareQwen3Pairs, type TokenCounter } from './qwen3-token-budget'
import { loadQwen3Tokenizer } from './qwen3-tokenizer'
import { distinctTexts } from './distinct-texts'
import { evenBatchSize } from './even-batch-size'
import { rerankRequestBody } from './vllm-request-body'
import { decodeReply, describeErrorReply, parseVllmRerankReply } from './vllm-response'
import { UpstreamStatusError } from './upstream-errors'
import type { UpstreamPool } from './upstream-pool'
import { parseRetryAfter } from './upstream-retry'

export const MAX_CONCURRENT_UPSTREAM = 6

export interface VllmScorerOptions {
  pool: UpstreamPool
  apiKey: string
  /**
   * Cloudflare Access service token for a backend behind Access (gpu-backend/README.md):
   * sent as `CF-Access-Client-Id` / `CF-Access-Client-Secret` (developers.cloudflare.com/cloudflare-one/
   * identity/service-tokens). Both or neither.
   */
  accessToken?: { clientId: string; clientSecret: string } | undefined
  model: string
  batchSize: number
  /** Most batches one call is split into (the subrequest budget: backends/subrequest-budget.ts); default: no bound. */
  maxBatches?: number | undefined
  /**
   * Most fetches one call may make, every attempt and re-cut resend counted (`upstreamSubrequests`
   * in backends/subrequest-budget.ts); past it the call fails with a 503 that says why. Default: no bound.
   */
  maxUpstreamCalls?: number | undefined
  /** Tokens one formatted pair may take (MAX_MODEL_LEN: vLLM's `--max-model-len`). */
  maxModelLen: number
  /** The exact Qwen3 token counter; default: the real tokenizer, loaded on first need. */
  loadTokenizer?: () => Promise<TokenCounter>
  fetch?: typeof fetch
  /**
   * The isolate's clock (services.now): call deadlines are built from it (score-documents.ts), so
   * the time left is measured with it too, and so is how long a stated context length is kept.
   */
  now: () => number
}

export function createVllmScorer(options: VllmScorerOptions): PairScorer {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const now = options.now
  const loadCounter = options.loadTokenizer ?? loadQwen3Tokenizer
  // The smallest context length a backend has stated (context-length 400), for LEARNED_CONTEXT_MS:
  // calls in that time are prepared for it (the budget is part of their cache keys), so their keys
  // cover the text actually scored. It expires because it may have come from one replica in a
  // rolling deploy; after that the configured MAX_MODEL_LEN is tried again (a call that meets the
  // short replica again re-cuts its batch and relearns). A statement below
  // MIN_LEARNED_CONTEXT_TOKENS is never learned: it cannot be a reranker's context, and learning it
  // turned every later call into a 400 on `query` for as long as the isolate lived.
  let learned: { tokens: number; until: number } | undefined
  const maxModelLen = () => {
    if (learned !== undefined && now() >= learned.until) learned = undefined
    return Math.min(options.maxModelLen, learned?.tokens ?? Number.POSITIVE_INFINITY)
  }
  const prepare = async (request: PrepareRequest) => {
    const limit = maxModelLen()
    try {
      return await prepareQwen3Pairs(request, limit, loadCounter)
    } catch (e) {
      // The query does not fit a context the backend stated, though it fits MAX_MODEL_LEN: the
      // backend is at fault (502 naming it), not the caller.
      if (limit < options.maxModelLen && e instanceof ApiError && e.field === 'query') {
        throw new BackendError({
          kind: 'bad_reply',
          message: `the backend stated a context of ${limit} tokens, below MAX_MODEL_LEN (${options.maxModelLen}), and this call's query does not fit it: check the replicas' --max-model-len (${e.message})`,
        })
      }
      throw e
    }
  }

  /** One batch through the pool; a context-length 400 re-cuts this batch (only) and sends it again. */
  const scoreBatch = async (request: ScoreRequest, docs: readonly string[], opts: ScoreOptions, call: CallState) => {
    let texts = docs
    let changed: number[] = []
    for (let round = 0; ; round++) {
      // Built once per round, sent as is by every attempt (failover included).
      const body = rerankRequestBody(options.model, formatQwen3Query(request.instruction, request.query), texts)
      try {
        const reply = await options.pool.call(
          (baseUrl, attempt) => postRerank(doFetch, baseUrl, options, body.bytes, texts.length, { ...opts, deadline: attempt.deadline, signal: attempt.signal }, call.nextId()),
          { ...opts, allowance: call.allowance }
        )
        return { ...reply, changed, texts, documentBytes: body.documentBytes }
      } catch (e) {
        const stated = contextLengthOf(e)
        if (stated === undefined || round >= RECOVERY_ROUNDS || opts.signal?.aborted) throw e
        if (stated >= MIN_LEARNED_CONTEXT_TOKENS) {
          learned = { tokens: Math.min(maxModelLen(), stated), until: now() + LEARNED_CONTEXT_MS }
        }
        const refit = refitBatch(request.instruction, request.query, texts, stated, await loadCounter(), round * RECOVERY_MARGIN_TOKENS)
        if (refit === undefined || refit.changed.length === 0) throw e
        texts = refit.documents
        changed = [...new Set([...changed, ...refit.changed])]
      }
    }
  }

  /** Scores `request`'s (distinct, fitted) documents in concurrent batches. */
  async function scoreSent(request: ScoreRequest, opts: ScoreOptions, call: CallState): Promise<ScoreResult> {
    const n = request.documents.length
    const batches: Array<{ start: number; docs: readonly string[] }> = []
    const size = evenBatchSize(n, options.batchSize, options.maxBatches)
    for (let start = 0; start < n; start += size) {
      batches.push({ start, docs: request.documents.slice(start, start + size) })
    }
    const scores = new Array<number>(n)
    const uncacheable: number[] = []
    const pairTokens = new Array<number>(n)
    let promptTokens = 0
    let tokensKnown = true
    let next = 0
    // When one batch fails the call fails: its siblings are cancelled (in flight: aborted; queued:
    // never sent) instead of spending GPU time on an answer nobody will read.
    const siblings = new AbortController()
    const signal = opts.signal ? AbortSignal.any([opts.signal, siblings.signal]) : siblings.signal
    let failure: { error: unknown } | undefined
    const worker = async () => {
      while (next < batches.length && failure === undefined) {
        const batch = batches[next++]
        if (!batch) break
        try {
          const reply = await scoreBatch(request, batch.docs, { ...opts, signal }, call)
          for (let i = 0; i < reply.scores.length; i++) scores[batch.start + i] = reply.scores[i] ?? Number.NaN
          for (const i of reply.changed) uncacheable.push(batch.start + i)
          if (reply.promptTokens === undefined) tokensKnown = false
          else {
            promptTokens += reply.promptTokens
            // vLLM reports usage per request (= per batch): each pair's share, summing exactly.
            const shares =
              Number.isInteger(reply.promptTokens) && reply.promptTokens >= 0
                ? apportionPairTokens(reply.promptTokens, request, reply.texts, reply.documentBytes)
                : []
            for (let i = 0; i < shares.length; i++) pairTokens[batch.start + i] = shares[i] as number
          }
        } catch (error) {
          if (failure === undefined) {
            failure = { error }
            siblings.abort()
          }
          return
        }
      }
    }
    const lanes = Math.min(MAX_CONCURRENT_UPSTREAM, batches.length)
    await Promise.all(Array.from({ length: lanes }, worker))
    if (failure !== undefined) throw failure.error
    const result: ScoreResult = tokensKnown ? { scores, promptTokens, pairTokens } : { scores }
    if (uncacheable.length > 0) result.uncacheable = uncacheable.sort((a, b) => a - b)
    return result
  }

  return {
    kind: 'vllm',
    model: options.model,
    promptFormat: PROMPT_FORMAT_VERSION,
    defaultInstruction: DEFAULT_INSTRUCTION,
    preformatted: QWEN3_PREFORMATTED,
    prepare,
    async score(prepared: ScoreRequest, opts: ScoreOptions): Promise<ScoreResult> {
      if (prepared.documents.length === 0) return { scores: [] }
      // Only what is sent pays for the token budget (prepare left the documents unfitted, so a
      // cache hit never does): fitted under the budget prepare chose, which the cache keyed.
      // No budget means the pairs were not prepared here, so their cache keys do not describe the
      // cut this would make (the context length learned last): refuse rather than cache under them.
      const budget = prepared.budget
      if (budget === undefined) throw new Error('vLLM score called without the budget its prepare chose: the cache keys would not describe the cut')
      const fit = await fitPreparedDocuments(prepared, prepared.documents, budget, loadCounter)
      // Documents cut to the same text are one pair: sent once, its answer shared. (Only a cut can
      // make two alike: the cache forwards each prepared document once.)
      const sent = fit.cut.length > 0 ? distinctTexts(fit.documents) : undefined
      const result = await scoreSent({ instruction: prepared.instruction, query: prepared.query, documents: sent ? sent.texts : fit.documents }, opts, callState(options, opts))
      const out = sent ? sent.spread(result) : result
      // Cut: by the budget before sending, or re-cut after the backend refused a batch as longer
      // than its context (`uncacheable`: the text scored is shorter than the text keyed). Both are
      // truncated for the response, and for every call that joined these pairs' flight.
      const cut = out.uncacheable === undefined || out.uncacheable.length === 0 ? fit.cut : [...new Set([...fit.cut, ...out.uncacheable])].sort((a, b) => a - b)
      if (cut.length > 0) out.truncated = cut
      return out
    },
  }
}

/** What the fetches of one call share: its subrequest allowance and the ids they send. */
interface CallState {
  allowance: UpstreamAllowance | undefined
  /** The next fetch's `X-Request-Id` (undefined: none sent). */
  nextId: () => string | undefined
}

/**
 * Each fetch carries `X-Request-Id: <the call's request id>-<n>` (n counts the call's fetches:
 * batches, retries and resends). vLLM names the request after it (`rerank-<id>`: vLLM
 * `OpenAIServing._base_request_id` reads the header) in its logs and traces, so an operator finds a
 * worker call's backend side by the id in its access log; the suffix keeps concurrent batches of
 * one call from sharing an engine request id.
 */
function callState(options: VllmScorerOptions, opts: ScoreOptions): CallState {
  let n = 0
  const base = opts.requestId
  return {
    allowance: options.maxUpstreamCalls === undefined ? undefined : new UpstreamAllowance(options.maxUpstreamCalls),
    nextId: () => (base === undefined ? undefined : `${base}-${++n}`),
  }
}

/** Context-length answers one batch may recover from; the second keeps a margin for a tokenizer mismatch. */
const RECOVERY_ROUNDS = 2
const RECOVERY_MARGIN_TOKENS = 32
/** How long a context length a backend stated stays the budget of later calls. */
const LEARNED_CONTEXT_MS = 60_000
/**
 * The smallest stated context length learned: the Qwen3 prompt frame alone is ~40 tokens and the
 * default instruction ~15 more (qwen3-prompt.ts), so a context this short leaves room for little
 * but a short query and document; a smaller statement is a broken or misconfigured backend, and
 * its batch's 400 stands (a 502).
 */
const MIN_LEARNED_CONTEXT_TOKENS = 512

async function postRerank(
  doFetch: typeof fetch,
  baseUrl: string,
  options: VllmScorerOptions,
  /** The request body (vllm-request-body.ts) and how many documents it holds. */
  body: Uint8Array,
  count: number,
  opts: ScoreOptions,
  requestId: string | undefined
): Promise<{ scores: number[]; promptTokens?: number }> {
  const remaining = opts.deadline - options.now()
  if (remaining <= 0) throw new BackendError({ kind: 'timeout', message: 'backend deadline passed before the call' })
  const timeout = AbortSignal.timeout(remaining)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (requestId !== undefined) headers['x-request-id'] = requestId
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`
  if (options.accessToken) {
    headers['cf-access-client-id'] = options.accessToken.clientId
    headers['cf-access-client-secret'] = options.accessToken.clientSecret
  }
  let response: Response
  let reply: Uint8Array
  try {
    response = await doFetch(`${baseUrl}/v1/rerank`, {
      method: 'POST',
      headers,
      // No top_n (we need every score) and no truncate_prompt_tokens (it cuts the suffix).
      body,
      // vLLM never redirects; something in front that does (an Access policy sending a call without
      // its token to a login page) must read as what it is, not as the page a followed POST → GET lands on.
      redirect: 'manual',
      signal,
    })
    // Bytes, not text(): a good reply is read without decoding the documents it echoes
    // (vllm-reply-scan.ts); only an error reply, or one the scanner defers, is decoded.
    reply = new Uint8Array(await response.arrayBuffer())
  } catch (e) {
    if (timeout.aborted) {
      throw new BackendError({ kind: 'timeout', message: `backend did not answer within the ${Math.round(remaining)} ms deadline` })
    }
    if (opts.signal?.aborted) throw new BackendError({ kind: 'timeout', message: 'request aborted' })
    throw new BackendError({ kind: 'unreachable', message: `backend unreachable: ${describeNetworkError(e)}` })
  }
  if (!response.ok) {
    // Retry-After (429/503) tells the upstream pool when this upstream may be asked again.
    throw new UpstreamStatusError(
      response.status,
      redactorFor({ VLLM_API_KEY: options.apiKey, VLLM_ACCESS_CLIENT_ID: options.accessToken?.clientId, VLLM_ACCESS_CLIENT_SECRET: options.accessToken?.clientSecret })(describeErrorReply(response.status, response.headers.get('content-type'), decodeReply(reply), absoluteLocation(response.headers.get('location'), baseUrl))),
      parseRetryAfter(response.headers.get('retry-after'), options.now())
    )
  }
  if ((response.headers.get('content-type') ?? '').includes('html')) {
    throw new BackendError({ kind: 'bad_reply', message: 'backend answered 200 with an HTML page' })
  }
  const parsed = parseVllmRerankReply(reply, count)
  if (!parsed.ok) throw new BackendError(parsed.fault)
  // Every pair was fitted to MAX_MODEL_LEN tokens, so a count above count × MAX_MODEL_LEN is not
  // a count of this request's tokens: reported as unknown rather than passed on to the caller.
  const tokens = parsed.value.promptTokens
  if (tokens !== undefined && tokens > count * options.maxModelLen) return { scores: parsed.value.scores }
  return parsed.value
}

/** A redirect's `Location`, resolved against the upstream it came from (a login page's is often relative). */
function absoluteLocation(location: string | null, baseUrl: string): string | null {
  if (location === null) return null
  try {
    return new URL(location, `${baseUrl}/v1/rerank`).href
  } catch {
    return null
  }
}

function describeNetworkError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return msg.replace(/Bearer\s+\S+/giu, 'Bearer [redacted]').slice(0, 160)
}
