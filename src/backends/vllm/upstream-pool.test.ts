import { describe, expect, it } from 'vitest'
import { BackendError } from '../backend-error'
import { UpstreamAllowance } from '../subrequest-budget'
import { NoHealthyUpstreamError, UpstreamStatusError } from './upstream-errors'
import { createUpstreamPool, defaultHedgeAfterMs, MAX_RETRY_AFTER_MS, type AttemptContext, type UpstreamPoolOptions } from './upstream-pool'

/** A manual clock: `sleep` advances it instead of waiting. */
function clock(start = 1_000_000) {
  let t = start
  const sleeps: number[] = []
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
    /**
     * A pause with a signal is a hedge timer: it fires a macrotask later, after every settled
     * attempt has reported (a pending one stays pending: that is a slow upstream), and moves the
     * clock only if the call still waited for it.
     */
    sleep: (ms: number, signal?: AbortSignal) => {
      sleeps.push(ms)
      if (signal === undefined) {
        t += ms
        return Promise.resolve()
      }
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          if (!signal.aborted) t += ms
          resolve()
        }, 0)
      )
    },
    sleeps,
  }
}

const unreachable = () => new BackendError({ kind: 'unreachable', message: 'backend unreachable: Network connection lost.' })
const status = (s: number, after?: number) => new UpstreamStatusError(s, `backend answered ${s}`, after)

function setup(urls: string[], opts: UpstreamPoolOptions = {}) {
  const c = clock()
  const pool = createUpstreamPool(urls, { now: c.now, sleep: c.sleep, random: () => 0.5, ...opts })
  return { c, pool, deadline: c.now() + 1000 }
}

describe('upstream pool', () => {
  it('retries an unreachable upstream on the other one, with a jittered pause', async () => {
    const { c, pool, deadline } = setup(['http://a', 'http://b'])
    const seen: string[] = []
    const r = await pool.call(async (url) => {
      seen.push(url)
      if (seen.length === 1) throw unreachable()
      return 'ok'
    }, { deadline })
    expect(r).toBe('ok')
    expect(seen).toHaveLength(2)
    expect(seen[1]).not.toBe(seen[0])
    expect(c.sleeps).toEqual([10]) // full jitter: 0.5 × min(1000, 20·2^0)
    const snap = pool.snapshot()
    const failed = snap.find((u) => u.failures === 1)
    const served = snap.find((u) => u.failures === 0)
    expect(failed?.consecutive_failures).toBe(1)
    expect(failed?.last_error?.message).toMatch(/unreachable/u)
    expect(served?.consecutive_failures).toBe(0)
    expect(served?.requests).toBe(1)
    expect(snap.map((u) => u.outstanding)).toEqual([0, 0])
  })

  it('a server error that follows the call to another upstream is booked once: the request, not the replicas', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b', 'http://c'], { maxAttempts: 3 })
    let calls = 0
    await expect(
      pool.call(async () => {
        calls++
        throw status(500)
      }, { deadline })
    ).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    // Still tried on every replica (one of them might have been the sick one)...
    expect(calls).toBe(3)
    // ...but only the first is booked a failure: the same 500 on the others is the request's doing.
    expect(pool.snapshot().map((u) => u.failures).sort()).toEqual([0, 0, 1])
    // A sick replica is still found: its 500, met first, is booked, and the call is served elsewhere.
    const sick = setup(['http://a', 'http://b'])
    let first = ''
    const r = await sick.pool.call(async (url) => {
      if (first === '') {
        first = url
        throw status(500)
      }
      return 'ok'
    }, { deadline: sick.deadline })
    expect(r).toBe('ok')
    expect(sick.pool.snapshot().find((u) => u.origin === first)?.failures).toBe(1)
    // On one upstream every server error is booked: nothing tells a poison request from sickness there.
    const single = setup(['http://a'], { maxAttempts: 3 })
    await expect(
      single.pool.call(async () => {
        throw status(500)
      }, { deadline: single.deadline })
    ).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    expect(single.pool.snapshot()[0]?.failures).toBe(3)
  })

  it('never retries a 400 or 422: the request is wrong, not the upstream (upstream-misconfigured.test.ts: 401, 404…)', async () => {
    for (const err of [status(400), status(422)]) {
      const { pool, deadline } = setup(['http://a', 'http://b'])
      let calls = 0
      await expect(
        pool.call(async () => {
          calls++
          throw err
        }, { deadline })
      ).rejects.toBe(err)
      expect(calls).toBe(1)
      expect(pool.snapshot().map((u) => u.failures)).toEqual([0, 0])
    }
  })

  it('a call out of subrequests stops before choosing an upstream: nothing is booked for a fetch never sent', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b'])
    const allowance = new UpstreamAllowance(1)
    let calls = 0
    const call = pool.call(async () => {
      calls++
      throw unreachable()
    }, { deadline, allowance })
    await expect(call).rejects.toMatchObject({ fault: { kind: 'budget' } })
    await expect(call).rejects.toThrow(/limit of 1 backend calls/u)
    // The first attempt went and failed (booked); the retry it earned was refused before any upstream was chosen.
    expect(calls).toBe(1)
    expect(pool.snapshot().map((u) => u.requests).sort()).toEqual([0, 1])
    expect(pool.snapshot().reduce((n, u) => n + u.failures, 0)).toBe(1)
    expect(new UpstreamAllowance(0).spent().toApiError().status).toBe(503)
  })

  it('retries a 500, a 502 page and a broken reply on the other upstream, which answers', async () => {
    const faults = [status(500), status(502), new BackendError({ kind: 'bad_reply', message: 'backend reply is not valid JSON' })]
    for (const err of faults) {
      const { pool, deadline } = setup(['http://a', 'http://b'])
      const seen: string[] = []
      const r = await pool.call(async (url) => {
        seen.push(url)
        if (url === 'http://a') throw err
        return 'scored by b'
      }, { deadline })
      expect(r).toBe('scored by b')
      expect(seen[seen.length - 1]).toBe('http://b')
      expect(seen.filter((u) => u === 'http://a').length).toBeLessThanOrEqual(1)
    }
  })

  it('when every upstream answers wrongly: NoHealthyUpstreamError that maps to 502 (and 504 when all timed out)', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b'])
    const p = pool.call(async () => {
      throw new BackendError({ kind: 'bad_reply', message: 'backend returned 2 results for 3 documents' })
    }, { deadline })
    await expect(p).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    const e = await p.catch((x: unknown) => x as NoHealthyUpstreamError)
    expect(e.toApiError().status).toBe(502)
    expect(e.message).toMatch(/2 results for 3 documents/u)
  })

  it('stops after maxAttempts and reports that no upstream could serve', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b'], { maxAttempts: 3 })
    let calls = 0
    const p = pool.call(async () => {
      calls++
      throw status(503)
    }, { deadline })
    await expect(p).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    await expect(p).rejects.toThrow(/every attempt failed \(last: backend answered 503\)/u)
    expect(calls).toBe(3)
  })

  it('never retries past the deadline', async () => {
    const { c, pool } = setup(['http://a', 'http://b'])
    let calls = 0
    const deadline = c.now() + 30
    await expect(
      pool.call(async () => {
        calls++
        c.advance(10)
        throw unreachable()
      }, { deadline })
    ).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    // After the first attempt 20 ms are left: less than a pause plus the 25 ms minimum attempt.
    expect(calls).toBe(1)
  })

  it('keeps a timeout at the deadline a timeout (504), as a NoHealthyUpstreamError so that FALLBACK=lexical can answer', async () => {
    const { c, pool } = setup(['http://a', 'http://b'])
    const t = new BackendError({ kind: 'timeout', message: 'no answer within the deadline' })
    const d2 = c.now() + 100
    const p = pool.call(async () => {
      c.advance(100)
      throw t
    }, { deadline: d2 })
    await expect(p).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    const e = await p.catch((x: unknown) => x as NoHealthyUpstreamError)
    expect(e.toApiError().code).toBe('backend_timeout')
    expect(e.message).toMatch(/no answer within the deadline/u)
  })

  /** An attempt that answers only when told to, and fails as the client's fetch does when cancelled. */
  function slowAttempt<T>() {
    let answer: (v: T) => void = () => undefined
    let fail: (e: unknown) => void = () => undefined
    const attempt = (ctx: AttemptContext) =>
      new Promise<T>((resolve, reject) => {
        answer = resolve
        fail = reject
        ctx.signal.addEventListener('abort', () => reject(new BackendError({ kind: 'timeout', message: 'request aborted' })), { once: true })
      })
    return { attempt, answer: (v: T) => answer(v), fail: (e: unknown) => fail(e) }
  }

  it('hedges a slow attempt on another upstream: the first answer wins, the slow one is cancelled, not booked a failure', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b'], { hedgeAfterMs: 200 })
    const slow = slowAttempt<string>()
    const contexts: AttemptContext[] = []
    const r = await pool.call(async (url, ctx) => {
      contexts.push(ctx)
      return contexts.length === 1 ? slow.attempt(ctx) : `copy from ${url}`
    }, { deadline })
    expect(r).toMatch(/^copy from/u)
    expect(contexts).toHaveLength(2)
    expect(contexts[1]?.upstream).not.toBe(contexts[0]?.upstream)
    // Neither attempt is cut before the call's deadline; the beaten one is cancelled.
    expect(contexts.map((x) => x.deadline)).toEqual([deadline, deadline])
    expect(contexts.map((x) => x.signal.aborted)).toEqual([true, false])
    const snap = pool.snapshot()
    expect(snap.map((u) => u.failures)).toEqual([0, 0])
    expect(snap.map((u) => u.outstanding)).toEqual([0, 0])
    expect(snap.find((u) => u.id === contexts[1]?.upstream)?.hedges).toBe(1)
    expect(snap.reduce((s, u) => s + u.hedges, 0)).toBe(1)
    // The slow upstream learnt it took at least the hedge delay; the copy answered at once.
    const slowU = snap.find((u) => u.id === contexts[0]?.upstream)
    const copyU = snap.find((u) => u.id === contexts[1]?.upstream)
    expect(slowU?.ewma_ms).toBe(200)
    expect(copyU?.ewma_ms).toBe(0)
  })

  it('the slow attempt may still win: then the hedge is cancelled and learns nothing', async () => {
    const { c, pool, deadline } = setup(['http://a', 'http://b'], { hedgeAfterMs: 200 })
    const slow = slowAttempt<string>()
    const copy = slowAttempt<string>()
    const contexts: AttemptContext[] = []
    const p = pool.call(async (_url, ctx) => {
      contexts.push(ctx)
      if (contexts.length === 2) {
        // The first answers 50 ms after its copy went out.
        c.advance(50)
        setTimeout(() => slow.answer('first'), 0)
        return copy.attempt(ctx)
      }
      return slow.attempt(ctx)
    }, { deadline })
    expect(await p).toBe('first')
    expect(contexts.map((x) => x.signal.aborted)).toEqual([false, true])
    const snap = pool.snapshot()
    expect(snap.find((u) => u.id === contexts[0]?.upstream)?.ewma_ms).toBe(250)
    expect(snap.find((u) => u.id === contexts[1]?.upstream)?.ewma_ms).toBeNull()
    expect(snap.map((u) => u.failures)).toEqual([0, 0])
  })

  it('no hedge with nowhere to send it (one upstream), with hedgeAfterMs 0, or with no fetch left: the attempt runs to its answer', async () => {
    for (const [urls, opts, allowance] of [
      [['http://a'], { hedgeAfterMs: 200 }, undefined],
      [['http://a', 'http://b'], { hedgeAfterMs: 0 }, undefined],
      [['http://a', 'http://b'], { hedgeAfterMs: 200 }, new UpstreamAllowance(1)],
    ] as const) {
      const { pool, deadline } = setup([...urls], opts)
      const slow = slowAttempt<string>()
      let calls = 0
      const p = pool.call(async (_url, ctx) => {
        calls++
        // Answers once the pool had its chance to hedge (a macrotask later than its timer).
        setTimeout(() => setTimeout(() => slow.answer('late'), 0), 0)
        return slow.attempt(ctx)
      }, { deadline, allowance })
      expect(await p).toBe('late')
      expect(calls).toBe(1)
      expect(pool.snapshot().every((u) => u.failures === 0)).toBe(true)
    }
  })

  it('a hedge that fails is booked and the first attempt still waited for, even on a 4xx', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b'], { hedgeAfterMs: 200, maxAttempts: 2 })
    const slow = slowAttempt<string>()
    let calls = 0
    const r = await pool.call(async (_url, ctx) => {
      calls++
      if (calls === 1) return slow.attempt(ctx)
      setTimeout(() => slow.answer('first'), 0)
      throw status(503)
    }, { deadline })
    expect(r).toBe('first')
    expect(calls).toBe(2)
    expect(pool.snapshot().map((u) => u.failures).sort()).toEqual([0, 1])

    // A 4xx from the copy (one replica's 401 or 404) waits for the first attempt too, whose answer
    // wins; the copy's upstream is booked the failure.
    const bad = setup(['http://a', 'http://b'], { hedgeAfterMs: 200 })
    const contexts: AttemptContext[] = []
    const slow2 = slowAttempt<string>()
    const r2 = await bad.pool.call(async (_url, ctx) => {
      contexts.push(ctx)
      if (contexts.length === 1) return slow2.attempt(ctx)
      setTimeout(() => slow2.answer('first'), 0)
      throw status(404)
    }, { deadline: bad.deadline })
    expect(r2).toBe('first')
    expect(bad.pool.snapshot().map((u) => u.outstanding)).toEqual([0, 0])
    expect(bad.pool.snapshot().map((u) => u.failures).sort()).toEqual([0, 1])
    // When every attempt meets the 4xx, the call ends with it (the request is what is wrong).
    const both = setup(['http://a', 'http://b'], { hedgeAfterMs: 200 })
    const slow3 = slowAttempt<string>()
    let n3 = 0
    const p3 = both.pool.call(async (_url, ctx) => {
      n3++
      if (n3 === 1) return slow3.attempt(ctx)
      setTimeout(() => slow3.fail(status(400)), 0)
      throw status(400)
    }, { deadline: both.deadline })
    await expect(p3).rejects.toThrow(/400/u)
    expect(n3).toBe(2)
  })

  it('an attempt sent before its breaker opened frees no probe slot when it ends without a verdict (one probe at a time)', async () => {
    const { c, pool } = setup(['http://a'], { breaker: { failureThreshold: 1, cooldownMs: 100 }, maxAttempts: 1 })
    // A: sent while the breaker is closed, still running.
    const a = slowAttempt<string>()
    const pa = pool.call(async (_url, ctx) => a.attempt(ctx), { deadline: c.now() + 5_000 })
    // B fails: the breaker opens; after the cool-down C goes out as the half-open probe.
    await expect(pool.call(async () => Promise.reject(unreachable()), { deadline: c.now() + 5_000 })).rejects.toThrow()
    c.advance(100)
    const probe = slowAttempt<string>()
    const pc = pool.call(async (_url, ctx) => probe.attempt(ctx), { deadline: c.now() + 5_000 })
    await Promise.resolve()
    expect(pool.snapshot()[0]).toMatchObject({ state: 'half_open', available: false })
    // A ends with a 429 (no verdict on the upstream): the probe is still out, so no second one may go.
    a.fail(status(429))
    await expect(pa).rejects.toThrow(/429/u)
    expect(pool.snapshot()[0]?.available).toBe(false)
    probe.answer('ok')
    expect(await pc).toBe('ok')
    expect(pool.snapshot()[0]).toMatchObject({ state: 'closed', available: true })
  })

  it('a client that goes away cancels every attempt of its call and books none', async () => {
    const { pool, deadline } = setup(['http://a', 'http://b'], { hedgeAfterMs: 200 })
    const client = new AbortController()
    const contexts: AttemptContext[] = []
    const p = pool.call(async (_url, ctx) => {
      contexts.push(ctx)
      if (contexts.length === 2) setTimeout(() => client.abort(), 0)
      return slowAttempt<string>().attempt(ctx)
    }, { deadline, signal: client.signal })
    await expect(p).rejects.toThrow(/aborted/u)
    expect(contexts).toHaveLength(2)
    expect(contexts.every((x) => x.signal.aborted)).toBe(true)
    const snap = pool.snapshot()
    expect(snap.map((u) => u.failures)).toEqual([0, 0])
    expect(snap.map((u) => u.outstanding)).toEqual([0, 0])
  })

  it('opens the breaker after consecutive failures and then fails fast without calling', async () => {
    const { c, pool } = setup(['http://a'], { breaker: { failureThreshold: 2, cooldownMs: 500 }, maxAttempts: 1 })
    let calls = 0
    const fail = async () => {
      calls++
      throw status(500)
    }
    await expect(pool.call(fail, { deadline: c.now() + 1000 })).rejects.toThrow(/500/u)
    await expect(pool.call(fail, { deadline: c.now() + 1000 })).rejects.toThrow(/500/u)
    expect(pool.snapshot()[0]?.state).toBe('open')
    const p = pool.call(fail, { deadline: c.now() + 1000 })
    await expect(p).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    await expect(p).rejects.toMatchObject({ retryAfterMs: 500 })
    expect(calls).toBe(2)

    // After the cool-down one probe passes; its success closes the breaker.
    c.advance(500)
    expect(pool.snapshot()[0]?.state).toBe('half_open')
    expect(await pool.call(async () => 'back', { deadline: c.now() + 1000 })).toBe('back')
    expect(pool.snapshot()[0]?.state).toBe('closed')
  })

  it('moves traffic to the faster upstream and counts outstanding calls', async () => {
    const { c, pool } = setup(['http://slow', 'http://fast'], { random: Math.random })
    const hits = { 'http://slow': 0, 'http://fast': 0 } as Record<string, number>
    for (let i = 0; i < 50; i++) {
      await pool.call(async (url) => {
        hits[url] = (hits[url] ?? 0) + 1
        c.advance(url === 'http://slow' ? 200 : 5)
        return 0
      }, { deadline: c.now() + 10_000 })
    }
    // An unknown upstream is tried once at most before the estimates settle it.
    expect(hits['http://fast']).toBeGreaterThanOrEqual(49)
    const snap = pool.snapshot()
    expect(snap[0]?.ewma_ms).toBeGreaterThan(100)
    expect(snap[1]?.ewma_ms).toBe(5)

    // Concurrent calls: outstanding work on the fast upstream eventually outweighs its speed.
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const inflight: Array<Promise<number>> = []
    const seen: string[] = []
    for (let i = 0; i < 60; i++) {
      inflight.push(
        pool.call(async (url) => {
          seen.push(url)
          await gate
          return 0
        }, { deadline: c.now() + 10_000 })
      )
    }
    expect(pool.snapshot()[1]?.outstanding).toBeGreaterThan(30)
    expect(seen).toContain('http://slow')
    release()
    await Promise.all(inflight)
    expect(pool.snapshot().map((u) => u.outstanding)).toEqual([0, 0])
  })

  it('a slow upstream left alone is tried again once its estimate fades', async () => {
    const { c, pool } = setup(['http://slow', 'http://fast'], { forgetMs: 1000, random: Math.random })
    const hold: Array<() => void> = []
    const call = (wait: boolean) => {
      let url = ''
      const p = pool.call(async (u) => {
        url = u
        if (wait) await new Promise<void>((r) => hold.push(r))
        else c.advance(u === 'http://slow' ? 200 : 5)
        return u
      }, { deadline: c.now() + 60_000 })
      return { p, url: () => url }
    }
    // Teach the pool: slow = 200 ms, fast = 5 ms.
    for (let i = 0; i < 200 && pool.snapshot()[0]?.ewma_ms === null; i++) await call(false).p
    for (let i = 0; i < 5; i++) await call(false).p
    expect(pool.snapshot()[0]?.ewma_ms).toBe(200)
    expect(pool.snapshot()[1]?.ewma_ms).toBe(5)
    // One call waiting on `fast` (cost 2 × 5) still beats `slow` (200).
    const a = call(true)
    const b = call(false)
    await b.p
    expect(a.url()).toBe('http://fast')
    expect(b.url()).toBe('http://fast')
    // Ten seconds without a sample on `slow`: its estimate has faded to about 5 ms, so the
    // same situation now sends the second call to `slow`.
    c.advance(10_000)
    const d = call(false)
    await d.p
    expect(d.url()).toBe('http://slow')
    for (const r of hold) r()
    await a.p
  })

  it('after the cool-down the half-open probe goes out promptly, and its success resets the estimate', async () => {
    const { c, pool } = setup(['http://a', 'http://b'], { breaker: { failureThreshold: 1, cooldownMs: 1000 }, random: Math.random })
    let bDown = true
    const run = (hold?: Promise<void>) =>
      pool.call(async (url) => {
        if (url === 'http://b' && bDown) {
          c.advance(1)
          throw unreachable()
        }
        if (hold) await hold
        else c.advance(url === 'http://b' ? 4 : 5)
        return url
      }, { deadline: c.now() + 60_000 })
    for (let i = 0; i < 40 && pool.snapshot()[1]?.state !== 'open'; i++) await run()
    expect(pool.snapshot()[1]?.state).toBe('open')
    // While `b` is open, a call in flight on `a` (the only choice).
    let release!: () => void
    const held = run(new Promise<void>((r) => (release = r)))
    bDown = false
    c.advance(1000)
    // `b` is ready for its probe and costed at the pool's best latency: it beats the busy `a`.
    expect(pool.snapshot()[1]?.state).toBe('half_open')
    expect(await run()).toBe('http://b')
    expect(pool.snapshot()[1]).toMatchObject({ state: 'closed', ewma_ms: 4 })
    release()
    expect(await held).toBe('http://a')
  })

  it('throttles a 429 upstream for its Retry-After and goes elsewhere at once', async () => {
    const { c, pool, deadline } = setup(['http://a', 'http://b'])
    const seen: string[] = []
    const r = await pool.call(async (url) => {
      seen.push(url)
      if (seen.length === 1) throw status(429, 3000)
      return url
    }, { deadline })
    expect(seen.length).toBe(2)
    expect(seen[1]).not.toBe(seen[0])
    expect(r).toBe(seen[1])
    const throttled = pool.snapshot().find((u) => u.throttled_until !== undefined)
    expect(throttled?.state).toBe('closed') // back-pressure is not sickness
    expect(throttled?.available).toBe(false)
    c.advance(3000)
    expect(pool.snapshot().every((u) => u.available)).toBe(true)
  })

  it('a single throttled upstream is waited for only within the deadline', async () => {
    const { pool, deadline } = setup(['http://a'])
    let calls = 0
    // Retry-After 0.2 s fits the 1 s budget: wait, then succeed.
    const r = await pool.call(async () => {
      calls++
      if (calls === 1) throw status(429, 200)
      return 'ok'
    }, { deadline })
    expect(r).toBe('ok')
    expect(calls).toBe(2)

    const { pool: p2, deadline: d2 } = setup(['http://a'])
    let calls2 = 0
    const p = p2.call(async () => {
      calls2++
      throw status(429, 30_000)
    }, { deadline: d2 })
    await expect(p).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    await expect(p).rejects.toMatchObject({ retryAfterMs: 30_000 })
    expect(calls2).toBe(1)
  })

  it('honours a Retry-After for at most a minute (a day-long one took the replica, and with every replica so, the pool, out for a day)', async () => {
    const { c, pool } = setup(['http://a', 'http://b'])
    const fail = pool.call(async () => {
      throw status(503, 86_400_000)
    }, { deadline: c.now() + 1000 })
    await expect(fail).rejects.toBeInstanceOf(NoHealthyUpstreamError)
    expect(pool.snapshot().every((u) => !u.available)).toBe(true)
    c.advance(MAX_RETRY_AFTER_MS + 1)
    expect(pool.snapshot().every((u) => u.available)).toBe(true)
    expect(await pool.call(async (url) => url, { deadline: c.now() + 1000 })).toMatch(/^http:\/\/[ab]$/u)
  })

  it("does not wait out one upstream's Retry-After when another, already tried, is free now", async () => {
    const { c, pool } = setup(['http://a', 'http://b'], { maxAttempts: 3 })
    const seen: string[] = []
    // The first upstream tried fails with a 500 (no Retry-After), the second with a 503 and Retry-After 5 s.
    const r = await pool.call(async (url) => {
      seen.push(url)
      if (seen.length === 1) throw status(500)
      if (seen.length === 2) throw status(503, 5000)
      return url
    }, { deadline: c.now() + 10_000 })
    expect(seen).toHaveLength(3)
    expect(r).toBe(seen[0])
    // Jittered back-off only: the 5 s Retry-After bound only the upstream that sent it.
    expect(c.sleeps.every((ms) => ms < 1000)).toBe(true)
  })

  it('an upstream that was slow once is tried again after a while, even at one call in flight (it starved: 1 call of 20,001)', async () => {
    const { c, pool } = setup(['http://a', 'http://b'], { forgetMs: 10_000 })
    const cost: Record<string, number> = { 'http://a': 10, 'http://b': 30 }
    const served: Record<string, number> = { 'http://a': 0, 'http://b': 0 }
    const one = (slowOnce = false) =>
      pool.call(async (url) => {
        c.advance(slowOnce && url === 'http://a' ? 7500 : (cost[url] as number))
        served[url]!++
        return url
      }, { deadline: c.now() + 15_000 })
    // Warm both, then one slow answer from the fast one ("a" took 7.5 s once).
    while (served['http://a'] === 0 || served['http://b'] === 0) await one()
    let slowed = false
    while (!slowed) slowed = (await one(true)) === 'http://a'
    served['http://a'] = 0
    served['http://b'] = 0
    // Ten simulated minutes of sequential calls, one a second.
    for (let i = 0; i < 600; i++) {
      await one()
      c.advance(1000)
    }
    // Before, the fast one got no call at all: a stale estimate only faded to the best's, and the
    // tie went to the upstream that had just answered.
    expect(served['http://a']).toBeGreaterThan(100)
    // Once its estimate has recovered it takes most of the calls again.
    served['http://a'] = 0
    served['http://b'] = 0
    for (let i = 0; i < 100; i++) {
      await one()
      c.advance(1000)
    }
    expect(served['http://a']).toBeGreaterThan(served['http://b'] as number)
  })

  it('a client that went away does not count against the upstream', async () => {
    const { pool, deadline } = setup(['http://a'], { breaker: { failureThreshold: 1 } })
    const ac = new AbortController()
    ac.abort()
    await expect(
      pool.call(async () => {
        throw new BackendError({ kind: 'timeout', message: 'request aborted' })
      }, { deadline, signal: ac.signal })
    ).rejects.toThrow(/aborted/u)
    expect(pool.snapshot()[0]).toMatchObject({ state: 'closed', consecutive_failures: 0, failures: 0 })
  })

  it('shows origins only, never paths or credentials', () => {
    const { pool } = setup(['https://user:secret@gpu-a.internal:8443/prefix/v1?key=abc'])
    const s = JSON.stringify(pool.snapshot())
    expect(pool.snapshot()[0]?.origin).toBe('https://gpu-a.internal:8443')
    expect(s).not.toMatch(/secret|prefix|key=abc/u)
  })

  it('with no upstream configured, says so', async () => {
    const { pool, deadline } = setup([])
    await expect(pool.call(async () => 1, { deadline })).rejects.toBeInstanceOf(NoHealthyUpstreamError)
  })

  it('by default a call is hedged after half its deadline, so the copy still has the other half', () => {
    expect(defaultHedgeAfterMs(15_000)).toBe(7_500)
    expect(defaultHedgeAfterMs(300)).toBe(150)
    expect(defaultHedgeAfterMs(1)).toBe(1)
  })

  it('stops counting a call a second past its deadline (a call the runtime ended never reports back)', async () => {
    const { c, pool } = setup(['http://a'])
    // An attempt that never settles: its call was ended with it.
    void pool.call(() => new Promise<string>(() => undefined), { deadline: c.now() + 500 })
    await Promise.resolve()
    expect(pool.snapshot()[0]?.outstanding).toBe(1)
    c.advance(1500)
    expect(pool.snapshot()[0]?.outstanding).toBe(1) // at the deadline + grace: still counted
    c.advance(1)
    expect(pool.snapshot()[0]?.outstanding).toBe(0)
  })
})

