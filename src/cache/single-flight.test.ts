import { describe, expect, it } from 'vitest'
import { SingleFlight } from './single-flight'

const S = 'f'.repeat(64)
const v = (score: number, tokens?: number) => ({ score, tokens })

describe('SingleFlight', () => {
  it('lets others join a claimed pair and hands them the owner\'s score and token cost', async () => {
    const sf = new SingleFlight()
    expect(sf.join(S, 'a', 0)).toBeUndefined()
    const f = sf.begin(S, ['a', 'b'])
    expect(sf.size).toBe(2)
    const ja = sf.join(S, 'a', 0)
    const jb = sf.join(S, 'b', 0)
    expect(ja).toBeDefined()
    f.resolve([v(0.25, 30), v(0.75, 41)])
    expect(await ja).toEqual(v(0.25, 30))
    expect(await jb).toEqual(v(0.75, 41))
    expect(sf.size).toBe(0)
    expect(sf.join(S, 'a', 0)).toBeUndefined()
  })

  it('keys by (scope, document): the same text under another scope is another pair', () => {
    const sf = new SingleFlight()
    sf.begin(S, ['a'])
    expect(sf.join('e'.repeat(64), 'a', 0)).toBeUndefined()
    // A lone surrogate and its U+FFFD twin are different texts (the edge keys agree: score-key).
    sf.begin(S, ['x\ud800'])
    expect(sf.join(S, 'x\ufffd', 0)).toBeUndefined()
    expect(sf.join(S, 'x\ud800', 0)).toBeDefined()
  })

  it('rejects every waiter with the very same error and forgets the pairs', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(S, ['a'])
    const waiters = [sf.join(S, 'a', 0), sf.join(S, 'a', 0), sf.join(S, 'a', 0)]
    const err = new Error('backend answered 500')
    f.reject(err)
    for (const w of waiters) await expect(w).rejects.toBe(err)
    expect(sf.size).toBe(0)
  })

  it('does not leak an unhandled rejection when nobody joined', async () => {
    const sf = new SingleFlight()
    sf.begin(S, ['lonely']).reject(new Error('x'))
    await Promise.resolve()
    expect(sf.size).toBe(0)
  })

  it('only removes its own registration: a newer flight for the pair survives the older settling', async () => {
    const sf = new SingleFlight()
    const older = sf.begin(S, ['k'])
    const olderWaiter = sf.join(S, 'k', 0)
    const newer = sf.begin(S, ['k'])
    expect(sf.size).toBe(1)
    older.resolve([v(0.1)])
    expect(await olderWaiter).toEqual(v(0.1))
    const newerWaiter = sf.join(S, 'k', 0)
    expect(newerWaiter).toBeDefined()
    newer.resolve([v(0.2)])
    expect(await newerWaiter).toEqual(v(0.2))
    expect(sf.size).toBe(0)
  })

  it('settles once: a late reject after resolve changes nothing', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(S, ['k'])
    const w = sf.join(S, 'k', 0)
    f.resolve([v(0.3)])
    f.reject(new Error('late'))
    expect(await w).toEqual(v(0.3))
  })

  it('rejects a waiter whose pair the owner left without a value', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(S, ['a', 'b'])
    const jb = sf.join(S, 'b', 0)
    f.resolve([v(0.5)])
    await expect(jb).rejects.toThrow(/no score/u)
  })

  it('is not joined past its expiry (an owner the runtime ended never settles): the next call claims the pair', () => {
    const sf = new SingleFlight()
    const dead = sf.begin(S, ['a', 'b'], 1000)
    expect(sf.join(S, 'a', 999)).toBeDefined()
    expect(sf.join(S, 'a', 1000)).toBeUndefined()
    const fresh = sf.begin(S, ['a'], 5000)
    fresh.resolve([{ score: 0.4, tokens: 3 }])
    // The expired owner settling late removes only what is still its own ('b').
    dead.resolve([{ score: 0.1, tokens: 1 }, { score: 0.2, tokens: 1 }])
    expect(sf.size).toBe(0)
  })
})

