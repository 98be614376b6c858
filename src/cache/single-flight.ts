/**
 * @module single-flight
 * In-isolate request coalescing per pair: while one call is scoring a pair, any other call that
 * needs the same pair waits for that answer instead of sending the pair to the GPU again (the
 * "collapsed" forward of RFC 9211 §2.6). Pure bookkeeping, no I/O.
 *
 * A pair is (scope digest, document text), the same two-level key as the memory tier
 * (`memory-lru`): the document string is the Map key itself, so V8 hashes it once (the hash is
 * cached in the string, and the call already hashed it while deduplicating) and no per-pair key
 * string is built. A flat key of scope + "\n" + document cost a copy of every document and a
 * fresh hash per Map operation (claim, join, release: 3–4 per document on a miss), which was most
 * of the miss path's CPU at 1,000 documents in a V8 profile (bench/lib/workerd-profile.ts).
 *
 * The owner settles its flight exactly once: `resolve` with one value per claimed document, in
 * the order claimed, or `reject` with the error every waiter then sees (the same BackendError
 * object, so each waiter answers with the same 502/503/504). An entry is removed when its flight
 * settles, and only by the flight that registered it, so a later `no-cache` flight for the same
 * pair is never cut short.
 *
 * A flight also expires (`expiresAt`: its owner's deadline): an owner whose call the runtime ended
 * before it settled (a client that went away can take its request's work with it) would otherwise
 * leave its pairs claimed for the isolate's life, and every later call needing them would wait out
 * its own deadline and answer 504. Past the expiry a call does not join it; it claims the pair.
 */
import type { CachedPair } from './memory-lru'

/** One owner's backend call: a single promise for all of its pairs, however many. */
interface FlightState {
  docs: readonly string[]
  values: Promise<readonly CachedPair[]>
  /** ms (the owner's clock): past it nobody joins; the owner should have settled by then. */
  expiresAt: number
  /** document → position in `docs`, built on the first join only (most flights are never joined). */
  index?: Map<string, number>
}

export interface Flight {
  /** The documents this flight registered (it scores exactly these), under its scope. */
  readonly docs: readonly string[]
  /** One value per registered document, in registration order. */
  resolve(values: readonly CachedPair[]): void
  reject(error: unknown): void
}

export class SingleFlight {
  #scopes = new Map<string, Map<string, FlightState>>()
  #size = 0

  /**
   * The in-flight score (and token cost) for (`scope`, `doc`), if some call is computing it now
   * and its flight has not expired at `now`. A promise is made per join, not per claimed pair.
   */
  join(scope: string, doc: string, now: number): Promise<CachedPair> | undefined {
    const flight = this.#scopes.get(scope)?.get(doc)
    if (flight === undefined || now >= flight.expiresAt) return undefined
    if (flight.index === undefined) flight.index = new Map(flight.docs.map((d, i) => [d, i]))
    const at = flight.index.get(doc) as number
    return flight.values.then((values) => {
      const v = values[at]
      if (v === undefined) throw new Error('single-flight: no score for a claimed pair')
      return v
    })
  }

  /** Pairs currently claimed. */
  get size(): number {
    return this.#size
  }

  /**
   * Registers (`scope`, each of `docs`) as being computed by the caller (replacing any earlier
   * registration, which still settles its own waiters). Call synchronously after checking `join`,
   * with no `await` in between, so that two calls cannot both claim a pair. `docs` must be
   * distinct. `expiresAt` (ms): when to stop trusting the owner to settle (its deadline).
   */
  begin(scope: string, docs: readonly string[], expiresAt: number = Number.POSITIVE_INFINITY): Flight {
    let resolve!: (values: readonly CachedPair[]) => void
    let reject!: (error: unknown) => void
    const values = new Promise<readonly CachedPair[]>((res, rej) => {
      resolve = res
      reject = rej
    })
    // A flight nobody joined must not surface as an unhandled rejection.
    values.catch(() => undefined)
    const state: FlightState = { docs, values, expiresAt }
    let pairs = this.#scopes.get(scope)
    if (pairs === undefined) {
      pairs = new Map()
      this.#scopes.set(scope, pairs)
    }
    for (const doc of docs) {
      if (pairs.get(doc) === undefined) this.#size++
      pairs.set(doc, state)
    }
    let settled = false
    const release = () => {
      const held = this.#scopes.get(scope)
      if (held === undefined) return
      for (const doc of docs) {
        if (held.get(doc) === state) {
          held.delete(doc)
          this.#size--
        }
      }
      if (held.size === 0) this.#scopes.delete(scope)
    }
    return {
      docs,
      resolve: (result) => {
        if (settled) return
        settled = true
        release()
        resolve(result)
      },
      reject: (error) => {
        if (settled) return
        settled = true
        release()
        reject(error)
      },
    }
  }
}
