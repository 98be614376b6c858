/**
 * @module ui/rank-correlation
 * Rank agreement between two rankings of the same documents, for the playground's compare mode.
 * Pure: plain arrays in, numbers out.
 *
 *  - `kendallTauB(x, y)`: Kendall's τ-b over paired scores, (C − D) / √((n0 − n1)(n0 − n2)), which
 *    corrects for ties in either list (Kendall 1945, "The treatment of ties in ranking problems";
 *    the same definition as scipy.stats.kendalltau's default variant 'b'). O(n²): the playground
 *    ranks at most MAX_DOCUMENTS (1000) candidates, i.e. ≤ 500k pairs.
 *  - `spearmanRho(x, y)`: Spearman's ρ as the Pearson correlation of average ranks (ties get the
 *    mean of the ranks they span), as scipy.stats.spearmanr does; equals 1 − 6Σd²/(n(n²−1)) when
 *    there are no ties.
 *  - Both return NaN when undefined (fewer than 2 items, or one list entirely tied).
 *  - `rankChanges(orderA, orderB)` / `formatRankChange(delta)`: per-document movement from ranking A
 *    to ranking B, shown as ↑2, ↓1 or =.
 *
 * The playground's browser code (src/ui/client/playground-render.ts) imports these functions and
 * scripts/build-ui.mjs bundles them into the page, so the numbers the page shows are the ones the
 * unit tests check.
 */

export interface RankChange {
  /** Index of the document in the request's `documents`. */
  index: number
  /** 1-based position in ranking A (0 when absent from A). */
  rankA: number
  /** 1-based position in ranking B (0 when absent from B). */
  rankB: number
  /** rankA − rankB: positive when the document moved up in B. */
  delta: number
}

function checkPair(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) throw new RangeError('rank correlation: the two lists must have the same length')
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new RangeError('rank correlation: values must be finite numbers')
  }
}

/** 1-based ranks, highest value first; tied values share the mean of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map(function (_v, i) { return i })
  order.sort(function (a, b) { return (values[b] as number) - (values[a] as number) || a - b })
  const ranks = new Array<number>(values.length).fill(0)
  let start = 0
  while (start < order.length) {
    let end = start
    while (end + 1 < order.length && values[order[end + 1] as number] === values[order[start] as number]) end++
    const mean = (start + end) / 2 + 1
    for (let k = start; k <= end; k++) ranks[order[k] as number] = mean
    start = end + 1
  }
  return ranks
}

export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  checkPair(x, y)
  const n = x.length
  if (n < 2) return NaN
  let concordant = 0
  let discordant = 0
  let tiesX = 0 // pairs tied in x (whether or not tied in y): n1
  let tiesY = 0 // pairs tied in y: n2
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign((x[i] as number) - (x[j] as number))
      const dy = Math.sign((y[i] as number) - (y[j] as number))
      if (dx === 0) tiesX++
      if (dy === 0) tiesY++
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++
        else discordant++
      }
    }
  }
  const n0 = (n * (n - 1)) / 2
  const denominator = Math.sqrt((n0 - tiesX) * (n0 - tiesY))
  if (denominator === 0) return NaN
  return (concordant - discordant) / denominator
}

export function spearmanRho(x: readonly number[], y: readonly number[]): number {
  checkPair(x, y)
  const n = x.length
  if (n < 2) return NaN
  const rx = averageRanks(x)
  const ry = averageRanks(y)
  const mean = (n + 1) / 2 // the mean of 1..n, unchanged by averaging ties
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const a = (rx[i] as number) - mean
    const b = (ry[i] as number) - mean
    sxy += a * b
    sxx += a * a
    syy += b * b
  }
  if (sxx === 0 || syy === 0) return NaN
  return sxy / Math.sqrt(sxx * syy)
}

/** orderA / orderB: document indexes, best first (a response's `results[].index`). */
export function rankChanges(orderA: readonly number[], orderB: readonly number[]): RankChange[] {
  const posA = new Map<number, number>()
  orderA.forEach(function (index, i) { posA.set(index, i + 1) })
  const posB = new Map<number, number>()
  orderB.forEach(function (index, i) { posB.set(index, i + 1) })
  const out: RankChange[] = []
  orderB.forEach(function (index, i) {
    const rankA = posA.get(index) ?? 0
    out.push({ index: index, rankA: rankA, rankB: i + 1, delta: rankA === 0 ? 0 : rankA - (i + 1) })
  })
  orderA.forEach(function (index) {
    if (!posB.has(index)) out.push({ index: index, rankA: posA.get(index) ?? 0, rankB: 0, delta: 0 })
  })
  return out
}

export function formatRankChange(delta: number): string {
  if (delta > 0) return '↑' + delta
  if (delta < 0) return '↓' + -delta
  return '='
}
