/**
 * @module rank-documents
 * Step 3 of the pipeline (run-rerank.ts), after the (cached) model scores: decay, fusion, sort.
 * `planRanking` validates the call's ranking input before anything is scored; `rankResults` then
 * orders every call, plain or fused, in one place. Time decay and score fusion: final =
 * w_semantic·model + w_business·business + w_time·time (scoring/fusion.ts), ordered by final score
 * with deterministic ties (final, model, document id, index: scoring/fusion.ts `compareFused`).
 *
 * Runs on every request and is never cached: the time component depends on `now`. The cache holds
 * raw model scores only. With no fusion input (no `time_decay`, no `fusion`, no template defaults,
 * no `explain`) there is no plan and the final score is exactly the model score. Pure: the clock
 * comes in as `clockMs` (the request's), or the call's own `now` replaces it for reproducible runs.
 */
import { badField } from '../errors'
import type { BoostRule } from '../scoring/business-score'
import { businessBounds, ruleName } from '../scoring/business-score'
import { compareFused, fuseScores, resolveFusion, type FusionConfig, type FusionWeights, type PartialFusionWeights, type ResolvedFusion } from '../scoring/fusion'
import { rankDocuments, type Explanation } from '../scoring/rank'
import type { TimeDecay, TimeScoreDetail } from '../scoring/time-decay'
import { parseIsoInstant } from '../documents/iso-date'
import type { NormalizedDocument } from '../documents/document'

export interface RankingInput {
  time_decay?: TimeDecay | undefined
  fusion?: FusionConfig | undefined
  explain?: boolean | undefined
  /** ISO-8601; the clock for time decay. */
  now?: string | undefined
}

export interface TemplateFusionDefaults {
  fusion?: PartialFusionWeights | undefined
  boosts?: readonly BoostRule[] | undefined
}

export interface RankingPlan {
  nowMs: number
  timeDecay: TimeDecay | undefined
  fusion: ResolvedFusion
  explain: boolean
}

/** `meta.fusion`: how the final scores were computed, so a caller can reproduce them. */
export interface FusionMeta {
  /**
   * The weights in effect: call over template over defaults, normalised, with the components this
   * call does not have (business without boost rules, time without time_decay) at 0 and their
   * weight shared among the others.
   */
  weights: FusionWeights
  /** Names of the boost rules in force. */
  boosts: string[]
  time_decay?: TimeDecay
  /** The clock used for time decay (the call's `now`, or the request time). */
  now: string
}

/** `explanation` of one result. */
export type ResultExplanation = Explanation & {
  /** The model's own relevance score (what the cache stores), before fusion. */
  model_score: number
  time?: NonNullable<Explanation['time']> & { reason: string }
}

/**
 * The ranking plan for a call, or `undefined` when the call has no fusion input (module doc).
 * Validates before anything is scored: a bad `now` or unusable weights are 400s naming the field.
 */
export function planRanking(
  input: RankingInput,
  templateDefaults: TemplateFusionDefaults | undefined,
  clockMs: number
): RankingPlan | undefined {
  const hasTemplateDefaults = templateDefaults !== undefined && (templateDefaults.fusion !== undefined || templateDefaults.boosts !== undefined)
  if (input.time_decay === undefined && input.fusion === undefined && !hasTemplateDefaults && input.explain !== true) return undefined
  let nowMs = clockMs
  if (input.now !== undefined) {
    const parsed = parseIsoInstant(input.now)
    if (parsed === undefined) throw badField('now', 'expected an ISO-8601 date or date-time such as "2025-01-01T00:00:00Z"')
    nowMs = parsed
  }
  const resolved = resolveFusion(input.fusion, templateDefaults, { timeDecay: input.time_decay !== undefined })
  if (!resolved.ok) {
    const first = resolved.errors[0]
    throw badField(first?.field ?? 'fusion', first?.message ?? 'invalid fusion')
  }
  return { nowMs, timeDecay: input.time_decay, fusion: resolved.fusion, explain: input.explain === true }
}

export interface RankingOutcome {
  /** Final scores in request order, each finite and in [0, 1]. */
  scores: number[]
  /** Request indices in final order (ties already broken). */
  order: number[]
  /** Per request index, when the call asked for `explain`. */
  explanations?: ResultExplanation[]
  meta: FusionMeta
}

/** Applies the plan to the model scores (one per document, request order). */
export function applyRanking(plan: RankingPlan, documents: readonly NormalizedDocument[], modelScores: readonly number[]): RankingOutcome {
  const ranked = rankDocuments({
    documents,
    modelScores,
    nowMs: plan.nowMs,
    timeDecay: plan.timeDecay,
    fusion: plan.fusion,
  })
  const scores = new Array<number>(documents.length).fill(Number.NaN)
  const explanations: ResultExplanation[] = new Array<ResultExplanation>(documents.length)
  for (const r of ranked) {
    if (!Number.isFinite(r.relevance_score) || r.relevance_score < 0 || r.relevance_score > 1) {
      // fuseScores clamps; this is a pipeline bug, never a caller error.
      throw new RangeError(`fusion produced an invalid score for document ${r.index}`)
    }
    scores[r.index] = r.relevance_score
    if (plan.explain) explanations[r.index] = explain(r.explanation, modelScores[r.index] as number, plan)
  }
  const meta: FusionMeta = {
    weights: effectiveWeights(plan),
    boosts: plan.fusion.boosts.map(ruleName),
    now: new Date(plan.nowMs).toISOString(),
  }
  if (plan.timeDecay !== undefined) meta.time_decay = plan.timeDecay
  const outcome: RankingOutcome = { scores, order: ranked.map((r) => r.index), meta }
  if (plan.explain) outcome.explanations = explanations
  return outcome
}

/** The call's final scores and order (and, with a plan, explanations and `meta.fusion`). */
export interface RankedResults {
  scores: readonly number[]
  order: number[]
  explanations?: ResultExplanation[]
  fusion?: FusionMeta
}

/**
 * Step 3 for every call: with a plan, decay and fusion then the fused order; without one, the model
 * scores themselves in the plain order (`orderPlain`).
 */
export function rankResults(plan: RankingPlan | undefined, documents: readonly NormalizedDocument[], modelScores: readonly number[]): RankedResults {
  if (plan === undefined) return { scores: modelScores, order: orderPlain(documents, modelScores) }
  const ranked = applyRanking(plan, documents, modelScores)
  const out: RankedResults = { scores: ranked.scores, order: ranked.order, fusion: ranked.meta }
  if (ranked.explanations !== undefined) out.explanations = ranked.explanations
  return out
}

/**
 * The final order for plain calls too: score descending, then document id, then index (the same
 * tie rule as fusion), so permuting the documents of a request never changes the order by id.
 */
export function orderPlain(documents: readonly NormalizedDocument[], scores: readonly number[]): number[] {
  // compareFused's rule with final = model = the score, on bare indices: no object per document
  // and one comparison for distinct scores (a cached 1,000-document call spent 11.6 % of its CPU
  // sorting through the fusion comparator, in a V8 CPU profile).
  const n = scores.length
  let ids: Array<string | undefined> | undefined
  for (let i = 0; i < n && ids === undefined; i++) if (documents[i]?.id !== undefined) ids = documents.map((d) => d?.id)
  if (ids === undefined) return byScoreThenIndex(scores)
  const order = new Array<number>(n)
  for (let i = 0; i < n; i++) order[i] = i
  order.sort((a, b) => {
    const sa = scores[a] as number
    const sb = scores[b] as number
    if (sa !== sb) return sb - sa
    if (ids !== undefined) {
      const ia = ids[a]
      const ib = ids[b]
      if (ia !== ib) {
        if (ia === undefined) return 1
        if (ib === undefined) return -1
        return ia < ib ? -1 : 1
      }
    }
    return a - b
  })
  return order
}

/**
 * Indices by score descending, ties in index order, without a JS comparator: the scores sorted
 * natively (a typed array's numeric sort, ascending), then each index placed by binary search at
 * the first free slot of its score's run (indices visited in order, so ties keep index order).
 * No Map of doubles: keying one by score was 7.8 % of a cached 1,000-document call of 250-character
 * passages in a workerd profile. 0 and −0 are one score here, as they are to the comparator: the
 * search compares with `<=`, for which they are equal. A NaN (no scorer's reply carries one: the
 * cache and the backends refuse it) goes last, after every number, in index order.
 */
function byScoreThenIndex(scores: readonly number[]): number[] {
  const n = scores.length
  const sorted = Float64Array.from(scores).sort()
  // Typed-array sort puts NaNs last (ECMA-262 TypedArray SortCompare); numbers end at `numbers`.
  let numbers = n
  while (numbers > 0 && Number.isNaN(sorted[numbers - 1])) numbers--
  const order = new Array<number>(n)
  // placed[p]: how many indices already sit in the run that starts at descending position p.
  const placed = new Int32Array(n)
  let nanAt = numbers
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number
    if (s !== s) {
      order[nanAt++] = i
      continue
    }
    // upper bound: the first ascending position holding a value greater than s.
    let lo = 0
    let hi = numbers
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((sorted[mid] as number) <= s) lo = mid + 1
      else hi = mid
    }
    const start = numbers - lo
    order[start + placed[start]!++] = i
  }
  return order
}

/** The weights fuseScores applies to every document of this call (the active components are per call). */
function effectiveWeights(plan: RankingPlan): FusionWeights {
  const bounds = businessBounds(plan.fusion.boosts)
  return fuseScores(
    { model: 0, business: bounds.max > bounds.min ? 0 : undefined, time: plan.timeDecay === undefined ? undefined : 0 },
    plan.fusion.weights
  ).weights
}

function explain(e: Explanation, modelScore: number, plan: RankingPlan): ResultExplanation {
  const out: ResultExplanation = {
    final: e.final,
    model_score: modelScore,
    components: e.components,
    weights: e.weights,
    fired: e.fired,
    points: e.points,
  }
  if (e.time !== undefined && plan.timeDecay !== undefined) {
    out.time = { ...e.time, reason: timeReason(e.time, plan.timeDecay) }
  }
  return out
}

/** One sentence saying how the time score came about (deterministic formatting: no locale). */
export function timeReason(t: TimeScoreDetail & { published_at: string | null }, decay: TimeDecay): string {
  const score = t.score.toFixed(4)
  if (t.rule === 'missing') {
    return t.published_at === null
      ? `no published_at: the missing-date score ${score} applies`
      : `published_at ${JSON.stringify(t.published_at)} is not a date: the missing-date score ${score} applies`
  }
  if (t.rule === 'future') return `published ${t.published_at ?? ''}, after now: counts as age 0, score ${score}`
  const age = (t.age_days ?? 0).toFixed(2)
  if (decay.kind === 'exponential') {
    return `published ${t.published_at ?? ''}, ${age} days before now; exponential decay with a ${decay.half_life_days}-day half-life: 0.5^(${age}/${decay.half_life_days}) = ${score}`
  }
  const step = [...decay.steps].reverse().find((s) => (t.age_days ?? 0) >= s.after_days)
  return step === undefined
    ? `published ${t.published_at ?? ''}, ${age} days before now; before the first step (${decay.steps[0]?.after_days ?? 0} days): score ${score}`
    : `published ${t.published_at ?? ''}, ${age} days before now; step decay: after ${step.after_days} days × ${step.factor} = ${score}`
}
