/**
 * @module even-batch-size
 * How many pairs each upstream call of a scoring call carries. Pure.
 */

/**
 * The size that splits `n` pairs into as few batches as `max` allows, all of nearly one size
 * (1,000 pairs at most 256 a call: 4 × 250, not 3 × 256 + 232), so that replicas given one batch
 * each finish together instead of waiting on the largest; and into at most `maxBatches` batches
 * whatever `max` says (the call's subrequest budget: backends/subrequest-budget.ts).
 */
export function evenBatchSize(n: number, max: number, maxBatches = Number.POSITIVE_INFINITY): number {
  const batches = Math.max(1, Math.min(Math.ceil(n / max), Math.floor(maxBatches)))
  return Math.max(1, Math.ceil(n / batches))
}
