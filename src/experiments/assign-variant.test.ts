import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import cases from './growthbook-cases.json'
import { assignVariant, type AssignableExperiment } from './assign-variant'
import { hash } from './growthbook-hash'

/**
 * GrowthBook `run` cases (packages/sdk-js/test/cases.json, MIT; the subset kept in
 * ./growthbook-cases.json): [name, context, experiment, value, inExperiment, hashUsed].
 * Their variations are 0..k-1, so the expected value is the arm index.
 */
type RunCase = [
  name: string,
  context: { attributes?: { id?: string | null } },
  experiment: {
    key: string
    variations: unknown[]
    weights?: number[]
    coverage?: number
    seed?: string
    hashVersion?: number
  },
  value: unknown,
  inExperiment: boolean,
  hashUsed: boolean,
]

function fromGrowthBook(exp: RunCase[2]): AssignableExperiment {
  return {
    id: exp.key,
    seed: exp.seed ?? null,
    coverage: exp.coverage ?? null,
    // GrowthBook's SDK defaults to hash version 1; rerank-edge defaults to 2.
    hash_version: exp.hashVersion ?? 1,
    status: 'running',
    variants: exp.variations.map((_, i) => ({ key: `v${i}`, weight: exp.weights?.[i] ?? 0 })),
  }
}

describe('GrowthBook run cases', () => {
  it.each(cases.run as RunCase[])('%s', (_name, ctx, exp, value, inExperiment) => {
    const experiment = fromGrowthBook(exp)
    // Weights absent in GrowthBook → equal weights; our zeros sum to 0 and fall back the same way.
    const got = assignVariant(experiment, String(ctx.attributes?.id ?? ''))
    expect(got.inExperiment).toBe(inExperiment)
    expect(got.variantIndex).toBe(value)
    expect(got.variantKey).toBe(`v${String(value)}`)
  })
})

const base: AssignableExperiment = {
  id: 'instr-test',
  status: 'running',
  variants: [
    { key: 'control', weight: 0.5 },
    { key: 'treatment', weight: 0.5 },
  ],
}

describe('assignVariant', () => {
  it('uses hash version 2 and the experiment id as seed by default', () => {
    const got = assignVariant(base, 'user-42')
    expect(got.bucket).toBe(hash('instr-test', 'user-42', 2))
    expect(got.variantIndex).toBe((got.bucket as number) < 0.5 ? 0 : 1)
    expect(got).toMatchObject({ inExperiment: true, reason: 'assigned', stopped: false })
  })

  it('uses the seed when one is set, the id when the seed is empty', () => {
    expect(assignVariant({ ...base, seed: 'foo' }, 'u').bucket).toBe(hash('foo', 'u', 2))
    expect(assignVariant({ ...base, seed: '' }, 'u').bucket).toBe(hash('instr-test', 'u', 2))
  })

  it('is sticky: the same unit always gets the same arm', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (unit) => {
        expect(assignVariant(base, unit)).toEqual(assignVariant({ ...base }, unit))
      })
    )
  }, 30_000)

  it('an empty unit id is not in the experiment and gets control', () => {
    expect(assignVariant(base, '')).toEqual({
      inExperiment: false,
      variantIndex: 0,
      variantKey: 'control',
      bucket: null,
      stopped: false,
      reason: 'empty_unit',
    })
  })

  it('a stopped experiment serves control to everyone, flagged, no exposure', () => {
    const stopped = { ...base, status: 'stopped' as const }
    for (let i = 0; i < 200; i++) {
      const got = assignVariant(stopped, `u${i}`)
      expect(got).toMatchObject({ inExperiment: false, variantIndex: 0, variantKey: 'control', stopped: true, reason: 'stopped' })
    }
  })

  it('a draft experiment serves control, no exposure', () => {
    expect(assignVariant({ ...base, status: 'draft' }, 'u1')).toMatchObject({ inExperiment: false, variantIndex: 0, reason: 'draft' })
  })

  it('a unit outside coverage gets control and is not in the experiment', () => {
    const exp = { ...base, coverage: 0.2 }
    let outside = 0
    let inside = 0
    for (let i = 0; i < 2000; i++) {
      const got = assignVariant(exp, `unit-${i}`)
      const b = got.bucket as number
      const expectIn = b < 0.1 || (b >= 0.5 && b < 0.6)
      expect(got.inExperiment).toBe(expectIn)
      if (!expectIn) {
        outside++
        expect(got).toMatchObject({ variantIndex: 0, variantKey: 'control', reason: 'outside_coverage' })
      } else inside++
    }
    // ~20% coverage: a loose sanity bound on 2000 hashed units.
    expect(inside / (inside + outside)).toBeGreaterThan(0.15)
    expect(inside / (inside + outside)).toBeLessThan(0.25)
  })

  it('follows the weights', () => {
    const exp: AssignableExperiment = {
      ...base,
      variants: [
        { key: 'a', weight: 0.1 },
        { key: 'b', weight: 0.3 },
        { key: 'c', weight: 0.6 },
      ],
    }
    const counts = [0, 0, 0]
    for (let i = 0; i < 10_000; i++) {
      const got = assignVariant(exp, `u${i}`)
      const b = got.bucket as number
      expect(got.variantIndex).toBe(b < 0.1 ? 0 : b < 0.4 ? 1 : 2)
      counts[got.variantIndex]! += 1
    }
    expect(counts[0]! / 10_000).toBeCloseTo(0.1, 1)
    expect(counts[2]! / 10_000).toBeCloseTo(0.6, 1)
  })

  it('an unknown hash version puts nobody in the experiment', () => {
    expect(assignVariant({ ...base, hash_version: 3 }, 'u')).toMatchObject({ inExperiment: false, bucket: null, reason: 'invalid_hash_version' })
  })

  it('a single variant is not an experiment', () => {
    expect(assignVariant({ ...base, variants: [{ key: 'only', weight: 1 }] }, 'u')).toMatchObject({
      inExperiment: false,
      variantKey: 'only',
      reason: 'single_variant',
    })
  })

  it('throws on an experiment without variants', () => {
    expect(() => assignVariant({ ...base, variants: [] }, 'u')).toThrow(/no variants/)
  })
})
