import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { boostRulesSchema } from './business-score'
import { zodFieldErrors } from '../lib/zod-error'
import { DEFAULT_WEIGHTS, fuseScores, MAX_WEIGHT, fusionSchema, normaliseWeights, rankFused, resolveFusion, type FusedItem } from './fusion'

const unit = fc.double({ min: 0, max: 1, noNaN: true })
const weight = fc.double({ min: 0, max: 1000, noNaN: true })

describe('fuseScores', () => {
  it('applies the default 0.6 / 0.3 / 0.1 weights', () => {
    const r = fuseScores({ model: 0.5, business: 1, time: 0 }, DEFAULT_WEIGHTS)
    expect(r.final).toBeCloseTo(0.6 * 0.5 + 0.3 * 1, 12)
    expect(r.weights).toEqual({ semantic: 0.6, business: 0.3, time: 0.1 })
  })

  it('normalises weights so they mean shares', () => {
    expect(fuseScores({ model: 1, business: 0 }, { semantic: 3, business: 1, time: 0 }).final).toBeCloseTo(0.75, 12)
    expect(normaliseWeights({ semantic: 2, business: 1, time: 1 })).toEqual({ semantic: 0.5, business: 0.25, time: 0.25 })
  })

  it('leaves out components the call does not have', () => {
    expect(fuseScores({ model: 0.42 }, DEFAULT_WEIGHTS)).toEqual({ final: 0.42, weights: { semantic: 1, business: 0, time: 0 } })
    const r = fuseScores({ model: 1, time: 0 }, DEFAULT_WEIGHTS)
    expect(r.final).toBeCloseTo(6 / 7, 12)
    expect(r.weights.business).toBe(0)
  })

  it('falls back to the model score when the present components weigh nothing', () => {
    expect(fuseScores({ model: 0.3 }, { semantic: 0, business: 1, time: 0 }).final).toBe(0.3)
  })

  it('rejects invalid weights and non-finite scores', () => {
    expect(() => fuseScores({ model: 0.5 }, { semantic: -1, business: 0, time: 1 })).toThrow(RangeError)
    expect(() => fuseScores({ model: 0.5 }, { semantic: 0, business: 0, time: 0 })).toThrow(RangeError)
    expect(() => fuseScores({ model: Number.NaN }, DEFAULT_WEIGHTS)).toThrow(RangeError)
  })

  it('property: weights summing to 1 keep the final in [0, 1] and between the components', () => {
    fc.assert(
      fc.property(unit, unit, unit, weight, weight, weight, (model, business, time, a, b, c) => {
        fc.pre(a + b + c > 0)
        const w = normaliseWeights({ semantic: a, business: b, time: c })
        expect(w.semantic + w.business + w.time).toBeCloseTo(1, 12)
        const { final } = fuseScores({ model, business, time }, w)
        expect(final).toBeGreaterThanOrEqual(0)
        expect(final).toBeLessThanOrEqual(1)
        expect(final).toBeGreaterThanOrEqual(Math.min(model, business, time) - 1e-12)
        expect(final).toBeLessThanOrEqual(Math.max(model, business, time) + 1e-12)
      }),
    )
  }, 30_000)

  it('property: scaling all weights by a constant changes nothing', () => {
    fc.assert(
      fc.property(unit, unit, unit, weight, weight, weight, fc.double({ min: 0.001, max: 1000, noNaN: true }), (m, bz, t, a, b, c, k) => {
        fc.pre(a + b + c > 0.001)
        const x = fuseScores({ model: m, business: bz, time: t }, { semantic: a, business: b, time: c }).final
        const y = fuseScores({ model: m, business: bz, time: t }, { semantic: a * k, business: b * k, time: c * k }).final
        expect(y).toBeCloseTo(x, 9)
      }),
    )
  }, 30_000)
})

describe('resolveFusion', () => {
  const boosts = boostRulesSchema.parse([{ when: { field: 'is_new', equals: true }, add: 0.1 }])

  it('merges call over template over defaults, key by key, and normalises', () => {
    const r = resolveFusion({ weights: { time: 0.5 } }, { fusion: { business: 0.5 } }, { timeDecay: true })
    expect(r).toEqual({ ok: true, fusion: { weights: normaliseWeights({ semantic: 0.6, business: 0.5, time: 0.5 }), boosts: [] } })
  })

  it("takes the call's boosts over the template's, even an empty list", () => {
    const t = { boosts }
    expect(resolveFusion(undefined, t, { timeDecay: false })).toMatchObject({ ok: true, fusion: { boosts } })
    expect(resolveFusion({ boosts: [] }, t, { timeDecay: false })).toMatchObject({ ok: true, fusion: { boosts: [] } })
  })

  it('rejects weights that could not rank anything, naming fusion.weights', () => {
    const zero = resolveFusion({ weights: { semantic: 0, business: 0, time: 0 } }, undefined, { timeDecay: true })
    expect(zero).toEqual({ ok: false, errors: [{ field: 'fusion.weights', message: 'expected at least one weight > 0 (they are normalised to sum 1)' }] })
    const offOnly = resolveFusion({ weights: { semantic: 0, business: 1 } }, undefined, { timeDecay: false })
    expect(offOnly).toMatchObject({ ok: false, errors: [{ field: 'fusion.weights', message: expect.stringMatching(/fusion.boosts/) }] })
    // The default time weight (0.1) counts once the call has time_decay.
    expect(resolveFusion({ weights: { semantic: 0, business: 1 } }, undefined, { timeDecay: true }).ok).toBe(true)
    expect(resolveFusion({ weights: { semantic: 0, business: 1 }, boosts }, undefined, { timeDecay: false }).ok).toBe(true)
  })
})

describe('fusionSchema', () => {
  it('names the bad field', () => {
    const r = fusionSchema.safeParse({ weights: { semantic: -0.1, model: 1 } })
    expect(r.success).toBe(false)
    if (!r.success) {
      expect(zodFieldErrors(r.error, 'fusion')).toEqual([
        { field: 'fusion.weights.semantic', message: 'expected a finite number between 0 and 1000000' },
        { field: 'fusion.weights.model', message: 'unknown field' },
      ])
    }
  })
})

describe('fusion weight bounds', () => {
  it('refuses weights whose sum would overflow, naming the field and the limit', () => {
    const r = fusionSchema.safeParse({ weights: { semantic: 1e308, business: 1e308 } })
    expect(r.success).toBe(false)
    if (!r.success) {
      expect(zodFieldErrors(r.error, 'fusion').map((e) => e.field)).toEqual(['fusion.weights.semantic', 'fusion.weights.business'])
      expect(zodFieldErrors(r.error, 'fusion')[0]?.message).toContain(String(MAX_WEIGHT))
    }
    // A template's weights skip the request schema: resolveFusion checks the same bound.
    const t = resolveFusion(undefined, { fusion: { semantic: 1e308, business: 1e308 } }, { timeDecay: false })
    expect(t.ok).toBe(false)
    // At the limit the weights still normalise to finite shares.
    const ok = resolveFusion({ weights: { semantic: MAX_WEIGHT, business: MAX_WEIGHT, time: MAX_WEIGHT } }, undefined, { timeDecay: true })
    expect(ok.ok && Object.values(ok.fusion.weights).every((w) => Number.isFinite(w) && Math.abs(w - 1 / 3) < 1e-12)).toBe(true)
  })
})

describe('rankFused', () => {
  it('sorts by final, then model, then id, then index', () => {
    const items: FusedItem[] = [
      { index: 0, final: 0.5, model: 0.5 },
      { index: 1, final: 0.9, model: 0.1 },
      { index: 2, final: 0.5, model: 0.7 },
      { index: 3, final: 0.5, model: 0.5, id: 'b' },
      { index: 4, final: 0.5, model: 0.5, id: 'a' },
      { index: 5, final: 0.5, model: 0.5 },
    ]
    expect(rankFused(items).map((i) => i.index)).toEqual([1, 2, 4, 3, 0, 5])
    expect(items[0]?.index).toBe(0) // input untouched
  })
})
