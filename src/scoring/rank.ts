/**
 * @module scoring/rank
 * The whole scoring step for one call, for the HTTP pipeline: given the request's documents, the
 * model's scores (one per document, same order) and the resolved fusion/time-decay config, returns
 * the results in final order with their `explain` data. Pure: `nowMs` is an argument.
 *
 * The output is never cacheable as a whole (the time component depends on `now`); only the model
 * scores it starts from are.
 */
import { toStructured, type DocumentInput } from '../documents/document'
import { businessScore } from './business-score'
import { fuseScores, rankFused, type FusionWeights, type ResolvedFusion } from './fusion'
import { timeScoreDetail, type TimeDecay, type TimeScoreDetail } from './time-decay'

export interface RankInput {
  documents: readonly DocumentInput[]
  /** Model relevance per document, in [0, 1], parallel to `documents`. */
  modelScores: readonly number[]
  /** The request's `now` (or the clock), in ms since the epoch. */
  nowMs: number
  timeDecay?: TimeDecay | undefined
  fusion: ResolvedFusion
}

/** `explain` data of one result. `null` components were not configured for the call. */
export interface Explanation {
  final: number
  components: { semantic: number; business: number | null; time: number | null }
  /** The weights applied (inactive components 0, the rest sum to 1). */
  weights: FusionWeights
  /** Names of the boost rules that fired, in rule order. */
  fired: string[]
  /** Points of each fired rule before normalisation, parallel to `fired`. */
  points: number[]
  /** Present when the call has `time_decay`. */
  time?: TimeScoreDetail & { published_at: string | null }
}

export interface RankedResult {
  /** Position in the request's `documents`. */
  index: number
  id?: string | undefined
  /** The final fused score, in [0, 1]. */
  relevance_score: number
  explanation: Explanation
}

/**
 * Scores and orders every document (fusion.ts `rankFused` order). Throws RangeError when
 * `modelScores` does not have one finite score per document (a pipeline bug, not a caller error).
 */
export function rankDocuments(input: RankInput): RankedResult[] {
  const { documents, modelScores, nowMs, timeDecay, fusion } = input
  if (modelScores.length !== documents.length) {
    throw new RangeError(`rankDocuments: ${modelScores.length} model scores for ${documents.length} documents`)
  }
  const scored = documents.map((raw, index) => {
    const doc = toStructured(raw)
    const model = modelScores[index] ?? Number.NaN
    const business = businessScore(doc, fusion.boosts)
    const time = timeDecay === undefined ? undefined : timeScoreDetail(doc.published_at, nowMs, timeDecay)
    const fused = fuseScores(
      { model, business: business.active ? business.score : undefined, time: time?.score },
      fusion.weights,
    )
    const explanation: Explanation = {
      final: fused.final,
      components: {
        semantic: model > 1 ? 1 : model < 0 ? 0 : model,
        business: business.active ? business.score : null,
        time: time === undefined ? null : time.score,
      },
      weights: fused.weights,
      fired: business.fired,
      points: business.points,
    }
    if (time !== undefined) explanation.time = { ...time, published_at: doc.published_at ?? null }
    return { index, id: doc.id, final: fused.final, model: explanation.components.semantic, explanation }
  })
  return rankFused(scored).map((s) => ({
    index: s.index,
    id: s.id,
    relevance_score: s.final,
    explanation: s.explanation,
  }))
}
