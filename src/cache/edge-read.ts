/**
 * @module edge-read
 * The score cache's time limits: a read of the shared edge store (KV) that would hold the request
 * too long counts as a miss, and a joined single-flight is awaited only up to the caller's own
 * deadline (the other call's deadline may be later).
 */
import { BackendError } from '../backends/backend-error'
import type { CacheCounts } from './cache-status'
import type { ScoreStore } from './score-store'
import type { ScoreBucket } from './score-bucket'

/** A slow store must not hold a request: past this share of the time left, reads count as misses. */
const EDGE_READ_SHARE_OF_DEADLINE = 0.25
const EDGE_READ_MAX_MS = 2000

/**
 * The live pairs stored under the scope `key`, or undefined (a miss, and not safe to merge into)
 * past the read budget or on a failing store; counted in `counts`.
 */
export async function readEdge(
  store: ScoreStore,
  key: string,
  nowSec: number,
  deadline: number,
  counts: CacheCounts,
  clock: () => number
): Promise<ScoreBucket | undefined> {
  const budget = Math.min(EDGE_READ_MAX_MS, Math.max(0, (deadline - clock()) * EDGE_READ_SHARE_OF_DEADLINE))
  const before = { reads: store.stats.readOps, failures: store.stats.readFailures }
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), budget)
    })
    const found = await Promise.race([store.readBucket(key, nowSec), timeout])
    if (found === 'timeout') {
      counts.edgeFailures++
      return undefined
    }
    return found
  } catch {
    counts.edgeFailures++
    return undefined
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    counts.edgeReads += store.stats.readOps - before.reads
    counts.edgeFailures += store.stats.readFailures - before.failures
  }
}

/** Waits for `p`, but not past the caller's own deadline (a joined flight may run longer). */
export async function withDeadline<T>(p: Promise<T>, deadline: number, clock: () => number): Promise<T> {
  const remaining = deadline - clock()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BackendError({ kind: 'timeout', message: 'backend did not answer within the deadline' })),
      Math.max(0, remaining)
    )
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}
