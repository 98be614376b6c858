import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StructuredDocument } from '../documents/document'
import { boostRulesSchema } from './business-score'
import { resolveFusion, type ResolvedFusion } from './fusion'
import { rankDocuments } from './rank'
import { timeDecaySchema } from './time-decay'

const NOW = Date.UTC(2025, 5, 1)

function fusion(call: Parameters<typeof resolveFusion>[0], timeDecay: boolean): ResolvedFusion {
  const r = resolveFusion(call, undefined, { timeDecay })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.fusion
}

describe('rankDocuments', () => {
  it('with no boosts and no time decay, the final score is the model score', () => {
    const out = rankDocuments({ documents: ['a', 'b', 'c'], modelScores: [0.2, 0.9, 0.5], nowMs: NOW, fusion: fusion(undefined, false) })
    expect(out.map((r) => [r.index, r.relevance_score])).toEqual([
      [1, 0.9],
      [2, 0.5],
      [0, 0.2],
    ])
    expect(out[0]?.explanation).toEqual({
      final: 0.9,
      components: { semantic: 0.9, business: null, time: null },
      weights: { semantic: 1, business: 0, time: 0 },
      fired: [],
      points: [],
    })
  })

  it('ranks the newer of two otherwise identical documents first under time decay, and explains why', () => {
    const timeDecay = timeDecaySchema.parse({ kind: 'exponential', half_life_days: 30 })
    const docs: StructuredDocument[] = [
      { text: 'same', id: 'old', published_at: '2024-06-01' },
      { text: 'same', id: 'new', published_at: '2025-05-01' },
    ]
    const run = () => rankDocuments({ documents: docs, modelScores: [0.7, 0.7], nowMs: NOW, timeDecay, fusion: fusion(undefined, true) })
    const out = run()
    expect(out.map((r) => r.id)).toEqual(['new', 'old'])
    const [first, second] = out
    expect(first?.explanation.time).toMatchObject({ rule: 'aged', age_days: 31, published_at: '2025-05-01' })
    expect(first?.explanation.components.time).toBeCloseTo(Math.pow(0.5, 31 / 30), 12)
    expect(second?.explanation.time?.age_days).toBe(365)
    expect(first?.explanation.weights.semantic).toBeCloseTo(6 / 7, 12)
    expect(first?.explanation.weights.time).toBeCloseTo(1 / 7, 12)
    expect(first?.explanation.weights.business).toBe(0)
    expect(first!.relevance_score).toBeGreaterThan(second!.relevance_score)
    expect(run()).toEqual(out) // fixed now: same result every run
  })

  it('reports fired rules per result', () => {
    const boosts = boostRulesSchema.parse([{ name: 'new-arrival', when: { field: 'is_new', equals: true }, add: 0.1 }])
    const out = rankDocuments({
      documents: [{ text: 'x', fields: { is_new: false } }, { text: 'y', fields: { is_new: true } }],
      modelScores: [0.6, 0.5],
      nowMs: NOW,
      fusion: fusion({ boosts }, false),
    })
    expect(out.map((r) => r.index)).toEqual([1, 0])
    expect(out[0]?.explanation.fired).toEqual(['new-arrival'])
    expect(out[0]?.relevance_score).toBeCloseTo((0.6 * 0.5 + 0.3 * 1) / 0.9, 12)
    expect(out[1]?.explanation.fired).toEqual([])
  })

  it('refuses a score count that does not match the documents', () => {
    expect(() => rankDocuments({ documents: ['a'], modelScores: [], nowMs: NOW, fusion: fusion(undefined, false) })).toThrow(RangeError)
  })

  const docArb = fc.record({
    text: fc.constantFrom('alpha', 'beta', 'gamma'),
    published_at: fc.option(fc.constantFrom('2023-01-01', '2024-06', '2025-05-30T12:00:00Z', '2026-01-01'), { nil: undefined }),
    source: fc.option(fc.constantFrom('court', 'ministry', 'blog', 'forum'), { nil: undefined }),
    fields: fc.record({ is_new: fc.boolean(), sales: fc.integer({ min: 0, max: 3000 }) }, { requiredKeys: [] }),
  })

  it('property: permuting the input documents does not change the output order (as ids)', () => {
    const boosts = boostRulesSchema.parse([
      { when: { field: 'is_new', equals: true }, add: 0.1 },
      { when: { field: 'sales', gte: 1000 }, add: 0.05 },
      { source_order: ['court', 'ministry', 'blog'] },
    ])
    const timeDecay = timeDecaySchema.parse({ kind: 'step', steps: [{ after_days: 30, factor: 0.8 }, { after_days: 365, factor: 0.3 }] })
    // The model score is a function of the document's text, as a real model's is; ties are frequent.
    const model = (d: StructuredDocument) => ({ alpha: 0.8, beta: 0.5, gamma: 0.5 })[d.text] ?? 0
    fc.assert(
      fc.property(
        fc.uniqueArray(docArb.map((d) => d), { minLength: 1, maxLength: 12, selector: (d) => JSON.stringify(d) }).chain((docs) =>
          fc.tuple(fc.constant(docs.map((d, i) => ({ ...d, id: `doc-${i}` }))), fc.shuffledSubarray(docs.map((_, i) => i), { minLength: docs.length })),
        ),
        fc.boolean(),
        ([docs, perm], withDecay) => {
          const f = fusion({ boosts }, withDecay)
          const rank = (ds: StructuredDocument[]) =>
            rankDocuments({ documents: ds, modelScores: ds.map(model), nowMs: NOW, timeDecay: withDecay ? timeDecay : undefined, fusion: f })
          const base = rank(docs)
          const permuted = perm.map((i) => docs[i]!)
          const again = rank(permuted)
          expect(again.map((r) => r.id)).toEqual(base.map((r) => r.id))
          expect(again.map((r) => r.relevance_score)).toEqual(base.map((r) => r.relevance_score))
          for (const r of again) {
            expect(r.relevance_score).toBeGreaterThanOrEqual(0)
            expect(r.relevance_score).toBeLessThanOrEqual(1)
            expect(permuted[r.index]?.id).toBe(r.id)
          }
        },
      ),
    )
  }, 30_000)
})
