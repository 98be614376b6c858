/**
 * @module single-flight
 * In-isolate request coalescing per pair key: while one call is scoring a pair, any other call
 * that needs the same pair waits for that answer instead of sending the pair to the GPU again
 * (the "collapsed" forward of RFC 9211 §2.6). Pure bookkeeping, no I/O.
 *
 * The owner settles its flight exactly once: `resolve` with one score per key, or `reject` with
 * the error every waiter then sees (the same BackendError object, so each waiter answers with
 * the same 502/503/504). An entry is removed when its flight settles, and only by the flight
 * that registered it, so a later `no-cache` flight for the same key is never cut short.
 */

/** One owner's backend call: a single promise for all of its keys, however many. */
interface FlightState {
  scores: Promise<ReadonlyMap<string, number>>
}

export interface Flight {
  /** The keys this flight registered (it scores exactly these). */
  readonly keys: readonly string[]
  resolve(scores: ReadonlyMap<string, number>): void
  reject(error: unknown): void
}

export class SingleFlight {
  #pending = new Map<string, FlightState>()

  /**
   * The in-flight score for `key`, if some call is computing it now. A promise is made per join,
   * not per claimed key: most flights are never joined.
   */
  join(key: string): Promise<number> | undefined {
    const flight = this.#pending.get(key)
    if (flight === undefined) return undefined
    return flight.scores.then((scores) => {
      const s = scores.get(key)
      if (s === undefined) throw new Error('single-flight: no score for a claimed key')
      return s
    })
  }

  /** Keys currently claimed. */
  get size(): number {
    return this.#pending.size
  }

  /**
   * Registers `keys` as being computed by the caller (replacing any earlier registration, which
   * still settles its own waiters). Call synchronously after checking `join`, with no `await`
   * in between, so that two calls cannot both claim a key.
   */
  begin(keys: readonly string[]): Flight {
    let resolve!: (scores: ReadonlyMap<string, number>) => void
    let reject!: (error: unknown) => void
    const scores = new Promise<ReadonlyMap<string, number>>((res, rej) => {
      resolve = res
      reject = rej
    })
    // A flight nobody joined must not surface as an unhandled rejection.
    scores.catch(() => undefined)
    const state: FlightState = { scores }
    for (const key of keys) this.#pending.set(key, state)
    let settled = false
    const release = () => {
      for (const key of keys) if (this.#pending.get(key) === state) this.#pending.delete(key)
    }
    return {
      keys,
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
