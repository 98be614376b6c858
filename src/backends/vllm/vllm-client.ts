/**
 * @module vllm-client
 * The only module that talks HTTP to vLLM. Formats each pair in the Qwen3 prompt format,
 * POSTs `/v1/rerank` (the route vLLM's `--api-key` guards: notes §2.6) with a bearer key,
 * validates the reply and maps scores back to request order.
 *
 * Large candidate sets are split into batches of `batchSize` sent concurrently, at most
 * `MAX_CONCURRENT_UPSTREAM` at a time: a Worker may hold 6 simultaneous outgoing connections
 * (developers.cloudflare.com/workers/platform/limits, "Simultaneous open connections").
 */
import { BackendError } from '../backend-error'
import { redactorFor } from '../../lib/redact-secrets'
import type { PairScorer, ScoreOptions, ScoreRequest, ScoreResult } from '../types'
import { formatQwen3Document, formatQwen3Query } from './qwen3-prompt'
import { describeErrorReply, parseVllmRerankReply } from './vllm-response'
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
  fetch?: typeof fetch
}

export function createVllmScorer(options: VllmScorerOptions): PairScorer {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  return {
    kind: 'vllm',
    model: options.model,
    async score(request: ScoreRequest, opts: ScoreOptions): Promise<ScoreResult> {
      const n = request.documents.length
      if (n === 0) return { scores: [] }
      const query = formatQwen3Query(request.instruction, request.query)
      const batches: Array<{ start: number; docs: string[] }> = []
      for (let start = 0; start < n; start += options.batchSize) {
        batches.push({
          start,
          docs: request.documents.slice(start, start + options.batchSize).map(formatQwen3Document),
        })
      }
      const scores = new Array<number>(n)
      let promptTokens = 0
      let tokensKnown = true
      let next = 0
      const worker = async () => {
        while (next < batches.length) {
          const batch = batches[next++]
          if (!batch) break
          const reply = await options.pool.call(
            (baseUrl, attempt) => postRerank(doFetch, baseUrl, options, query, batch.docs, { ...opts, deadline: attempt.deadline }),
            opts
          )
          for (let i = 0; i < reply.scores.length; i++) scores[batch.start + i] = reply.scores[i] ?? Number.NaN
          if (reply.promptTokens === undefined) tokensKnown = false
          else promptTokens += reply.promptTokens
        }
      }
      const lanes = Math.min(MAX_CONCURRENT_UPSTREAM, batches.length)
      await Promise.all(Array.from({ length: lanes }, worker))
      return tokensKnown ? { scores, promptTokens } : { scores }
    },
  }
}

async function postRerank(
  doFetch: typeof fetch,
  baseUrl: string,
  options: VllmScorerOptions,
  query: string,
  documents: string[],
  opts: ScoreOptions
): Promise<{ scores: number[]; promptTokens?: number }> {
  const remaining = opts.deadline - Date.now()
  if (remaining <= 0) throw new BackendError({ kind: 'timeout', message: 'backend deadline passed before the call' })
  const timeout = AbortSignal.timeout(remaining)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`
  if (options.accessToken) {
    headers['cf-access-client-id'] = options.accessToken.clientId
    headers['cf-access-client-secret'] = options.accessToken.clientSecret
  }
  let response: Response
  let text: string
  try {
    response = await doFetch(`${baseUrl}/v1/rerank`, {
      method: 'POST',
      headers,
      // No top_n (we need every score) and no truncate_prompt_tokens (it cuts the suffix).
      body: JSON.stringify({ model: options.model, query, documents }),
      signal,
    })
    text = await response.text()
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
      redactorFor({ VLLM_API_KEY: options.apiKey, VLLM_ACCESS_CLIENT_ID: options.accessToken?.clientId, VLLM_ACCESS_CLIENT_SECRET: options.accessToken?.clientSecret })(describeErrorReply(response.status, response.headers.get('content-type'), text)),
      parseRetryAfter(response.headers.get('retry-after'), Date.now())
    )
  }
  if ((response.headers.get('content-type') ?? '').includes('html')) {
    throw new BackendError({ kind: 'bad_reply', message: 'backend answered 200 with an HTML page' })
  }
  const parsed = parseVllmRerankReply(text, documents.length)
  if (!parsed.ok) throw new BackendError(parsed.fault)
  return parsed.value
}

function describeNetworkError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return msg.replace(/Bearer\s+\S+/giu, 'Bearer [redacted]').slice(0, 160)
}
