import { describe, expect, it } from 'vitest'
import { SingleFlight } from './single-flight'

describe('SingleFlight', () => {
  it('lets others join a claimed key and hands them the owner\'s score', async () => {
    const sf = new SingleFlight()
    expect(sf.join('a')).toBeUndefined()
    const f = sf.begin(['a', 'b'])
    const ja = sf.join('a')
    const jb = sf.join('b')
    expect(ja).toBeDefined()
    f.resolve(new Map([['a', 0.25], ['b', 0.75]]))
    expect(await ja).toBe(0.25)
    expect(await jb).toBe(0.75)
    expect(sf.size).toBe(0)
    expect(sf.join('a')).toBeUndefined()
  })

  it('rejects every waiter with the very same error and forgets the keys', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(['a'])
    const waiters = [sf.join('a'), sf.join('a'), sf.join('a')]
    const err = new Error('backend answered 500')
    f.reject(err)
    for (const w of waiters) await expect(w).rejects.toBe(err)
    expect(sf.size).toBe(0)
  })

  it('does not leak an unhandled rejection when nobody joined', async () => {
    const sf = new SingleFlight()
    sf.begin(['lonely']).reject(new Error('x'))
    await new Promise((r) => setTimeout(r, 5))
    expect(sf.size).toBe(0)
  })

  it('only removes its own registration: a newer flight for the key survives the older settling', async () => {
    const sf = new SingleFlight()
    const older = sf.begin(['k'])
    const olderWaiter = sf.join('k')
    const newer = sf.begin(['k'])
    older.resolve(new Map([['k', 0.1]]))
    expect(await olderWaiter).toBe(0.1)
    const newerWaiter = sf.join('k')
    expect(newerWaiter).toBeDefined()
    newer.resolve(new Map([['k', 0.2]]))
    expect(await newerWaiter).toBe(0.2)
  })

  it('settles once: a late reject after resolve changes nothing', async () => {
    const sf = new SingleFlight()
    const f = sf.begin(['k'])
    const w = sf.join('k')
    f.resolve(new Map([['k', 0.3]]))
    f.reject(new Error('late'))
    expect(await w).toBe(0.3)
  })
})
