/**
 * @module assign-variant
 * Sticky, deterministic arm assignment for an instruction experiment, following GrowthBook's
 * `_run` (packages/sdk-js/src/core.ts): n = hash(seed || key, unitId, hashVersion), ranges =
 * getBucketRanges(arms, coverage, weights), arm = chooseVariation(n, ranges). The only state is
 * the experiment definition, so the same unit always gets the same arm on every edge location.
 * Pure: no I/O, no clock, no randomness.
 */
import { chooseVariation, getBucketRanges, hash } from './growthbook-hash'

/** What assignment needs from an experiment (a subset of the D1 row / admin schema). */
export interface AssignableExperiment {
  id: string
  /** Hash seed; empty or absent → the experiment id (GrowthBook: `experiment.seed || key`). */
  seed?: string | null
  /** Share of units in the experiment, in [0, 1]; absent → 1. */
  coverage?: number | null
  /** 2 by default (D1 `hash_version DEFAULT 2`); 1 is GrowthBook's legacy hash. */
  hash_version?: number | null
  status: 'draft' | 'running' | 'stopped'
  variants: readonly { key: string; weight: number }[]
}

/**
 * Why the unit got its arm:
 * - `assigned`: in the experiment; record an exposure.
 * - `stopped`: the experiment is stopped; everyone gets the control arm (index 0), no exposure.
 * - `draft`: not started; control arm, no exposure.
 * - `empty_unit`: no unit id; control arm, no exposure (GrowthBook skips an empty hash value).
 * - `outside_coverage`: the unit's bucket is in no arm's range; control arm, no exposure.
 * - `single_variant`: fewer than two arms; control arm, no exposure (GrowthBook skips these).
 * - `invalid_hash_version`: a hash version other than 1 or 2; control arm, no exposure.
 */
export type AssignmentReason =
  | 'assigned'
  | 'stopped'
  | 'draft'
  | 'empty_unit'
  | 'outside_coverage'
  | 'single_variant'
  | 'invalid_hash_version'

export interface Assignment {
  /** True only when an exposure should be recorded (reason `assigned`). */
  inExperiment: boolean
  /** The arm served: the assigned one, else 0 (control). */
  variantIndex: number
  variantKey: string
  /** The unit's hash in [0, 1), or null when none was computed (empty unit, bad hash version). */
  bucket: number | null
  /** The experiment is stopped: the control arm is served to everyone. */
  stopped: boolean
  reason: AssignmentReason
}

const DEFAULT_HASH_VERSION = 2

/**
 * Assign `unitId` to an arm of `experiment`.
 * Throws a plain Error for an experiment with no variants (the admin schema never stores one).
 *
 * @example
 * assignVariant({ id: 'key', seed: 'foo', status: 'running',
 *   variants: [{ key: 'a', weight: 0.5 }, { key: 'b', weight: 0.5 }] }, '1')
 * // → { inExperiment: true, variantIndex: 1, variantKey: 'b', bucket: 0.5844, ... }
 */
export function assignVariant(experiment: AssignableExperiment, unitId: string): Assignment {
  const control = experiment.variants[0]
  if (!control) throw new Error(`experiment ${experiment.id} has no variants`)

  const hashVersion = experiment.hash_version ?? DEFAULT_HASH_VERSION
  const seed = experiment.seed ? experiment.seed : experiment.id
  const bucket = unitId === '' ? null : hash(seed, unitId, hashVersion)

  const notIn = (reason: AssignmentReason): Assignment => ({
    inExperiment: false,
    variantIndex: 0,
    variantKey: control.key,
    bucket,
    stopped: experiment.status === 'stopped',
    reason,
  })

  if (experiment.status === 'stopped') return notIn('stopped')
  if (experiment.status === 'draft') return notIn('draft')
  if (unitId === '') return notIn('empty_unit')
  if (experiment.variants.length < 2) return notIn('single_variant')
  if (bucket === null) return notIn('invalid_hash_version')

  const ranges = getBucketRanges(
    experiment.variants.length,
    experiment.coverage ?? 1,
    experiment.variants.map((v) => v.weight)
  )
  const index = chooseVariation(bucket, ranges)
  const variant = experiment.variants[index]
  if (index < 0 || !variant) return notIn('outside_coverage')

  return {
    inExperiment: true,
    variantIndex: index,
    variantKey: variant.key,
    bucket,
    stopped: false,
    reason: 'assigned',
  }
}
