/**
 * A two-arm running experiment and per-user rows for the report's unit tests
 * (src/experiments/report.test.ts, src/ui/experiment-report-page.test.ts).
 */
import type { ExperimentRecord } from '../../src/experiments/experiment-schema'
import type { UnitRow } from '../../src/experiments/unit-aggregate'

export function twoArmExperiment(treatmentInstruction: string): ExperimentRecord {
  return {
    id: 'exp',
    name: 'Exp',
    description: '',
    status: 'running',
    variants: [
      { key: 'control', weight: 0.5, instruction: 'Prefer official documentation' },
      { key: 'treatment', weight: 0.5, instruction: treatmentInstruction },
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
}

/** A user who searched `n` times and clicked rank 1 `top1` times (and nothing else). */
export const clickUser = (variantIndex: number, n: number, top1: number): UnitRow => ({
  variantIndex,
  exposures: n,
  clicked: top1,
  top1Clicked: top1,
  rrSum: top1,
  converted: 0,
  conversionValue: 0,
  ndcgValues: [],
})
