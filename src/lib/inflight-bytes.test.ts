import { describe, expect, it } from 'vitest'
import { InflightBytes } from './inflight-bytes'

describe('InflightBytes', () => {
  it('lets calls in while their bytes fit, refuses the one that would pass the bound, and frees on release', () => {
    const b = new InflightBytes(100)
    const a = b.take(60, 0, 1000)
    expect(a).toBeDefined()
    expect(b.take(50, 0, 1000)).toBeUndefined()
    const c = b.take(40, 0, 1000)
    expect(c).toBeDefined()
    expect(b.bytes).toBe(100)
    b.release(a as number)
    b.release(a as number) // twice: no effect
    expect(b.bytes).toBe(40)
    expect(b.take(60, 0, 1000)).toBeDefined()
  })

  it('always lets a call in alone, even one larger than the bound', () => {
    const b = new InflightBytes(10)
    const big = b.take(500, 0, 1000)
    expect(big).toBeDefined()
    expect(b.take(1, 0, 1000)).toBeUndefined()
    b.release(big as number)
    expect(b.size).toBe(0)
  })

  it('drops a hold past its deadline, so a call the runtime ended cannot keep its bytes', () => {
    const b = new InflightBytes(100)
    b.take(90, 0, 1000) // never released
    expect(b.take(20, 999, 2000)).toBeUndefined()
    expect(b.take(20, 1000, 2000)).toBeDefined()
    expect(b.bytes).toBe(20)
  })

  it('follows a new capacity', () => {
    const b = new InflightBytes(100)
    b.take(80, 0, 1000)
    b.setCapacity(50)
    expect(b.take(1, 0, 1000)).toBeUndefined()
    b.setCapacity(200)
    expect(b.take(100, 0, 1000)).toBeDefined()
  })

  it('grows a hold to the size read when that fits (a body sent without its length), and not past the bound', () => {
    const b = new InflightBytes(100)
    const other = b.take(60, 0, 1000) as number
    const undeclared = b.take(0, 0, 1000) as number
    expect(b.grow(undeclared, 30)).toBe(true)
    expect(b.bytes).toBe(90)
    expect(b.grow(undeclared, 50)).toBe(false)
    expect(b.bytes).toBe(90)
    b.release(other)
    // Alone, it may grow past the bound (MAX_BODY_BYTES bounds it).
    expect(b.grow(undeclared, 500)).toBe(true)
    expect(b.bytes).toBe(500)
  })
})
