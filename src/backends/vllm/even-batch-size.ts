/**
 * @module even-batch-size
 * How many pairs each upstream call of a scoring call carries. Pure.
 */

/**
 * The size that splits `n` pairs into as few batches as `max` allows, all of nearly one size
 * (1,000 pairs at most 256 a call: 4 × 250, not 3 × 256 + 232), so that replicas given one batch
 * each finish together instead of waiting on the largest.
 */
export function evenBatchSize(n: number, max: number): number {
  const batches = Math.max(1, Math.ceil(n / max))
  return Math.max(1, Math.ceil(n / batches))
}
