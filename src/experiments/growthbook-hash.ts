/**
 * @module growthbook-hash
 * Deterministic bucketing compatible with GrowthBook's JS SDK (github.com/growthbook/growthbook,
 * `packages/sdk-js/src/util.ts`: `hash`, `getEqualWeights`, `getBucketRanges`, `chooseVariation`,
 * `inNamespace`; MIT). Written from those definitions (FNV-1a 32-bit over UTF-16 code units; hash
 * version 2 = fnv(String(fnv(seed + unit))) % 10000 / 10000) and checked against GrowthBook's
 * published vectors (`packages/sdk-js/test/cases.json`, copied as `growthbook-cases.json`), so a unit gets the
 * same arm here as in any GrowthBook SDK given the same key/seed, weights and coverage.
 * Pure: no I/O, no clock, no randomness.
 */

/** A half-open interval [start, end) of the unit interval. */
export type VariationRange = readonly [start: number, end: number]

/** GrowthBook hash versions: 1 is the legacy (biased) one, 2 the current one. */
export type HashVersion = 1 | 2

/** FNV-1a offset basis and prime for 32 bits (http://www.isthe.com/chongo/tech/comp/fnv/). */
const FNV_OFFSET_BASIS_32 = 0x811c9dc5
const FNV_PRIME_32 = 0x01000193

/**
 * FNV-1a 32-bit over UTF-16 code units (`charCodeAt`), not UTF-8 bytes, as GrowthBook does:
 * a non-ASCII unit id hashes like it does in the browser SDK.
 */
export function fnv1a32(input: string): number {
  let h = FNV_OFFSET_BASIS_32
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i)
    // Math.imul keeps the 32-bit wrap-around multiply exact (GrowthBook's shift-and-add form
    // computes the same product modulo 2^32).
    h = Math.imul(h, FNV_PRIME_32)
  }
  return h >>> 0
}

/**
 * The unit's position in [0, 1), or null for an unknown hash version.
 * Version 2: fnv(String(fnv(seed + value))) % 10000 / 10000 (4 decimals, unbiased).
 * Version 1 (legacy): fnv(value + seed) % 1000 / 1000.
 *
 * @example hash('seed', 'a', 2) // 0.0505
 */
export function hash(seed: string, value: string, version: number): number | null {
  if (version === 2) return (fnv1a32(String(fnv1a32(seed + value))) % 10000) / 10000
  if (version === 1) return (fnv1a32(value + seed) % 1000) / 1000
  return null
}

/** n equal weights summing to 1 (empty for n ≤ 0). */
export function getEqualWeights(n: number): number[] {
  if (!(n > 0)) return []
  return new Array<number>(n).fill(1 / n)
}

/** GrowthBook accepts weights whose sum is within [0.99, 1.01]; otherwise it uses equal weights. */
export const WEIGHT_SUM_MIN = 0.99
export const WEIGHT_SUM_MAX = 1.01

/** Whether GrowthBook would use these weights as given for `numVariations` arms. */
function weightsAreUsable(numVariations: number, weights: readonly number[]): boolean {
  if (weights.length !== numVariations) return false
  let total = 0
  for (const w of weights) total += w
  return total >= WEIGHT_SUM_MIN && total <= WEIGHT_SUM_MAX
}

/**
 * Bucket ranges: range i = [cum_i, cum_i + coverage·w_i) with cum_i the sum of the weights before i.
 * Coverage is clamped to [0, 1] (undefined → 1); weights fall back to equal weights when missing,
 * of the wrong count, or summing outside [0.99, 1.01]. Reducing coverage keeps each range's start,
 * so a unit in the experiment at low coverage keeps its arm when coverage grows.
 *
 * @example getBucketRanges(2, 0.5) // [[0, 0.25], [0.5, 0.75]]
 */
export function getBucketRanges(
  numVariations: number,
  coverage: number | undefined,
  weights?: readonly number[] | null
): VariationRange[] {
  let c = coverage === undefined ? 1 : coverage
  if (c < 0) c = 0
  else if (c > 1) c = 1
  // NaN coverage compares false both ways above; GrowthBook would propagate it. Treat it as 0
  // so that a corrupt value excludes everyone rather than producing NaN ranges.
  if (Number.isNaN(c)) c = 0

  const equal = getEqualWeights(numVariations)
  const w = weights && weightsAreUsable(numVariations, weights) ? weights : equal

  let cumulative = 0
  return w.map((weight) => {
    const start = cumulative
    cumulative += weight
    return [start, start + c * weight] as const
  })
}

/** n ∈ [start, end). */
function inRange(n: number, range: VariationRange): boolean {
  return n >= range[0] && n < range[1]
}

/** Index of the first range holding n, or -1 when none does (the unit is not in the experiment). */
export function chooseVariation(n: number, ranges: readonly VariationRange[]): number {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]
    if (r && inRange(n, r)) return i
  }
  return -1
}

/**
 * GrowthBook namespaces (mutually exclusive experiments): the unit is in namespace
 * [id, start, end) when hash('__' + id, unitId, 1) falls in [start, end).
 */
export function inNamespace(
  unitId: string,
  namespace: readonly [id: string, start: number, end: number]
): boolean {
  const n = hash(`__${namespace[0]}`, unitId, 1)
  if (n === null) return false
  return n >= namespace[1] && n < namespace[2]
}
