import { describe, expect, it } from 'vitest'
import { SingleFlight } from './single-flight'

const S = 'f'.repeat(64)
const v = (score: number, tokens?: number) => ({ score, tokens })

describe('SingleFlight', () => {
  it('lets others join a claimed pair and hands them the owner\'s score and token cost', async () => {
    const sf = new SingleFlight()
    expect(sf.join(S, 'a')).toBeUndefined()
    const f = sf.begin(S, ['a', 'b'])
    expect(sf.size).toBe(2)
    const ja = sf.join(S, 'a')
    const jb = sf.join(S, 'b')
    expect(ja).toBeDefined()
    f.resolve([v(0.25, 30), v(0.75, 41)])
    expect(await ja).toEqual(v(0.25, 30))
    expect(await jb).toEqual(v(0.75, 41))
    expect(sf.size).toBe(0)
    expect(sf.join(S, 'a')).toBeUndefined()
  })

  it('keys by (scope, document): the same text under another scope is another pair', () => {
    const sf = new SingleFlight()
    sf.begin(S, ['a'])
    expect(sf.join('e'.repeat(64), 'a')).toBeUndefined()
    // A lone surrogate and its U+FFFD twin are different texts (the edge keys agree: score-key).
    sf.begin(S, ['x\ud800'])
    expect(sf.join(S, 'x\ufffd')).toBeUndefined()
    expect(sf.join(S, 'x\ud800')).toBeDefined()
  })

  it('rejects every waiter with the very same error and forgets the pairs', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(S, ['a'])
    const waiters = [sf.join(S, 'a'), sf.join(S, 'a'), sf.join(S, 'a')]
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
    const olderWaiter = sf.join(S, 'k')
    const newer = sf.begin(S, ['k'])
    expect(sf.size).toBe(1)
    older.resolve([v(0.1)])
    expect(await olderWaiter).toEqual(v(0.1))
    const newerWaiter = sf.join(S, 'k')
    expect(newerWaiter).toBeDefined()
    newer.resolve([v(0.2)])
    expect(await newerWaiter).toEqual(v(0.2))
    expect(sf.size).toBe(0)
  })

  it('settles once: a late reject after resolve changes nothing', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(S, ['k'])
    const w = sf.join(S, 'k')
    f.resolve([v(0.3)])
    f.reject(new Error('late'))
    expect(await w).toEqual(v(0.3))
  })

  it('rejects a waiter whose pair the owner left without a value', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(S, ['a', 'b'])
    const jb = sf.join(S, 'b')
    f.resolve([v(0.5)])
    await expect(jb).rejects.toThrow(/no score/u)
  })
})
