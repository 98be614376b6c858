/**
 * @module scoring/fusion
 * Final score = w_semantic·model + w_business·business + w_time·time, defaults 0.6/0.3/0.1 (the
 * product's contract, README "Templates, metadata and fusion").
 *
 * "Weights mean what they say":
 *  - every component is in [0, 1]: the model score is a probability (the Qwen3-Reranker model card
 *    scores P("yes") = softmax over the "yes"/"no" next-token logits; vLLM's converted
 *    sequence-classification head computes the same value as sigmoid(logit_yes − logit_no)), and
 *    business-score.ts and time-decay.ts are bounded by construction;
 *  - weights are normalised to sum 1, so `{ semantic: 3, business: 1 }` means 75 % / 25 % and the
 *    final score stays in [0, 1] (a convex combination);
 *  - a component that is not configured for the call (business: no boost rules; time: no
 *    `time_decay`) is left out and its weight shared among the others by the same normalisation.
 *    So a plain call's final score is exactly the model score, and "time 0.1" only takes effect when
 *    there is a time score to weigh.
 * Merging: per-call `fusion.weights` over the template's `fusion` over the defaults, key by key
 * (a partial `{ time: 0.5 }` keeps the other defaults), then normalised. Boost rules: the call's
 * `fusion.boosts` if given (even `[]`, to switch a template's rules off), else the template's.
 */
import { z } from 'zod'
import { boostRulesSchema, businessBounds, type BoostRule } from './business-score'
import type { FieldError } from '../lib/zod-error'

export interface FusionWeights {
  semantic: number
  business: number
  time: number
}

/** Issue 4's defaults. Frozen: callers merge over it, never mutate it. */
export const DEFAULT_WEIGHTS: Readonly<FusionWeights> = Object.freeze({ semantic: 0.6, business: 0.3, time: 0.1 })

/**
 * Largest accepted weight. Weights are relative (normalised to sum 1), so no ratio anyone means
 * needs more, and three of them summed stay far from overflow (1e308 + 1e308 = Infinity made
 * every normalised weight NaN).
 */
export const MAX_WEIGHT = 1_000_000

const WEIGHT_EXPECTED = `expected a finite number between 0 and ${MAX_WEIGHT}`
const weightSchema = z
  .number({ error: WEIGHT_EXPECTED })
  .finite({ error: WEIGHT_EXPECTED })
  .min(0, { error: WEIGHT_EXPECTED })
  .max(MAX_WEIGHT, { error: WEIGHT_EXPECTED })

/** Partial weights: the request's `fusion.weights` and a template's `fusion`. */
export const fusionWeightsSchema = z.strictObject({
  semantic: weightSchema.optional(),
  business: weightSchema.optional(),
  time: weightSchema.optional(),
})

/** The request's `fusion` field: `{ weights?: { semantic?, business?, time? }, boosts?: [rule, …] }`. */
export const fusionSchema = z.strictObject({
  weights: fusionWeightsSchema.optional(),
  boosts: boostRulesSchema.optional(),
})

export type PartialFusionWeights = z.output<typeof fusionWeightsSchema>
export type FusionInput = z.input<typeof fusionSchema>
export type FusionConfig = z.output<typeof fusionSchema>

/** What a call ranks with after merging call, template and defaults. */
export interface ResolvedFusion {
  /** Normalised to sum 1, before dropping inactive components. */
  weights: FusionWeights
  boosts: BoostRule[]
}

export type ResolveFusionResult = { ok: true; fusion: ResolvedFusion } | { ok: false; errors: FieldError[] }

/**
 * Merges the call's validated `fusion` over a template's defaults and DEFAULT_WEIGHTS (module doc),
 * and rejects weights that could not rank anything: all zero, or all on components this call does
 * not have (`timeDecay: false` means the call has no `time_decay`).
 */
export function resolveFusion(
  call: FusionConfig | undefined,
  template: { fusion?: PartialFusionWeights | undefined; boosts?: readonly BoostRule[] | undefined } | undefined,
  options: { timeDecay: boolean },
): ResolveFusionResult {
  const merged: FusionWeights = { ...DEFAULT_WEIGHTS }
  for (const source of [template?.fusion, call?.weights]) {
    if (source === undefined) continue
    for (const k of ['semantic', 'business', 'time'] as const) {
      const v = source[k]
      if (v !== undefined) merged[k] = v
    }
  }
  const boosts = [...(call?.boosts ?? template?.boosts ?? [])]
  const problem = weightsProblem(merged)
  if (problem !== undefined) return { ok: false, errors: [{ field: 'fusion.weights', message: problem }] }
  const bounds = businessBounds(boosts)
  const usable =
    merged.semantic > 0 || (merged.business > 0 && bounds.max > bounds.min) || (merged.time > 0 && options.timeDecay)
  if (!usable) {
    return {
      ok: false,
      errors: [
        {
          field: 'fusion.weights',
          message:
            'expected weight on a component this call has: semantic > 0, or business > 0 with fusion.boosts, or time > 0 with time_decay',
        },
      ],
    }
  }
  return { ok: true, fusion: { weights: normaliseWeights(merged), boosts } }
}

/** `undefined` when the weights are usable, else what is expected. */
function weightsProblem(w: FusionWeights): string | undefined {
  for (const k of ['semantic', 'business', 'time'] as const) {
    if (!Number.isFinite(w[k]) || w[k] < 0 || w[k] > MAX_WEIGHT) {
      return `expected ${k} to be a finite number between 0 and ${MAX_WEIGHT}, got ${String(w[k])}`
    }
  }
  if (!(w.semantic + w.business + w.time > 0)) return 'expected at least one weight > 0 (they are normalised to sum 1)'
  return undefined
}

/** Scales weights to sum 1. Throws RangeError on weights `weightsProblem` rejects (a caller bug). */
export function normaliseWeights(w: FusionWeights): FusionWeights {
  const problem = weightsProblem(w)
  if (problem !== undefined) throw new RangeError(`fusion weights: ${problem}`)
  const sum = w.semantic + w.business + w.time
  // Weights that already sum to 1 up to rounding (0.6 + 0.3 + 0.1 = 0.9999999999999999) are kept as
  // given, so explain shows 0.6, not 0.6000000000000001.
  if (Math.abs(sum - 1) <= SUM_TOLERANCE) return { semantic: w.semantic, business: w.business, time: w.time }
  return { semantic: w.semantic / sum, business: w.business / sum, time: w.time / sum }
}

const SUM_TOLERANCE = 1e-9

export interface FusionComponents {
  /** Model relevance in [0, 1] (values outside are clamped; non-finite throws). */
  model: number
  /** Business score in [0, 1]; `undefined` when the call has no (active) boost rules. */
  business?: number | undefined
  /** Time score in [0, 1]; `undefined` when the call has no `time_decay`. */
  time?: number | undefined
}

export interface FusedScore {
  /** In [0, 1]. */
  final: number
  /** The weights actually applied: inactive components get 0, the rest sum to 1. */
  weights: FusionWeights
}

/**
 * final = Σ wᵢ·cᵢ / Σ wᵢ over the components present (module doc). If every present component has
 * weight 0 (resolveFusion rejects that up front), the model score alone decides, so the result is
 * still a meaningful ranking. Throws RangeError on a non-finite component or invalid weights.
 */
export function fuseScores(components: FusionComponents, weights: FusionWeights): FusedScore {
  normaliseWeights(weights) // validates
  const model = unit(components.model, 'model')
  const business = components.business === undefined ? undefined : unit(components.business, 'business')
  const time = components.time === undefined ? undefined : unit(components.time, 'time')
  const ws = weights.semantic
  const wb = business === undefined ? 0 : weights.business
  const wt = time === undefined ? 0 : weights.time
  const sum = ws + wb + wt
  if (!(sum > 0)) return { final: model, weights: { semantic: 1, business: 0, time: 0 } }
  const eff =
    Math.abs(sum - 1) <= SUM_TOLERANCE
      ? { semantic: ws, business: wb, time: wt }
      : { semantic: ws / sum, business: wb / sum, time: wt / sum }
  const raw = eff.semantic * model + eff.business * (business ?? 0) + eff.time * (time ?? 0)
  // A convex combination of values in [0, 1] can still land one ulp outside it: clamp.
  return { final: raw > 1 ? 1 : raw >= 0 ? raw : 0, weights: eff }
}

function unit(x: number, name: string): number {
  if (!Number.isFinite(x)) throw new RangeError(`fusion: ${name} score must be finite, got ${String(x)}`)
  return x > 1 ? 1 : x < 0 ? 0 : x
}

/** An item to order: its position in the request, its scores, and its document id if any. */
export interface FusedItem {
  index: number
  final: number
  model: number
  id?: string | undefined
}

/**
 * Sorts (a copy) by final score descending; ties by model score descending, then by document `id`
 * ascending (code-unit order; documents with an id before those without), then by request index
 * ascending. The id step makes the order of documents that carry distinct ids independent of the
 * order they were sent in, even on exact score ties; the index step keeps the order total.
 */
export function rankFused<T extends FusedItem>(items: readonly T[]): T[] {
  return [...items].sort(compareFused)
}

export function compareFused(a: FusedItem, b: FusedItem): number {
  if (a.final !== b.final) return b.final - a.final
  if (a.model !== b.model) return b.model - a.model
  if (a.id !== b.id) {
    if (a.id === undefined) return 1
    if (b.id === undefined) return -1
    return a.id < b.id ? -1 : 1
  }
  return a.index - b.index
}
