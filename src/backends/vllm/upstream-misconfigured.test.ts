/**
 * An upstream that answers as if it were set up wrong (a stale key's 401, another model's 404, an
 * Access 403, a proxy's 413, a login redirect) must not draw the pool's traffic. Its instant reply
 * used to count as the pool's fastest success, so the two-choices pick sent it nearly every call:
 * a pool of one upstream that always answered 401 and one that answered right after 30 ms failed
 * 59 of 60 calls while the good one sat idle (upstream-retry.ts `isMisconfiguredStatus`).
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_BREAKER_POLICY } from './upstream-breaker'
import { NoHealthyUpstreamError, UpstreamStatusError } from './upstream-errors'
import { createUpstreamPool, type UpstreamPool, type UpstreamPoolOptions } from './upstream-pool'

/** A pool on a manual clock: a pause moves the clock instead of waiting (no hedging here). */
function setup(urls: string[], opts: UpstreamPoolOptions = {}) {
  let t = 1_000_000
  const advance = (ms: number) => {
    t += ms
  }
  const pool = createUpstreamPool(urls, {
    now: () => t,
    sleep: (ms) => {
      advance(ms)
      return Promise.resolve()
    },
    // 0: the first pick is the first upstream (pickTwoChoices' first draw wins a tie), so `a` is met first.
    random: () => 0,
    ...opts,
  })
  return { pool, advance, deadline: () => t + 15_000 }
}

/** A reproducible draw in [0, 1) (Numerical Recipes' 32-bit LCG constants). */
function seeded(seed: number): () => number {
  let x = seed >>> 0
  return () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0
    return x / 2 ** 32
  }
}

/** What the worker's client throws for vLLM's replies (vllm-response.ts `describeErrorReply`). */
const unauthorized = () => new UpstreamStatusError(401, 'backend answered 401: Unauthorized')
const otherModel = () => new UpstreamStatusError(404, 'backend answered 404: The model `qwen3-reranker-8b` does not exist.')

/** A rejection as the error it is, for assertions on it. */
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (e: unknown) => e
  )

const snap = (pool: UpstreamPool, i: number) => {
  const u = pool.snapshot()[i]
  if (!u) throw new RangeError(`no upstream ${i}`)
  return u
}

describe('an upstream that answers as misconfigured', () => {
  for (const [name, reply] of [
    ['401 (a stale key)', unauthorized],
    ['404 (another model)', otherModel],
  ] as const) {
    it(`the audit, ${name}: a always refuses at once, b answers after 30 ms; 120 calls, all served by b, a written off`, async () => {
      const { pool, advance, deadline } = setup(['http://a', 'http://b'], { random: seeded(7) })
      const attempts: Record<string, number> = { 'http://a': 0, 'http://b': 0 }
      const answers: string[] = []
      let sawOpen = false
      for (let i = 0; i < 120; i++) {
        const answer = await pool
          .call(async (url) => {
            attempts[url] = (attempts[url] ?? 0) + 1
            if (url === 'http://a') throw reply()
            advance(30)
            return 'scored by b'
          }, { deadline: deadline() })
          .catch((e: unknown) => (e instanceof Error ? e.message : String(e)))
        answers.push(answer)
        sawOpen ||= snap(pool, 0).state === 'open'
        // One call a second: a's penalised estimate fades, so a is tried again now and then.
        advance(1_000)
      }
      expect(answers.filter((x) => x !== 'scored by b')).toEqual([])
      expect(attempts['http://b']).toBe(120)
      const a = snap(pool, 0)
      // Every call a got is booked a failure (none a success), enough of them to open its breaker...
      expect(a.failures).toBe(attempts['http://a'])
      expect(a.failures).toBeGreaterThanOrEqual(DEFAULT_BREAKER_POLICY.failureThreshold)
      expect(sawOpen).toBe(true)
      expect(a.last_error?.message).toBe(reply().message)
      // ...and it got few calls: a's refusals never looked faster than b's 30 ms.
      expect(attempts['http://a']).toBeLessThanOrEqual(12)
      expect(snap(pool, 1)).toMatchObject({ failures: 0, ewma_ms: 30 })
    })
  }

  it('each such status is retried on the other upstream and booked like a 5xx, its instant reply never a latency', async () => {
    for (const s of [401, 403, 404, 405, 407, 413, 302, 308]) {
      const { pool, advance, deadline } = setup(['http://a', 'http://b'])
      const seen: string[] = []
      const r = await pool.call(async (url) => {
        seen.push(url)
        if (url === 'http://a') throw new UpstreamStatusError(s, `backend answered ${s}`)
        advance(30)
        return 'scored by b'
      }, { deadline: deadline() })
      expect(r, String(s)).toBe('scored by b')
      expect(seen, String(s)).toEqual(['http://a', 'http://b'])
      const a = snap(pool, 0)
      expect(a, String(s)).toMatchObject({ failures: 1, consecutive_failures: 1, state: 'closed' })
      expect(a.last_error?.message).toBe(`backend answered ${s}`)
      // Charged as a failure (twice the pool's prior), not the 0 ms it took.
      expect(a.ewma_ms, String(s)).toBeGreaterThan(0)
    }
  })

  it('alone: one attempt (the same upstream answers the same), a 502 that names the 401, and still a 502 naming it once the breaker opens', async () => {
    const { pool, advance, deadline } = setup(['http://a'], { breaker: { failureThreshold: 2, cooldownMs: 500 } })
    let calls = 0
    let wrongKey = true
    const attempt = async () => {
      calls++
      if (wrongKey) throw unauthorized()
      return 'ok'
    }
    for (let i = 1; i <= 2; i++) {
      const e = await failureOf(pool.call(attempt, { deadline: deadline() }))
      expect(e).toBeInstanceOf(NoHealthyUpstreamError)
      const api = (e as NoHealthyUpstreamError).toApiError()
      expect(api).toMatchObject({ status: 502, code: 'backend_error' })
      expect(api.message).toMatch(/backend answered 401: Unauthorized/u)
      expect(calls).toBe(i)
    }
    expect(snap(pool, 0)).toMatchObject({ state: 'open', available: false, failures: 2 })
    // Open: refused without calling, and the answer still says why (not a "circuit open" 503).
    const fast = await failureOf(pool.call(attempt, { deadline: deadline() }))
    expect(calls).toBe(2)
    const api = (fast as NoHealthyUpstreamError).toApiError()
    expect(api).toMatchObject({ status: 502, code: 'backend_error' })
    expect(api.message).toBe('no healthy backend: every backend is out of service after answering as misconfigured (last: backend answered 401: Unauthorized)')
    expect(api.headers['Retry-After']).toBeUndefined()
    // The key fixed: the half-open probe after the cool-down closes the breaker.
    advance(500)
    wrongKey = false
    expect(await pool.call(attempt, { deadline: deadline() })).toBe('ok')
    expect(snap(pool, 0).state).toBe('closed')
  })

  it('the key wrong everywhere: each upstream tried once per call, booked once per call, then a 502 naming the 401, never a 503', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b', 'http://c'], { breaker: { failureThreshold: 1 } })
    const seen: string[] = []
    const attempt = async (url: string) => {
      seen.push(url)
      throw unauthorized()
    }
    const first = await failureOf(pool.call(attempt, { deadline: deadline() }))
    expect((first as NoHealthyUpstreamError).toApiError()).toMatchObject({ status: 502, message: expect.stringMatching(/last: backend answered 401: Unauthorized/u) })
    expect([...seen].sort()).toEqual(['http://a', 'http://b', 'http://c'])
    // The same reply from every upstream of one call may be the request's doing (a body over every
    // proxy's cap): the first upstream is booked, the others are not.
    expect(pool.snapshot().map((u) => u.failures).reduce((x, y) => x + y, 0)).toBe(1)
    for (let i = 0; i < 2; i++) await failureOf(pool.call(attempt, { deadline: deadline() }))
    expect(pool.snapshot().map((u) => u.state)).toEqual(['open', 'open', 'open'])
    const n = seen.length
    const fast = await failureOf(pool.call(attempt, { deadline: deadline() }))
    expect(seen.length).toBe(n)
    expect((fast as NoHealthyUpstreamError).toApiError()).toMatchObject({ status: 502, code: 'backend_error', message: expect.stringMatching(/misconfigured \(last: backend answered 401/u) })
  })

  it('a 401 on one upstream and a 500 on the next are two faults, each booked on its own upstream', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b', 'http://c'])
    const r = await pool.call(async (url) => {
      if (url === 'http://a') throw unauthorized()
      if (url === 'http://b') throw new UpstreamStatusError(500, 'backend answered 500: CUDA error')
      return 'scored by c'
    }, { deadline: deadline() })
    expect(r).toBe('scored by c')
    expect(pool.snapshot().map((u) => u.failures)).toEqual([1, 1, 0])
  })

  it('every upstream out, one after a 401 and one after a 500: capacity, still a 503 with Retry-After', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b'], { breaker: { failureThreshold: 1, cooldownMs: 2_000 }, maxAttempts: 1 })
    await failureOf(pool.call(async () => Promise.reject(unauthorized()), { deadline: deadline() }))
    await failureOf(pool.call(async () => Promise.reject(new UpstreamStatusError(500, 'backend answered 500: CUDA error')), { deadline: deadline() }))
    expect(pool.snapshot().map((u) => u.state)).toEqual(['open', 'open'])
    const e = await failureOf(pool.call(async () => 'never', { deadline: deadline() }))
    const api = (e as NoHealthyUpstreamError).toApiError()
    expect(api).toMatchObject({ status: 503, code: 'backend_unavailable' })
    expect(api.headers['Retry-After']).toBe('2')
  })
})
