import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { zodFieldErrors } from '../lib/zod-error'
import { MS_PER_DAY, decayAt, timeDecaySchema, timeScore, timeScoreDetail, type TimeDecay } from './time-decay'

const NOW = Date.UTC(2025, 0, 31)
const exp30 = timeDecaySchema.parse({ kind: 'exponential', half_life_days: 30 })
const stepped = timeDecaySchema.parse({
  kind: 'step',
  steps: [
    { after_days: 365, factor: 0.2 },
    { after_days: 30, factor: 0.8 },
  ],
})

describe('timeScore', () => {
  it('halves an exponential score every half-life', () => {
    expect(timeScore('2025-01-31', NOW, exp30)).toBe(1)
    expect(timeScore('2025-01-01', NOW, exp30)).toBeCloseTo(0.5, 12)
    expect(timeScore('2024-12-02', NOW, exp30)).toBeCloseTo(0.25, 12)
  })

  it('applies the last step reached, absolute not multiplied', () => {
    expect(timeScore('2025-01-02', NOW, stepped)).toBe(1) // 29 days
    expect(timeScore('2025-01-01', NOW, stepped)).toBe(0.8) // 30 days
    expect(timeScore('2023-01-01', NOW, stepped)).toBe(0.2)
    const single = timeDecaySchema.parse({ kind: 'step', after_days: 30, factor: 0.8 })
    expect(single).toEqual({ kind: 'step', steps: [{ after_days: 30, factor: 0.8 }], missing: 0.5 })
  })

  it('scores a missing or unparsable date with `missing` (default 0.5)', () => {
    expect(timeScoreDetail(undefined, NOW, exp30)).toEqual({ score: 0.5, age_days: null, rule: 'missing' })
    expect(timeScore('not a date', NOW, exp30)).toBe(0.5)
    const strict = timeDecaySchema.parse({ kind: 'exponential', half_life_days: 30, missing: 0 })
    expect(timeScore(undefined, NOW, strict)).toBe(0)
  })

  it('treats a future date as age 0', () => {
    expect(timeScoreDetail('2030-01-01', NOW, exp30)).toEqual({ score: 1, age_days: 0, rule: 'future' })
    expect(timeScore('2030-01-01', NOW, stepped)).toBe(1)
  })

  it('reports the age in days', () => {
    expect(timeScoreDetail('2025-01-21T00:00:00Z', NOW, exp30).age_days).toBe(10)
  })
})

describe('timeDecaySchema', () => {
  const errors = (v: unknown) => {
    const r = timeDecaySchema.safeParse(v)
    return r.success ? [] : zodFieldErrors(r.error, 'time_decay')
  }

  it('names the bad field and says what is expected', () => {
    expect(errors({ kind: 'exponential', half_life_days: 0 })).toEqual([
      { field: 'time_decay.half_life_days', message: 'expected a half-life in days > 0 and ≤ 1000000' },
    ])
    expect(errors({ kind: 'exponential', half_life_days: 7, missing: 2 })[0]?.field).toBe('time_decay.missing')
    expect(errors({ kind: 'step', after_days: 30 })).toEqual([
      { field: 'time_decay.factor', message: 'expected "factor" together with "after_days"' },
    ])
    expect(errors({ kind: 'linear' })[0]?.field).toBe('time_decay.kind')
    expect(errors({ kind: 'exponential', half_life: 7 }).map((e) => e.field)).toContain('time_decay.half_life_days')
  })

  it('rejects step factors that rise with age', () => {
    const e = errors({ kind: 'step', steps: [{ after_days: 30, factor: 0.5 }, { after_days: 90, factor: 0.9 }] })
    expect(e[0]?.field).toBe('time_decay.steps')
    expect(e[0]?.message).toMatch(/do not increase/)
  })
})

const configArb: fc.Arbitrary<TimeDecay> = fc.oneof(
  fc
    .record({ half_life_days: fc.double({ min: 0.01, max: 10_000, noNaN: true }), missing: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map((c) => timeDecaySchema.parse({ kind: 'exponential', ...c })),
  fc
    .array(fc.record({ after_days: fc.double({ min: 0, max: 5000, noNaN: true }), factor: fc.double({ min: 0, max: 1, noNaN: true }) }), {
      minLength: 1,
      maxLength: 5,
    })
    .map((steps) => {
      // Make factors non-increasing in after_days, as the schema demands.
      const sorted = [...steps].sort((a, b) => a.after_days - b.after_days)
      let floor = 1
      const valid = sorted.map((s) => ((floor = Math.min(floor, s.factor)), { after_days: s.after_days, factor: floor }))
      return timeDecaySchema.parse({ kind: 'step', steps: valid })
    }),
)

describe('time decay properties', () => {
  it('is bounded in [0, 1] and monotone non-increasing in age', () => {
    fc.assert(
      fc.property(configArb, fc.double({ min: -1e4, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (config, age, extra) => {
        const a = decayAt(age, config)
        const b = decayAt(age + extra, config)
        expect(a).toBeGreaterThanOrEqual(0)
        expect(a).toBeLessThanOrEqual(1)
        expect(b).toBeLessThanOrEqual(a)
      }),
    )
  }, 30_000)

  it('through timeScore: an older date never scores higher than a newer one', () => {
    fc.assert(
      fc.property(configArb, fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 20_000 }), (config, d1, d2) => {
        const iso = (days: number) => new Date(NOW - days * MS_PER_DAY).toISOString()
        const [newer, older] = d1 <= d2 ? [d1, d2] : [d2, d1]
        const s = timeScore(iso(newer), NOW, config)
        expect(timeScore(iso(older), NOW, config)).toBeLessThanOrEqual(s)
        expect(s).toBeGreaterThanOrEqual(0)
        expect(s).toBeLessThanOrEqual(1)
      }),
    )
  }, 30_000)
})
