import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { evenBatchSize } from './even-batch-size'

describe('evenBatchSize', () => {
  it('uses as few calls as the maximum allows, of nearly one size', () => {
    expect(evenBatchSize(1000, 256)).toBe(250)
    expect(evenBatchSize(1000, 128)).toBe(125)
    expect(evenBatchSize(300, 256)).toBe(150)
    expect(evenBatchSize(100, 256)).toBe(100)
    expect(evenBatchSize(25, 10)).toBe(9)
    expect(evenBatchSize(0, 10)).toBe(1)
  })

  it('never exceeds the maximum, never needs more calls than ceil(n / max), sizes differ by less than the call count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 2000 }), (n, max) => {
        const size = evenBatchSize(n, max)
        const calls = Math.ceil(n / size)
        expect(size).toBeLessThanOrEqual(max)
        expect(calls).toBe(Math.ceil(n / max))
        // the last call carries what is left: at most one call's worth fewer than the others
        const last = n - size * (calls - 1)
        expect(last).toBeGreaterThan(0)
        expect(size - last).toBeLessThan(calls)
      }),
      { numRuns: 5000 }
    )
  }, 30_000)

  it('never splits into more than maxBatches, however small the size asked', () => {
    expect(evenBatchSize(2000, 10, 14)).toBe(143) // 14 batches (13 of 143, one of 141), not 200 of 10
    expect(Math.ceil(2000 / evenBatchSize(2000, 10, 14))).toBe(14)
    expect(evenBatchSize(1000, 256, 14)).toBe(250) // under the bound: unchanged
    expect(evenBatchSize(10_000, 256, 4)).toBe(2500)
    expect(evenBatchSize(5, 1, 1)).toBe(5)
  })
})
