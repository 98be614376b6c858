/**
 * @module claim-pairs
 * The lookup half of a cached call (`score-with-cache.ts`): each distinct document is looked up in
 * the isolate's memory, joined when another call is scoring it right now, looked up in the edge
 * store, and what is left is claimed for this call to forward (`single-flight`), so that a call
 * arriving meanwhile joins it instead of sending it again.
 *
 * The claim is made in the same synchronous run as the last lookups (no `await` between them):
 * another call's continuation cannot slip in between, see the pair unclaimed and forward it too.
 */
import { readEdge } from './edge-read'
import type { ByteBoundedLru, CachedPair } from './memory-lru'
import type { PairTally } from './pair-tally'
import { lookupBucket, type ScoreBucket } from './score-bucket'
import { pairDigests } from './score-key'
import type { ScoreStore } from './score-store'
import type { StoredScore } from './score-value'
import type { Flight, SingleFlight } from './single-flight'

/** How long past its owner's deadline a flight may still be joined (its own timeout settles it first). */
const FLIGHT_GRACE_MS = 1000

export interface ClaimInput {
  scopeHex: string
  edgeKey: string
  /** The call's distinct documents (lib/distinct-strings.ts). */
  distinct: readonly string[]
  /** false: `no-cache`, every pair is recomputed and nothing is looked up. */
  lookup: boolean
  memory: ByteBoundedLru
  flights: SingleFlight
  store: ScoreStore | null
  /** The request's clock (ms) for expiry; `clock` reads the time again after an await. */
  now: number
  clock: () => number
  /** Absolute deadline of the call (ms): bounds the edge read, and the claim's life. */
  deadline: number
  /** Expiry (ms) of a pair the edge store serves, as it enters the memory tier. */
  expiresAt: number
}

export interface Claimed {
  /** Distinct documents (`k`) this call forwards, and their texts. */
  toForward: number[]
  forwardDocs: string[]
  /** Distinct documents another call is scoring, with the promise of its pair. */
  joined: Array<readonly [k: number, p: Promise<CachedPair>]>
  /** The scope's pairs as this call read them: what its write merges into (undefined: not read). */
  base: ScoreBucket | undefined
  /** Edge-store pair digests by `k`, for the documents that reached the edge tier. */
  digests: Array<Uint8Array | undefined>
  /** This call's claim on `toForward` (none when nothing is forwarded): it must resolve or reject it. */
  flight: Flight | undefined
}

export async function claimPairs(input: ClaimInput, tally: PairTally): Promise<Claimed> {
  const { scopeHex, distinct, memory, flights, store, now, clock } = input
  const m = distinct.length
  const joined: Claimed['joined'] = []
  const digests = new Array<Uint8Array | undefined>(m)
  let base: ScoreBucket | undefined
  let toForward: number[]

  if (!input.lookup) {
    toForward = Array.from({ length: m }, (_, k) => k)
  } else {
    const needEdge: number[] = []
    for (let k = 0; k < m; k++) {
      const doc = distinct[k] as string
      const cached = memory.lookup(scopeHex, doc, now)
      if (cached !== undefined) {
        tally.hit(k, cached, 'memory')
        continue
      }
      const flight = flights.join(scopeHex, doc, now)
      if (flight) joined.push([k, flight])
      else needEdge.push(k)
    }
    let found: Array<StoredScore | undefined> = []
    // Only an edge read awaits: without one, no other call can have claimed a pair since `join`.
    const awaited = store !== null && needEdge.length > 0
    if (store && needEdge.length > 0) {
      const ids = await pairDigests(scopeHex, needEdge.map((k) => distinct[k] as string))
      needEdge.forEach((k, j) => {
        digests[k] = ids[j]
      })
      base = await readEdge(store, input.edgeKey, Math.floor(now / 1000), input.deadline, tally.counts, clock)
      if (base !== undefined) found = lookupBucket(base, ids)
    }
    toForward = []
    // No `await` from here to `flights.begin`: the claim below must see every other claim.
    for (const [j, k] of needEdge.entries()) {
      const stored = found[j]
      const doc = distinct[k] as string
      if (stored !== undefined) {
        tally.hit(k, { score: stored.score, tokens: stored.tokens, cut: stored.cut }, 'edge')
        memory.set(scopeHex, doc, stored.score, input.expiresAt, stored.tokens, stored.cut === true)
        continue
      }
      const flight = awaited ? flights.join(scopeHex, doc, clock()) : undefined
      if (flight) joined.push([k, flight])
      else toForward.push(k)
    }
  }

  // The flight expires at this call's deadline (plus a second for its own timeout to settle it):
  // past that, an owner that has not settled was ended by the runtime, and others claim the pairs.
  const forwardDocs = toForward.map((k) => distinct[k] as string)
  const flight = forwardDocs.length > 0 ? flights.begin(scopeHex, forwardDocs, input.deadline + FLIGHT_GRACE_MS) : undefined
  return { toForward, forwardDocs, joined, base, digests, flight }
}
