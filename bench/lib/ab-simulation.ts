/**
 * @module bench/ab-simulation
 * Simulated users of an instruction experiment, for the A/A calibration bench. Seeded, so every
 * figure can be reproduced from the printed seed.
 *
 * Users are heterogeneous, as search traffic is: 80 % light searchers (1 + Geometric, mean 2
 * searches) and 20 % heavy ones (5 + Geometric, mean 15), so a fifth of the users make two thirds
 * of the searches. Clicks are correlated within a user: each user has a rank-1 click propensity
 * (logit-normal, σ = 1.2 between users, heavier users click more), a propensity to click lower
 * down, a conversion propensity and a result-quality level for graded searches. An exposure is
 * one search: rank-1 click with the user's propensity, else maybe a click at rank 2–10 (rank ∝
 * 1/r), a conversion, and with probability 0.2 a grade whose nDCG@10 is the user's quality plus
 * noise. A treatment effect shifts the logits (a known effect, for power).
 */
import type { UnitRow } from '../../src/experiments/unit-aggregate'

/** xoshiro128** (Blackman & Vigna, prng.di.unimi.it), seeded through splitmix32. */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split()
  let b = split()
  let c = split()
  let d = split()
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0
    const t = (b << 9) >>> 0
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return r / 4294967296
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

/** Standard normal by Box–Muller (one of the pair is enough here). */
export function normal(rng: () => number): number {
  const u = 1 - rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

/** Failures before the first success, P(success) = p. */
function geometric(rng: () => number, p: number): number {
  return Math.floor(Math.log(1 - rng()) / Math.log(1 - p))
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** Logit shifts applied to treatment users (0 everywhere: an A/A experiment). */
export interface Effect {
  top1: number
  lower: number
  conversion: number
  quality: number
}

export const NO_EFFECT: Effect = { top1: 0, lower: 0, conversion: 0, quality: 0 }

/** A simulated user: who they are and what they did so far (a UnitRow plus exposure-level sums). */
export interface SimUser {
  row: UnitRow & { ndcgValues: number[] }
  searches: number
  pTop1: number
  pLower: number
  pConversion: number
  quality: number
  /** Exposure-level sums, for the old per-exposure analysis. */
  rrSq: number
}

export const GRADED_SHARE = 0.2

/**
 * Searches per user with a power-law tail, for the concentrated-sample rows of the bench: 70 %
 * light (1 + Geometric, mean 1.5), 25 % medium (log-normal, median 6), 5 % "power users" with
 * Pareto(`tail`) searches from 20, capped at `cap` (tail 1.3: a handful of users make most of the
 * searches, as bots, monitors and integrations do in real traffic).
 */
export function powerLawSearches(tail: number, cap: number): (rng: () => number) => number {
  return (rng) => {
    const u = rng()
    if (u < 0.7) return 1 + geometric(rng, 2 / 3)
    if (u < 0.95) return Math.max(1, Math.round(Math.exp(Math.log(6) + 0.8 * normal(rng))))
    return Math.min(cap, Math.floor(20 / Math.pow(1 - rng(), 1 / tail)))
  }
}

/** `searches`: draws a user's number of searches (default: the 80/20 light/heavy mix of the module doc). */
export function makeUser(rng: () => number, variantIndex: number, effect: Effect, searchesOf?: (rng: () => number) => number): SimUser {
  const heavy = searchesOf === undefined && rng() < 0.2
  const searches = searchesOf !== undefined ? searchesOf(rng) : heavy ? 5 + geometric(rng, 1 / 11) : 1 + geometric(rng, 1 / 2)
  // Heavier users click and convert more (correlation between a unit's rate and its denominator).
  const activity = searchesOf !== undefined ? 0.3 * Math.log(searches) : heavy ? 0.6 : 0
  const t = variantIndex === 1
  return {
    row: { variantIndex, exposures: 0, clicked: 0, top1Clicked: 0, rrSum: 0, converted: 0, conversionValue: 0, ndcgValues: [] },
    searches,
    pTop1: sigmoid(-0.9 + activity + 1.2 * normal(rng) + (t ? effect.top1 : 0)),
    pLower: sigmoid(-1.2 + 0.8 * normal(rng) + (t ? effect.lower : 0)),
    pConversion: sigmoid(-3.2 + activity + 1.0 * normal(rng) + (t ? effect.conversion : 0)),
    quality: 0.3 + 0.8 * normal(rng) + (t ? effect.quality : 0),
    rrSq: 0,
  }
}

/** Exposure-level outcome of one search, for the old analysis. */
export interface SearchOutcome {
  top1: 0 | 1
  rr: number
  converted: 0 | 1
  ndcg: number | null
}

/** One search by `u`: updates its row and returns what happened. */
export function search(rng: () => number, u: SimUser): SearchOutcome {
  const r = u.row
  r.exposures += 1
  let rr = 0
  let top1: 0 | 1 = 0
  if (rng() < u.pTop1) {
    top1 = 1
    rr = 1
  } else if (rng() < u.pLower) {
    // Rank 2–10 with probability ∝ 1/rank (position bias).
    let x = rng() * LOWER_RANK_WEIGHT
    let rank = 2
    while (rank < 10 && (x -= 1 / rank) > 0) rank++
    rr = 1 / rank
  }
  if (rr > 0) r.clicked += 1
  r.top1Clicked += top1
  r.rrSum += rr
  u.rrSq += rr * rr
  const converted: 0 | 1 = rng() < u.pConversion ? 1 : 0
  r.converted += converted
  r.conversionValue += converted
  let ndcg: number | null = null
  if (rng() < GRADED_SHARE) {
    ndcg = sigmoid(u.quality + 0.7 * normal(rng))
    r.ndcgValues.push(ndcg)
  }
  return { top1, rr, converted, ndcg }
}

let LOWER_RANK_WEIGHT = 0
for (let k = 2; k <= 10; k++) LOWER_RANK_WEIGHT += 1 / k

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(rng: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = xs[i] as T
    xs[i] = xs[j] as T
    xs[j] = t
  }
  return xs
}
