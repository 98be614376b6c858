import { describe, expect, it } from 'vitest'
import type { ExperimentRecord } from './experiment-repo'
import { buildExperimentReport } from './report'
import type { ArmAggregate } from './report-repo'

const experiment: ExperimentRecord = {
  id: 'exp',
  name: 'Exp',
  description: '',
  status: 'running',
  variants: [
    { key: 'control', weight: 0.5, instruction: 'a' },
    { key: 'treatment', weight: 0.5, instruction: 'b' },
  ],
  coverage: 1,
  seed: null,
  hash_version: 2,
  version: 2,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  stopped_at: null,
}

const arm = (i: number, patch: Partial<ArmAggregate>): ArmAggregate => ({
  variantIndex: i,
  exposures: 0,
  units: 0,
  clicked: 0,
  top1Clicked: 0,
  rrSum: 0,
  rrSumSq: 0,
  converted: 0,
  conversionValue: 0,
  ndcgValues: [],
  ...patch,
})

describe('buildExperimentReport', () => {
  it('reproduces gbstats test_two_sided_ttest_binom on CTR@1 (14/28 vs 16/30)', () => {
    const r = buildExperimentReport(
      experiment,
      [arm(0, { exposures: 28, units: 28, top1Clicked: 14, clicked: 14, rrSum: 14, rrSumSq: 14 }), arm(1, { exposures: 30, units: 30, top1Clicked: 16, clicked: 16, rrSum: 16, rrSumSq: 16 })],
      { generatedAt: '2026-01-02T00:00:00.000Z' }
    )
    const rel = r.comparisons[0]?.metrics.ctr_at_1.relative
    expect(rel?.estimate).toBeCloseTo(0.06667, 5)
    expect(rel?.ci[0]).toBeCloseTo(-0.47767, 5)
    expect(rel?.ci[1]).toBeCloseTo(0.61101, 5)
    expect(rel?.p_value).toBeCloseTo(0.80707, 5)
    // With every click at rank 1, MRR equals CTR@1 as a mean; its variance has the n − 1 correction.
    expect(r.arms[0]?.metrics.mrr.mean).toBeCloseTo(0.5, 12)
    expect(r.arms[0]?.metrics.mrr.variance).toBeCloseTo((14 - 14 * 14 / 28) / 27, 12)
  })

  it('says why there is no test for an arm without data, and never reports NaN', () => {
    const r = buildExperimentReport(experiment, [arm(0, { exposures: 10, units: 10, top1Clicked: 3 }), arm(1, {})], { generatedAt: 'now' })
    expect(r.comparisons[0]?.metrics.ctr_at_1).toMatchObject({ relative: null, error: 'too_few_units', significant: false })
    expect(r.arms[1]?.metrics.ndcg_at_10).toEqual({ n: 0, mean: 0, variance: 0, ci: null })
    const nonFinite: string[] = []
    JSON.stringify(r, (k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) nonFinite.push(k)
      return v
    })
    expect(nonFinite).toEqual([])
  })
})
