/**
 * @module run-rerank
 * The rerank pipeline: normalise → resolve the instruction → render documents → score
 * (through the cache) → sort and shape. Takes its dependencies explicitly; no Hono here.
 */
import { BackendError } from '../backends/backend-error'
import type { PairScorer } from '../backends/types'
import type { Config } from '../config'
import { scoreWithCache, type CacheMode } from '../cache/score-with-cache'
import { KNOWN_FIELDS, type RerankBody } from '../schemas/rerank-request'
import { buildResponse, type RerankResponse } from './build-response'
import { normalizeDocuments } from './normalize-documents'
import { renderDocuments } from './render-documents'
import { resolveInstruction } from './resolve-instruction'

export interface RerankDeps {
  config: Config
  scorer: PairScorer
  cacheMode: CacheMode
  /** Cache partition (tenant + optional caller namespace). */
  namespace: string
  waitUntil: (p: Promise<unknown>) => void
  /** The request's clock (ms since epoch). */
  now: number
}

export interface RerankContext {
  requestId: string
  /** Route default for `return_documents` (true on /v1/rerank and /rerank, false on /v2). */
  returnDocumentsDefault: boolean
  /** Top-level keys of the raw body, for unknown-field warnings. */
  bodyKeys: readonly string[]
}

export interface RerankOutcome {
  response: RerankResponse
  cacheStatus: string
  timings: { cacheMs: number; backendMs: number }
}

const KNOWN = new Set<string>(KNOWN_FIELDS)

export async function runRerank(deps: RerankDeps, body: RerankBody, ctx: RerankContext): Promise<RerankOutcome> {
  const { config, scorer } = deps
  const warnings: string[] = []
  for (const key of ctx.bodyKeys) if (!KNOWN.has(key)) warnings.push(`unknown field "${key.slice(0, 64)}" ignored`)
  if (body.model !== undefined && body.model !== scorer.model && body.model !== config.VLLM_MODEL) {
    warnings.push(`model "${body.model.slice(0, 64)}" is not served here; scored with "${scorer.model}"`)
  }
  if (scorer.kind === 'lexical') {
    warnings.push('no GPU backend configured: scored by the embedded lexical scorer, which ignores instructions')
  }

  const documents = normalizeDocuments(body)
  const resolved = resolveInstruction(body)
  const rendered = renderDocuments(
    resolved.instruction,
    body.query,
    documents.map((d) => d.text),
    body.max_tokens_per_doc === undefined
      ? { maxModelLen: config.MAX_MODEL_LEN }
      : { maxModelLen: config.MAX_MODEL_LEN, maxTokensPerDoc: body.max_tokens_per_doc }
  )

  const scored = await scoreWithCache(
    { scorer, mode: deps.cacheMode, namespace: deps.namespace, waitUntil: deps.waitUntil },
    { instruction: resolved.instruction, query: body.query, documents: rendered.texts },
    { deadline: deps.now + config.BACKEND_TIMEOUT_MS }
  )
  for (const s of scored.scores) {
    // Defence in depth: the backend layer validates, but a non-finite score must never leave.
    if (!Number.isFinite(s) || s < 0 || s > 1) {
      throw new BackendError({ kind: 'bad_reply', message: 'backend produced an invalid score' })
    }
  }

  const topN = body.top_n ?? body.top_k
  const response = buildResponse({
    id: ctx.requestId,
    model: scorer.model,
    backend: scorer.kind,
    documents,
    scores: scored.scores,
    ...(topN === undefined ? {} : { topN }),
    returnDocuments: body.return_documents ?? ctx.returnDocumentsDefault,
    hits: scored.hits,
    misses: scored.misses,
    ...(scored.promptTokens === undefined ? {} : { promptTokens: scored.promptTokens }),
    instruction: resolved.instruction,
    instructionSource: resolved.source,
    truncated: rendered.truncated,
    warnings,
  })
  return {
    response,
    cacheStatus: scored.cacheStatus,
    timings: { cacheMs: scored.cacheMs, backendMs: scored.backendMs },
  }
}
