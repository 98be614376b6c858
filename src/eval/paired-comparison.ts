/**
 * @module paired-comparison
 * Offline comparison of two systems on the same queries, per measure, as IR evaluation does it
 * (Smucker, Allan and Carterette, "A Comparison of Statistical Significance Tests for Information
 * Retrieval Evaluation", CIKM 2007): per-query differences d_i = b_i − a_i, their mean, wins /
 * ties / losses, and two paired tests of "no difference":
 * - paired t-test: t = mean(d) / (sd(d)/√n), n − 1 dof (sd with n − 1), two-sided p;
 * - randomisation test (Fisher's sign-flip permutation test): under the null each query's pair is
 *   exchangeable, so each d_i keeps or flips its sign with probability ½; p = the share of the 2ⁿ
 *   sign assignments whose |Σd| is at least the observed |Σd|. Exact enumeration up to
 *   `EXACT_LIMIT` non-zero differences (zeros do not change the sum), otherwise Monte Carlo with a
 *   seeded PRNG, p = (1 + hits) / (1 + samples) (Phipson & Smyth 2010, never 0).
 * Only queries both systems were measured on are paired. Pure: the PRNG seed is an argument.
 */
import { studentTTwoSidedP } from '../experiments/stats/distributions'
import { mulberry32 } from '../lib/mulberry32'

/** Differences within this are ties (trec_eval prints 4 decimals; floating noise is not a win). */
const TIE_TOLERANCE = 1e-12
export const EXACT_LIMIT = 20
const DEFAULT_SAMPLES = 20_000

export interface PairedTTest {
  t: number | null
  dof: number
  /** null: undefined, every difference equal and non-zero (no spread; the randomisation test still answers). */
  p: number | null
}

export interface RandomisationTest {
  p: number
  method: 'exact' | 'monte_carlo'
  /** Sign assignments evaluated (2^nonzero when exact). */
  samples: number
}

export interface PairedComparison {
  queries: number
  /** mean(b) − mean(a) over the paired queries. */
  meanDifference: number
  wins: number
  ties: number
  losses: number
  pairedT: PairedTTest
  randomisation: RandomisationTest
}


/** Paired t-test of mean(d) = 0. With no spread: p = 1 when every d is 0, else undefined (null). */
export function pairedTTest(d: readonly number[]): PairedTTest {
  const n = d.length
  if (n < 2) return { t: null, dof: Math.max(0, n - 1), p: 1 }
  let sum = 0
  for (const x of d) sum += x
  const mean = sum / n
  let ss = 0
  for (const x of d) ss += (x - mean) * (x - mean)
  const sd = Math.sqrt(ss / (n - 1))
  if (!(sd > TIE_TOLERANCE)) return { t: null, dof: n - 1, p: Math.abs(mean) > TIE_TOLERANCE ? null : 1 }
  const t = mean / (sd / Math.sqrt(n))
  return { t, dof: n - 1, p: studentTTwoSidedP(t, n - 1) }
}

/** Sign-flip randomisation test of Σd = 0. */
export function randomisationTest(d: readonly number[], seed: number, samples = DEFAULT_SAMPLES): RandomisationTest {
  const nz = d.filter((x) => Math.abs(x) > TIE_TOLERANCE)
  const observed = Math.abs(nz.reduce((s, x) => s + x, 0))
  // "At least as extreme", forgiving the rounding of a different summation order.
  const bar = observed - 1e-9 * Math.max(1, observed)
  if (nz.length === 0) return { p: 1, method: 'exact', samples: 1 }
  if (nz.length <= EXACT_LIMIT) {
    const total = 2 ** nz.length
    let hits = 0
    for (let mask = 0; mask < total; mask++) {
      let s = 0
      for (let i = 0; i < nz.length; i++) s += mask & (1 << i) ? -(nz[i] as number) : (nz[i] as number)
      if (Math.abs(s) >= bar) hits++
    }
    return { p: hits / total, method: 'exact', samples: total }
  }
  const rng = mulberry32(seed)
  let hits = 0
  for (let k = 0; k < samples; k++) {
    let s = 0
    for (const x of nz) s += rng() < 0.5 ? -x : x
    if (Math.abs(s) >= bar) hits++
  }
  return { p: (1 + hits) / (1 + samples), method: 'monte_carlo', samples }
}

/**
 * Compares system `b` with baseline `a` on the queries both have (per-query values by id).
 * `seed` drives the Monte Carlo randomisation test only.
 */
export function comparePaired(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, seed: number): PairedComparison {
  const d: number[] = []
  let sumA = 0
  let sumB = 0
  let wins = 0
  let ties = 0
  let losses = 0
  for (const [qid, va] of a) {
    const vb = b.get(qid)
    if (vb === undefined) continue
    sumA += va
    sumB += vb
    const diff = vb - va
    d.push(diff)
    if (diff > TIE_TOLERANCE) wins++
    else if (diff < -TIE_TOLERANCE) losses++
    else ties++
  }
  const n = d.length
  return {
    queries: n,
    meanDifference: n === 0 ? 0 : sumB / n - sumA / n,
    wins,
    ties,
    losses,
    pairedT: pairedTTest(d),
    randomisation: randomisationTest(d, seed),
  }
}
