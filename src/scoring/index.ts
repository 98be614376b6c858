/**
 * @module scoring
 * Pure scoring: time decay, business boosts, fusion and the final ranking (see each file's doc).
 */
export {
  DEFAULT_SOURCE_ORDER_ADD,
  SOURCE_FIELD,
  boostConditionSchema,
  boostRuleSchema,
  boostRulesSchema,
  businessBounds,
  businessScore,
  conditionHolds,
  ruleName,
  type BoostCondition,
  type BoostRule,
  type BusinessScore,
} from './business-score'
export { zodFieldErrors, type FieldError } from './field-error'
export {
  DEFAULT_WEIGHTS,
  compareFused,
  fuseScores,
  fusionSchema,
  fusionWeightsSchema,
  normaliseWeights,
  rankFused,
  resolveFusion,
  weightsProblem,
  type FusedItem,
  type FusedScore,
  type FusionComponents,
  type FusionConfig,
  type FusionInput,
  type FusionWeights,
  type PartialFusionWeights,
  type ResolveFusionResult,
  type ResolvedFusion,
} from './fusion'
export { rankDocuments, type Explanation, type RankInput, type RankedResult } from './rank'
export {
  MS_PER_DAY,
  decayAt,
  timeDecaySchema,
  timeScore,
  timeScoreDetail,
  timeStepSchema,
  type TimeDecay,
  type TimeDecayInput,
  type TimeScoreDetail,
} from './time-decay'
