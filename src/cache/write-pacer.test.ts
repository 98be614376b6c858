import { describe, expect, it } from 'vitest'
import { STALE_MS, WritePacer, type PacedWrite } from './write-pacer'

/** A manual clock and timer: `advance` runs every sleeper whose time has come, in order. */
function manualTime(start = 1_750_000_000_000) {
  let t = start
  const sleepers: Array<{ at: number; wake: () => void }> = []
  const settle = () => new Promise((ok) => setTimeout(ok, 0))
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((wake) => sleepers.push({ at: t + ms, wake })),
    async advance(ms: number) {
      const end = t + ms
      await settle()
      for (;;) {
        sleepers.sort((a, b) => a.at - b.at)
        const next = sleepers[0]
        if (next === undefined || next.at > end) break
        sleepers.shift()
        t = next.at
        next.wake()
        await settle()
      }
      t = end
      await settle()
    },
    get sleeping() {
      return sleepers.length
    },
  }
}

/** Values are sets of ids; a send records when it happened and what it carried. */
function recorder(clock: { now: () => number }, delayMs = 0, sleep?: (ms: number) => Promise<void>) {
  const sent: Array<{ at: number; value: number[] }> = []
  const how: PacedWrite<number[]> = {
    async send(value) {
      if (delayMs > 0 && sleep) await sleep(delayMs)
      sent.push({ at: clock.now(), value: [...value].sort((a, b) => a - b) })
    },
    merge: (older, newer) => [...new Set([...older, ...newer])],
  }
  return { sent, how }
}

describe('write pacer', () => {
  it('sends the first write of a key at once and merges a burst into one write an interval later', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const { sent, how } = recorder(time)
    const start = time.now()
    const a = pacer.write('b1:k', [1], how)
    await time.advance(10)
    const b = pacer.write('b1:k', [2], how)
    const c = pacer.write('b1:k', [3], how)
    expect([a.outcome, b.outcome, c.outcome]).toEqual(['sent', 'deferred', 'merged'])
    // A merged call waits on nothing another call settles (the deferred call sends its value).
    await c.done
    await a.done
    expect(sent).toEqual([{ at: start, value: [1] }])
    await time.advance(989)
    expect(sent).toHaveLength(1) // still inside the key's second
    await time.advance(1)
    await b.done
    expect(sent).toEqual([
      { at: start, value: [1] },
      { at: start + 1000, value: [2, 3] },
    ])
  })

  it('keeps keys apart: another key is written at once', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const { sent, how } = recorder(time)
    pacer.write('b1:a', [1], how)
    const other = pacer.write('b1:b', [2], how)
    expect(other.outcome).toBe('sent')
    await other.done
    expect(sent.map((s) => s.value)).toEqual([[1], [2]])
  })

  it('sends at once again when the interval has passed', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const { sent, how } = recorder(time)
    await pacer.write('b1:k', [1], how).done
    await time.advance(1000)
    const again = pacer.write('b1:k', [2], how)
    expect(again.outcome).toBe('sent')
    await again.done
    expect(sent.map((s) => s.value)).toEqual([[1], [2]])
    expect(time.sleeping).toBe(0)
  })

  it('counts the interval from when the previous write was acknowledged, not sent', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const { sent, how } = recorder(time, 300, time.sleep) // each send takes 300 ms to be acknowledged
    const start = time.now()
    const a = pacer.write('b1:k', [1], how)
    await time.advance(1200) // 1.2 s after the first was sent, but only 0.9 s after it was acknowledged
    const b = pacer.write('b1:k', [2], how)
    expect(b.outcome).toBe('deferred')
    await time.advance(400)
    await Promise.all([a.done, b.done])
    // acknowledged at +300; the next send starts at +1300 and is acknowledged at +1600
    expect(sent).toEqual([
      { at: start + 300, value: [1] },
      { at: start + 1600, value: [2] },
    ])
  })

  it('a write arriving while the deferred one is being sent waits for the next interval', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const { sent, how } = recorder(time, 100, time.sleep)
    const start = time.now()
    pacer.write('b1:k', [1], how)
    pacer.write('b1:k', [2], how)
    await time.advance(1150) // the deferred write was sent at +1100 and is in flight
    const late = pacer.write('b1:k', [3], how)
    expect(late.outcome).toBe('deferred')
    await time.advance(2000)
    await late.done
    expect(sent).toEqual([
      { at: start + 100, value: [1] },
      { at: start + 1200, value: [2] },
      { at: start + 2300, value: [3] },
    ])
  })

  it('frees the key after a send that throws', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const failing: PacedWrite<number[]> = { send: () => Promise.reject(new Error('KV PUT failed: 429 Too Many Requests')), merge: (a, b) => [...a, ...b] }
    await expect(pacer.write('b1:k', [1], failing).done).resolves.toBeUndefined()
    const { sent, how } = recorder(time)
    const next = pacer.write('b1:k', [2], how)
    expect(next.outcome).toBe('deferred')
    await time.advance(1000)
    await next.done
    expect(sent.map((s) => s.value)).toEqual([[2]])
  })

  it('forgets idle keys once many are tracked, never one with a write in flight or waiting', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const { sent, how } = recorder(time)
    for (let i = 0; i < 300; i++) await pacer.write(`b1:old-${i}`, [i], how).done
    // Swept at 257 keys, but none was idle yet (each was written less than a second before).
    expect(pacer.size).toBe(300)
    await time.advance(1000)
    pacer.write('b1:busy', [0], how)
    const waiting = pacer.write('b1:busy', [1], how)
    for (let i = 0; i < 215; i++) await pacer.write(`b1:new-${i}`, [i], how).done
    // The sweep at 515 keys dropped the 300 idle ones, kept the busy key and the new ones.
    expect(pacer.size).toBe(216)
    expect(pacer.write('b1:busy', [2], how).outcome).toBe('merged')
    await time.advance(1000)
    await waiting.done
    expect(sent.at(-1)).toEqual({ at: time.now(), value: [1, 2] })
  })

  it('holds back at most maxWaitingBytes: past it a write goes at once, unpaced', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep, sizeOf: (v) => v.length, maxWaitingBytes: 3 })
    const { sent, how } = recorder(time)
    pacer.write('b1:a', [1], how)
    expect(pacer.write('b1:a', [2, 3], how).outcome).toBe('deferred')
    pacer.write('b1:b', [9], how)
    // 2 bytes held for b1:a; 2 more for b1:b would pass 3.
    expect(pacer.write('b1:b', [7, 8], how).outcome).toBe('sent')
    expect(pacer.write('b1:a', [4], how).outcome).toBe('merged') // 3 bytes: at the bound, not past it
    expect(pacer.waitingBytes).toBe(3)
    expect(pacer.write('b1:a', [5], how).outcome).toBe('sent')
    await time.advance(0)
    expect(sent.map((x) => x.value)).toEqual([[1], [9], [7, 8], [5]])
    await time.advance(1000)
    expect(sent.map((x) => x.value)).toEqual([[1], [9], [7, 8], [5], [2, 3, 4]])
    expect(pacer.waitingBytes).toBe(0)
  })

  it('frees a key whose write never comes back (a call the runtime ended) after STALE_MS', async () => {
    const time = manualTime()
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: time.sleep })
    const hung: PacedWrite<number[]> = { send: () => new Promise<void>(() => undefined), merge: (a, b) => [...a, ...b] }
    const { sent, how } = recorder(time)
    const start = time.now()
    pacer.write('b1:k', [1], hung) // never acknowledged
    const b = pacer.write('b1:k', [2], how)
    expect(b.outcome).toBe('deferred')
    expect(pacer.write('b1:k', [3], how).outcome).toBe('merged')
    await time.advance(29_999)
    expect(sent).toEqual([]) // still waiting on the hung write
    await time.advance(1)
    await b.done
    expect(sent).toEqual([{ at: start + STALE_MS, value: [2, 3] }])
    expect(pacer.waitingBytes).toBe(0)
    // The key works again: the next write goes at its interval.
    await time.advance(1000)
    expect(pacer.write('b1:k', [4], how).outcome).toBe('sent')
  })

  it('a key held by a hung write and a lost deferred one is taken over by the next write after STALE_MS', async () => {
    const time = manualTime()
    const never = () => new Promise<void>(() => undefined)
    // The deferred call's timer never fires (its context is gone): only the key's later writes move.
    const pacer = new WritePacer<number[]>({ now: time.now, sleep: never, sizeOf: (v) => v.length })
    const hung: PacedWrite<number[]> = { send: never, merge: (a, b) => [...a, ...b] }
    const { sent, how } = recorder(time)
    pacer.write('b1:k', [1], hung)
    expect(pacer.write('b1:k', [2, 3], how).outcome).toBe('deferred')
    expect(pacer.waitingBytes).toBe(2)
    await time.advance(STALE_MS)
    const next = pacer.write('b1:k', [4], how)
    expect(next.outcome).toBe('sent')
    await next.done
    expect(sent.map((x) => x.value)).toEqual([[4]])
    expect(pacer.waitingBytes).toBe(0)
  })
})

