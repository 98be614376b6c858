import { describe, expect, it } from 'vitest'
import { aggregateUnits, type UnitRow } from './unit-aggregate'

const row = (variantIndex: number, patch: Partial<UnitRow>): UnitRow => ({
  variantIndex,
  exposures: 1,
  clicked: 0,
  top1Clicked: 0,
  rrSum: 0,
  converted: 0,
  conversionValue: 0,
  ndcgValues: [],
  ...patch,
})

describe('aggregateUnits', () => {
  it('sums per arm the numerators, denominators, squares and cross-products of each user (by hand)', () => {
    // Arm 0: user A searched 3 times (rank-1 clicks 2, RR sum 2.5, 1 conversion worth 4, grades 1 and 0.5);
    // user B searched once (no click). Arm 1: one user. Arm 7 does not exist: ignored.
    const [a0, a1] = aggregateUnits(
      [
        row(0, { exposures: 3, clicked: 3, top1Clicked: 2, rrSum: 2.5, converted: 1, conversionValue: 4, ndcgValues: [1, 0.5] }),
        row(0, {}),
        row(1, { exposures: 2, top1Clicked: 1, clicked: 1, rrSum: 1 }),
        row(7, { exposures: 9 }),
      ],
      2
    )
    expect(a0).toMatchObject({ exposures: 4, units: 2, clicked: 3, top1Clicked: 2, converted: 1, conversionValue: 4, gradedExposures: 2 })
    // CTR@1: X = (2, 0), Y = (3, 1) → ΣX 2, ΣX² 4, ΣY 4, ΣY² 10, ΣXY 6.
    expect(a0?.ratios.ctr_at_1).toEqual({ units: 2, sumX: 2, sumX2: 4, sumY: 4, sumY2: 10, sumXY: 6 })
    // MRR: X = (2.5, 0) → ΣX² 6.25, ΣXY 7.5.
    expect(a0?.ratios.mrr).toEqual({ units: 2, sumX: 2.5, sumX2: 6.25, sumY: 4, sumY2: 10, sumXY: 7.5 })
    // nDCG: only user A has grades: X = 1.5 over Y = 2 graded searches.
    expect(a0?.ratios.ndcg_at_10).toEqual({ units: 1, sumX: 1.5, sumX2: 2.25, sumY: 2, sumY2: 4, sumXY: 3 })
    expect(a1).toMatchObject({ exposures: 2, units: 1 })
  })

  it('refuses a unit without exposures and a non-finite nDCG', () => {
    expect(() => aggregateUnits([row(0, { exposures: 0 })], 1)).toThrow(RangeError)
    expect(() => aggregateUnits([row(0, { ndcgValues: [Number.NaN] })], 1)).toThrow(RangeError)
  })
})
