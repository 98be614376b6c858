/**
 * GrowthBook compatibility: every vector of the hash, getBucketRange, chooseVariation,
 * inNamespace and getEqualWeights sections of GrowthBook's published test cases
 * (github.com/growthbook/growthbook, packages/sdk-js/test/cases.json, MIT licence; copied
 * verbatim into ./growthbook-cases.json, see its `_source`).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import cases from './growthbook-cases.json'
import {
  chooseVariation,
  fnv1a32,
  getBucketRanges,
  getEqualWeights,
  hash,
  inNamespace,
  type VariationRange,
} from './growthbook-hash'

type HashCase = [seed: string, value: string, version: number, expected: number | null]
type BucketCase = [name: string, args: [number, number, number[] | null], expected: number[][]]
type ChooseCase = [name: string, n: number, ranges: [number, number][], expected: number]
type NamespaceCase = [name: string, id: string, ns: [string, number, number], expected: boolean]
type EqualWeightsCase = [n: number, expected: number[]]

// GrowthBook's own test truncates to 8 decimals before comparing ranges (json.test.ts `round`).
const round8 = (n: number) => Math.floor(n * 1e8) / 1e8
const roundRanges = (rs: readonly (readonly number[])[]) => rs.map((r) => r.map(round8))

describe('GrowthBook vectors', () => {
  it('carries the sections the brief names, none empty', () => {
    expect((cases.hash as HashCase[]).length).toBe(15)
    expect((cases.getBucketRange as BucketCase[]).length).toBe(13)
    expect((cases.chooseVariation as ChooseCase[]).length).toBe(13)
    expect((cases.inNamespace as NamespaceCase[]).length).toBe(16)
  })

  it.each(cases.hash as HashCase[])('hash(%j, %j, %d) = %s', (seed, value, version, expected) => {
    expect(hash(seed, value, version)).toBe(expected)
  })

  it.each(cases.getBucketRange as BucketCase[])('getBucketRanges: %s', (_name, args, expected) => {
    const got = getBucketRanges(args[0], args[1], args[2] ?? undefined)
    expect(roundRanges(got)).toEqual(roundRanges(expected))
  })

  it.each(cases.chooseVariation as ChooseCase[])('chooseVariation: %s', (_name, n, ranges, expected) => {
    expect(chooseVariation(n, ranges as VariationRange[])).toBe(expected)
  })

  it.each(cases.inNamespace as NamespaceCase[])('inNamespace: %s', (_name, id, ns, expected) => {
    expect(inNamespace(id, ns)).toBe(expected)
  })

  it.each(cases.getEqualWeights as EqualWeightsCase[])('getEqualWeights(%d)', (n, expected) => {
    expect(getEqualWeights(n).map(round8)).toEqual(expected.map(round8))
  })
})

describe('fnv1a32', () => {
  // Reference values of the FNV-1a 32-bit test suite (isthe.com/chongo/src/fnv/test_fnv.c).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('fnv1a32(%j)', (input, expected) => {
    expect(fnv1a32(input)).toBe(expected)
  })

  it('hashes UTF-16 code units, not UTF-8 bytes', () => {
    // 'é' is one code unit 0xE9 (UTF-8 would be two bytes 0xC3 0xA9).
    const oneUnit = Math.imul(0x811c9dc5 ^ 0xe9, 0x01000193) >>> 0
    expect(fnv1a32('é')).toBe(oneUnit)
    // An astral character is two code units (a surrogate pair).
    const pair = Math.imul(Math.imul(0x811c9dc5 ^ 0xd83d, 0x01000193) ^ 0xde00, 0x01000193) >>> 0
    expect(fnv1a32('😀')).toBe(pair)
  })
})

describe('hash properties', () => {
  it('version 2 is in [0, 1) with 4 decimals; version 1 with 3 decimals', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (seed, value) => {
        const v2 = hash(seed, value, 2)
        const v1 = hash(seed, value, 1)
        expect(v2).not.toBeNull()
        expect(v1).not.toBeNull()
        expect(v2 as number).toBeGreaterThanOrEqual(0)
        expect(v2 as number).toBeLessThan(1)
        expect(Number.isInteger(Math.round((v2 as number) * 10000))).toBe(true)
        expect(Math.abs((v2 as number) * 10000 - Math.round((v2 as number) * 10000))).toBeLessThan(1e-6)
        expect(Math.abs((v1 as number) * 1000 - Math.round((v1 as number) * 1000))).toBeLessThan(1e-6)
      })
    )
  }, 30_000)

  it('getBucketRanges: ranges are within [0, 1], start at the cumulative weight, cover `coverage`', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (k, coverage) => {
          const ranges = getBucketRanges(k, coverage)
          expect(ranges).toHaveLength(k)
          let covered = 0
          ranges.forEach(([s, e], i) => {
            expect(s).toBeCloseTo(i / k, 12)
            expect(e).toBeGreaterThanOrEqual(s)
            expect(e).toBeLessThanOrEqual(1 + 1e-12)
            covered += e - s
          })
          expect(covered).toBeCloseTo(coverage, 9)
        }
      )
    )
  }, 30_000)

  it('a NaN coverage excludes everyone instead of producing NaN ranges', () => {
    expect(getBucketRanges(2, Number.NaN)).toEqual([
      [0, 0],
      [0.5, 0.5],
    ])
  })
})
