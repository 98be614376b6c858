/**
 * @module run-rerank
 * The rerank pipeline: normalise → resolve the instruction (raw, template or the scorer's default)
 * → fold metadata → the scorer prepares the texts for its model (neutralise control tokens, fit the
 * context) → score (through the cache) → time decay and fusion (never cached) → sort and shape. Takes its dependencies explicitly; no Hono here.
 */
import { BackendError } from '../backends/backend-error'
import { fallbackScorerFor } from '../backends/create-scorer'
import type { PairScorer } from '../backends/types'
import type { Config } from '../config'
import { redactorFor } from '../lib/redact-secrets'
import { scoreWithCache, type CacheMode } from '../cache/score-with-cache'
import { gpuRateFor } from '../cache/gpu-savings'
import type { ScoreStore } from '../cache/score-store'
import { KNOWN_FIELDS, type RerankBody } from '../schemas/rerank-request'
import { buildResponse, type RerankResponse } from './build-response'
import { normalizeDocuments } from './normalize-documents'
import type { TemplateRegistry } from '../templates/registry'
import { loadTemplateRegistry } from '../templates/template-source-store'
import { applyRanking, orderPlain, planRanking } from './apply-fusion'
import { foldDocuments, resolveFolding } from './fold-documents'
import { resolveInstructionWith } from './resolve-instruction'
import { applyExperiment, scheduleExposure, type ExperimentDeps } from './apply-experiment'

export interface RerankDeps {
  config: Config
  scorer: PairScorer
  cacheMode: CacheMode
  /** Cache partition (tenant + optional caller namespace). */
  namespace: string
  waitUntil: (p: Promise<unknown>) => void
  /** The score cache's shared edge tier (KV); null or absent: the isolate's memory only. */
  scoreStore?: ScoreStore | null
  /** The request's clock (ms since epoch). */
  now: number
  /**
   * Loads the live template registry (built-ins + TEMPLATES var + TEMPLATES_KV); called only when
   * the call names a template. Absent: built-ins + the TEMPLATES var.
   */
  templates?: () => Promise<TemplateRegistry>
  /** D1 and tenant for `experiment` calls (apply-experiment.ts); absent: experiments unavailable. */
  experiments?: ExperimentDeps
}

export interface RerankContext {
  requestId: string
  /** The caller's own X-Request-Id (correlation only; the exposure key is `requestId`). */
  clientRequestId?: string | null
  /** Route default for `return_documents` (true on /v1/rerank and /rerank, false on /v2). */
  returnDocumentsDefault: boolean
  /** Top-level keys of the raw body, for unknown-field warnings. */
  bodyKeys: readonly string[]
  /** The `X-Rerank-User` header: the experiment unit id when the body has no `user`. */
  unitHeader?: string | undefined
}

export interface RerankOutcome {
  response: RerankResponse
  cacheStatus: string
  timings: { cacheMs: number; backendMs: number }
}

const KNOWN = new Set<string>(KNOWN_FIELDS)

export async function runRerank(deps: RerankDeps, body: RerankBody, ctx: RerankContext): Promise<RerankOutcome> {
  const { config } = deps
  let { scorer } = deps
  const warnings: string[] = []
  for (const key of ctx.bodyKeys) if (!KNOWN.has(key)) warnings.push(`unknown field "${key.slice(0, 64)}" ignored`)
  if (body.model !== undefined && body.model !== scorer.model && body.model !== config.VLLM_MODEL) {
    warnings.push(`model "${body.model.slice(0, 64)}" is not served here; scored with "${scorer.model}"`)
  }
  if (scorer.kind === 'lexical') {
    warnings.push('no GPU backend configured: scored by the embedded lexical scorer, which ignores instructions')
  }

  const documents = normalizeDocuments(body)
  // An experiment call is scored under its arm's instruction or template (+ the call's template_vars).
  const experiment = await applyExperiment(deps.experiments, body, ctx.unitHeader, deps.now)
  if (experiment) warnings.push(...experiment.warnings)
  const resolved = await resolveInstructionWith(
    experiment ? experiment.input : body,
    deps.templates ??
      (() => loadTemplateRegistry({ config: config.TEMPLATES, kv: undefined, ttlSeconds: config.TEMPLATES_TTL_SECONDS, nowMs: deps.now })),
    { defaultInstruction: scorer.defaultInstruction }
  )
  // Validated before anything is scored: a bad `now` or unusable weights cost no backend call.
  const ranking = planRanking(body, resolved.fusionDefaults, deps.now)
  // Prepare: fold metadata into each document (head, body, tail), then the scorer makes the texts
  // ready for its model (control-token text neutralised, every pair fitted to its context). The
  // cache keys what `prepare` returns, i.e. exactly what the model reads.
  const folded = foldDocuments(documents, resolveFolding(config.FOLDING, body.folding))
  const prepared = await scorer.prepare({
    instruction: resolved.instruction,
    query: body.query,
    documents: folded.documents,
    maxTokensPerDoc: body.max_tokens_per_doc ?? undefined,
  })

  const scoreWith = (s: PairScorer) =>
    scoreWithCache(
      {
        scorer: s,
        mode: deps.cacheMode,
        namespace: deps.namespace,
        waitUntil: deps.waitUntil,
        config,
        store: deps.scoreStore ?? null,
        now: deps.now,
      },
      { instruction: prepared.instruction, query: prepared.query, documents: prepared.documents },
      { deadline: deps.now + config.BACKEND_TIMEOUT_MS }
    )
  let scored: Awaited<ReturnType<typeof scoreWith>>
  try {
    scored = await scoreWith(scorer)
  } catch (e) {
    // No upstream could serve (every breaker open, or every attempt failed for capacity) and the
    // operator chose FALLBACK=lexical: answer lexically, flagged, and never cached (kind 'lexical').
    const fallback = fallbackScorerFor(e, config)
    if (!fallback) throw e
    scorer = fallback
    warnings.push(`GPU backend unavailable (${redactorFor(config)((e as Error).message).slice(0, 160)}): scored by the embedded lexical scorer (FALLBACK=lexical), which ignores instructions`)
    scored = await scoreWith(fallback)
  }
  for (const s of scored.scores) {
    // Defence in depth: the backend layer validates, but a non-finite score must never leave.
    if (!Number.isFinite(s) || s < 0 || s > 1) {
      throw new BackendError({ kind: 'bad_reply', message: 'backend produced an invalid score' })
    }
  }

  // Time decay and fusion after the cache, on every call: they depend on `now`, never cached.
  const ranked = ranking === undefined ? undefined : applyRanking(ranking, documents, scored.scores)

  // A call the lexical fallback answered did not use the arm's instruction, so it is no evidence
  // about the arm: it is served but its exposure is not recorded (and the response says so).
  const skipExposure = scorer.kind === 'lexical' && config.backend === 'vllm' && experiment?.meta.in_experiment === true
  if (skipExposure) warnings.push("experiment exposure not recorded: the lexical fallback ignores the arm's instruction")

  const topN = body.top_n ?? body.top_k
  const response = buildResponse({
    id: ctx.requestId,
    model: scorer.model,
    backend: scorer.kind,
    documents,
    scores: ranked?.scores ?? scored.scores,
    order: ranked?.order ?? orderPlain(documents, scored.scores),
    ...(ranked?.explanations === undefined ? {} : { explanations: ranked.explanations }),
    ...(ranked === undefined ? {} : { fusion: ranked.meta }),
    ...(topN === undefined ? {} : { topN }),
    returnDocuments: body.return_documents ?? ctx.returnDocumentsDefault,
    hits: scored.hits,
    misses: scored.misses,
    ...(scored.promptTokens === undefined ? {} : { promptTokens: scored.promptTokens }),
    cachedPromptTokens: scored.cachedPromptTokens,
    cachedPairsUnknownTokens: scored.cachedPairsUnknownTokens,
    gpuTokensPerSecond: gpuRateFor(config.CACHE_GPU_TOKENS_PER_SECOND, scorer.model),
    instruction: prepared.instruction,
    instructionSource: experiment ? 'experiment' : resolved.source,
    ...(experiment ? { experiment: experiment.meta } : {}),
    ...(resolved.template === undefined ? {} : { template: resolved.template }),
    truncated: prepared.truncated,
    warnings,
  })
  // After the response (waitUntil): in-experiment calls record their exposure, never failing the call.
  if (!skipExposure) {
    scheduleExposure(deps.experiments, experiment, { requestId: ctx.requestId, clientRequestId: ctx.clientRequestId, response, documents, now: deps.now }, deps.waitUntil)
  }
  return {
    response,
    cacheStatus: scored.cacheStatus,
    timings: { cacheMs: scored.cacheMs, backendMs: scored.backendMs },
  }
}
