/**
 * @module run-rerank
 * The rerank pipeline, top to bottom; each step is one module and no step calls back into an
 * earlier one:
 *
 *  0. preformatted prompt, experiment and instruction: a query (and documents) the client already
 *     put in the model's template become the plain call (unwrap-preformatted.ts); an `experiment`
 *     call takes its arm's instruction or template
 *     (apply-experiment.ts); the instruction is raw, a rendered template, or the scorer's default
 *     (resolve-instruction.ts); the ranking input is validated before anything is scored
 *     (rank-documents.ts `planRanking`);
 *  1. prepare (prepare-documents.ts): normalise, fold metadata, and let the scorer neutralise
 *     control-token text and choose the token budget: one pass, one document shape;
 *  2. score (score-documents.ts): the cache, then the backend for what is left (or the lexical
 *     fallback); the scorer fits what it sends to the budget, so hits skip it;
 *  3. rank (rank-documents.ts `rankResults`): time decay, fusion, sort; never cached;
 *  4. respond (build-response.ts), and record the experiment exposure after the response.
 *
 * Takes its dependencies explicitly (the route builds them from `c.var`); no Hono here, and
 * nothing of a backend's model: the scorer (backends/types.ts) owns its prompt format, default
 * instruction and token budget.
 */
import type { PairScorer } from '../backends/types'
import type { ByteBoundedLru } from '../cache/memory-lru'
import type { CacheMode } from '../cache/cache-status'
import { gpuRateFor } from '../cache/gpu-savings'
import type { ScoreStore } from '../cache/score-store'
import type { SingleFlight } from '../cache/single-flight'
import type { Config } from '../config'
import { KNOWN_FIELDS, PEER_FIELDS_IGNORED, type RerankBody } from '../schemas/rerank-request'
import type { TemplateRegistry } from '../templates/registry'
import { loadTemplateRegistry } from '../templates/template-source-store'
import { applyExperiment, resolveArm, scheduleExposure, sharedNameWarning, type ExperimentDeps } from './apply-experiment'
import { buildResponse, type RerankResponse } from './build-response'
import { prepareDocuments } from './prepare-documents'
import { planRanking, rankResults } from './rank-documents'
import { resolveInstructionWith, type InstructionInput, type ResolvedInstruction } from './resolve-instruction'
import { scoreDocuments } from './score-documents'
import { unwrapPreformatted } from './unwrap-preformatted'

export interface RerankDeps {
  config: Config
  scorer: PairScorer
  /** The lexical scorer when a scoring error calls for FALLBACK=lexical (src/services.ts `fallbackFor`). */
  fallbackFor: (error: unknown) => PairScorer | undefined
  cacheMode: CacheMode
  /** Cache partition (tenant + optional caller namespace). */
  namespace: string
  waitUntil: (p: Promise<unknown>) => void
  /** The score cache's shared edge tier (KV); null or absent: the isolate's memory only. */
  scoreStore?: ScoreStore | null
  /** The isolate's memory tier and single-flight table (src/services.ts `scoreCache`). */
  memory: ByteBoundedLru
  flights: SingleFlight
  /** The request's clock (ms since epoch). */
  now: number
  /** Reads the time for deadlines inside the call (src/services.ts `now`); default Date.now. */
  clock?: () => number
  /**
   * Loads the live template registry (built-ins + TEMPLATES var + TEMPLATES_KV); called only when
   * the call names a template. Absent: built-ins + the TEMPLATES var.
   */
  templates?: () => Promise<TemplateRegistry>
  /** D1, tenant and the isolate's definition cache for `experiment` calls; absent: unavailable. */
  experiments?: ExperimentDeps
}

export interface RerankContext {
  requestId: string
  /** The caller's own X-Request-Id (correlation only; the exposure key is `requestId`). */
  clientRequestId?: string | null
  /** Route default for `return_documents` (true on /v1/rerank and /rerank, false on /v2). */
  returnDocumentsDefault: boolean
  /** `meta.api_version.version`: "1" on /v1/rerank and /rerank, "2" on /v2/rerank (rerank-paths.ts). */
  apiVersion: string
  /** Top-level keys of the raw body not set to null (null means absent), for unknown-field warnings. */
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

export async function runRerank(deps: RerankDeps, sent: RerankBody, ctx: RerankContext): Promise<RerankOutcome> {
  const { config, scorer } = deps
  const warnings = requestWarnings(config, scorer, sent, ctx)

  // 0. A query (and documents) the client already put in the model's template: the plain call.
  const { body, preformatted } = unwrapPreformatted(scorer.preformatted, sent, { maxInstructionChars: config.MAX_INSTRUCTION_CHARS })
  if (preformatted) {
    warnings.push(`query and documents were preformatted in the ${preformatted.template} template: taken apart and scored as the plain call (meta.instruction_source "query"); the service formats the prompt itself, so plain text is enough`)
  }

  // 0. Experiment arm, instruction, ranking input: validated before anything is scored.
  let experiment = await applyExperiment(deps.experiments, body, ctx.unitHeader, deps.now)
  if (experiment) warnings.push(...experiment.warnings)
  const registry =
    deps.templates ?? (() => loadTemplateRegistry({ config: config.TEMPLATES, kv: undefined, ttlSeconds: config.TEMPLATES_TTL_SECONDS, nowMs: deps.now }))
  const resolveOptions = { defaultInstruction: scorer.defaultInstruction, maxChars: config.MAX_INSTRUCTION_CHARS }
  const resolve = (input: InstructionInput) => resolveInstructionWith(input, registry, resolveOptions)
  let resolved: ResolvedInstruction
  if (experiment) {
    const arm = await resolveArm(experiment, body, resolve)
    experiment = arm.applied
    resolved = arm.resolved
    if (arm.warning !== undefined) warnings.push(arm.warning)
  } else resolved = await resolve(body)
  const ranking = planRanking(body, resolved.fusionDefaults, deps.now)

  // 1. Prepare: normalise, fold, neutralise, choose the budget (with it, the key decides what the model reads).
  const prepared = await prepareDocuments(scorer, body, { instruction: resolved.instruction, folding: config.FOLDING, preformatted })
  const { documents } = prepared
  warnings.push(...prepared.warnings)

  // 2. Score: the cache, then the backend (or the lexical fallback) for what is left.
  const score = await scoreDocuments(
    {
      config,
      scorer,
      fallbackFor: deps.fallbackFor,
      cacheMode: deps.cacheMode,
      namespace: deps.namespace,
      waitUntil: deps.waitUntil,
      scoreStore: deps.scoreStore ?? null,
      memory: deps.memory,
      flights: deps.flights,
      now: deps.now,
      clock: deps.clock,
      requestId: ctx.requestId,
    },
    prepared.pairs,
    prepared.prepareFor
  )
  warnings.push(...score.warnings)
  // The pairs as the answering scorer read them (the fallback's own, when it answered).
  const { pairs } = score
  const { scored } = score

  // 3. Rank: time decay and fusion after the cache, on every call (they depend on `now`).
  const ranked = rankResults(ranking, documents, scored.scores)

  // 4. Respond. A call the lexical fallback answered did not use the arm's instruction, so it is no
  // evidence about the arm: it is served but its exposure is not recorded (and the response says so).
  const skipExposure = score.scorer.kind === 'lexical' && config.backend === 'vllm' && experiment?.meta.in_experiment === true
  if (skipExposure) warnings.push("experiment exposure not recorded: the lexical fallback ignores the arm's instruction")
  const sharedName = experiment?.meta.in_experiment === true && !skipExposure ? sharedNameWarning(documents) : undefined
  if (sharedName !== undefined) warnings.push(sharedName)
  const topN = body.top_n ?? body.top_k
  const response = buildResponse({
    id: ctx.requestId,
    model: score.scorer.model,
    backend: score.scorer.kind,
    documents,
    scores: ranked.scores,
    order: ranked.order,
    ...(ranked.explanations === undefined ? {} : { explanations: ranked.explanations }),
    ...(ranked.fusion === undefined ? {} : { fusion: ranked.fusion }),
    ...(topN === undefined ? {} : { topN }),
    returnDocuments: body.return_documents ?? ctx.returnDocumentsDefault,
    apiVersion: ctx.apiVersion,
    hits: scored.hits,
    misses: scored.misses,
    pairsScored: scored.pairsScored,
    ...(scored.promptTokens === undefined ? {} : { promptTokens: scored.promptTokens }),
    cachedPromptTokens: scored.cachedPromptTokens,
    cachedPairsUnknownTokens: scored.cachedPairsUnknownTokens,
    gpuTokensPerSecond: gpuRateFor(config.CACHE_GPU_TOKENS_PER_SECOND, score.scorer.model),
    instruction: pairs.instruction,
    // A preformatted query's instruction is the caller's own, read from the query ('raw' otherwise).
    instructionSource: experiment ? 'experiment' : preformatted && resolved.source === 'raw' ? 'query' : resolved.source,
    ...(experiment ? { experiment: experiment.meta } : {}),
    ...(resolved.template === undefined ? {} : { template: resolved.template }),
    // Cut by prepare (a scorer that fits eagerly), or by the scorer when scoring (now or when the
    // cached score was made: the cache keeps the flag).
    truncated: pairs.truncated + scored.truncated,
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

/** Unknown fields, a model this deployment does not serve, and a lexical-only deployment. */
function requestWarnings(config: Config, scorer: PairScorer, body: RerankBody, ctx: RerankContext): string[] {
  const warnings: string[] = []
  for (const key of ctx.bodyKeys) {
    if (!KNOWN.has(key)) warnings.push(Object.hasOwn(PEER_FIELDS_IGNORED, key) ? (PEER_FIELDS_IGNORED[key] as string) : `unknown field "${key.slice(0, 64)}" ignored`)
  }
  if (body.max_chunks_per_doc !== undefined) {
    // Cohere v1 splits a long document into chunks and scores the best; here it is cut to fit instead.
    warnings.push('max_chunks_per_doc ignored: documents are not chunked; a long one is cut to fit the model context (meta.truncated_documents counts them)')
  }
  if (body.model !== undefined && body.model !== scorer.model && body.model !== config.VLLM_MODEL) {
    warnings.push(`model "${body.model.slice(0, 64)}" is not served here; scored with "${scorer.model}"`)
  }
  if (scorer.kind === 'lexical') {
    warnings.push('no GPU backend configured: scored by the embedded lexical scorer, which ignores instructions')
  }
  return warnings
}
