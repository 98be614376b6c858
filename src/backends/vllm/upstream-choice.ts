/**
 * @module upstream-choice
 * Which upstream gets the next call: the "power of two choices" (Mitzenmacher, "The Power of Two
 * Choices in Randomized Load Balancing", IEEE TPDS 12(10), 2001) over a load cost of
 * `(outstanding + 1) × latency`, the cost Finagle's and linkerd's "peak EWMA" balancers use.
 * Two random candidates, keep the cheaper: nearly the balance of "least loaded" without every
 * caller herding onto the same single best upstream.
 *
 * Latency is an exponentially weighted moving average of call durations. An estimate nobody has
 * refreshed lately fades (`forgetMs`) towards half the pool's best, where an upstream with no
 * sample starts, so an upstream that was slow, or failed, comes to undercut the best one and is
 * tried again instead of starving forever on one old sample, even at one call in flight (tower's
 * PeakEwma decays an idle estimate towards 0 for the same reason: tower/src/load/peak_ewma.rs
 * `RttEstimate::decay`). Fading towards the best itself left it tied at best, and one call in
 * flight on the best broke every tie its way: after one hang, a 3× faster replica got 1 call of
 * 20,001 over 73 simulated minutes.
 *
 * Pure: `now` and the random source are arguments.
 */

export interface LatencyEstimate {
  /** EWMA of call durations, ms; null until the first sample. */
  ewmaMs: number | null
  /** When the last sample was taken (ms). */
  at: number
}

/** Weight of the newest sample: the estimate follows the last few calls (~1/α). */
export const EWMA_ALPHA = 0.3

/** Folds one duration into the estimate (the first sample sets it). */
export function observeLatency(est: LatencyEstimate, sampleMs: number, now: number, alpha = EWMA_ALPHA): LatencyEstimate {
  const s = Math.max(0, sampleMs)
  return { ewmaMs: est.ewmaMs === null ? s : est.ewmaMs + alpha * (s - est.ewmaMs), at: now }
}

/**
 * A failed call is charged double the current estimate (capped), and never less than its own
 * duration: a fast "connection refused" must not make a dead upstream look like the quickest.
 */
export function observeFailure(est: LatencyEstimate, elapsedMs: number, now: number, priorMs: number): LatencyEstimate {
  const base = est.ewmaMs ?? priorMs
  return { ewmaMs: Math.max(elapsedMs, Math.min(2 * Math.max(base, 1), MAX_PENALTY_MS)), at: now }
}

/** Repeated doubling stops here (a minute: longer than any sensible deadline). */
export const MAX_PENALTY_MS = 60_000

/**
 * The latency used for choosing at `now`: the EWMA, relaxed with time constant `forgetMs` towards
 * half of `priorMs` (the best estimate in the pool) once it is worse than that. No sample yet:
 * half the prior, so an unknown upstream wins a tie against the best known one and gets its
 * first sample soon, yet with one call in flight it only ties it (no flood of a new upstream).
 */
export function effectiveLatency(est: LatencyEstimate, now: number, priorMs: number, forgetMs: number): number {
  const floor = priorMs / 2
  if (est.ewmaMs === null) return floor
  if (est.ewmaMs <= floor || forgetMs <= 0) return est.ewmaMs
  const age = Math.max(0, now - est.at)
  return floor + (est.ewmaMs - floor) * Math.exp(-age / forgetMs)
}

/** Load cost: expected wait if the upstream serves its outstanding calls one after another. */
export function loadCost(outstanding: number, latencyMs: number): number {
  // The floor keeps outstanding counts meaningful when latencies round to 0 ms (local tests).
  return (outstanding + 1) * Math.max(latencyMs, 0.1)
}

/**
 * Power of two choices: draws two distinct candidates with `random` (values in [0, 1)) and
 * returns the cheaper (the first drawn on a tie). With one candidate, that one; with none,
 * undefined.
 */
export function pickTwoChoices<T>(candidates: readonly T[], cost: (c: T) => number, random: () => number): T | undefined {
  const n = candidates.length
  if (n === 0) return undefined
  if (n === 1) return candidates[0]
  const i = Math.min(n - 1, Math.floor(random() * n))
  let j = Math.min(n - 2, Math.floor(random() * (n - 1)))
  if (j >= i) j++
  const a = candidates[i] as T
  const b = candidates[j] as T
  return cost(b) < cost(a) ? b : a
}
