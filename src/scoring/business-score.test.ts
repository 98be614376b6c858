import { describe, expect, it } from 'vitest'
import { boostRuleSchema, boostRulesSchema, businessScore, ruleName, type BoostRule } from './business-score'
import { zodFieldErrors } from '../lib/zod-error'

const rules: BoostRule[] = boostRulesSchema.parse([
  { when: { field: 'is_new', equals: true }, add: 0.1, name: 'new-arrival' },
  { when: { field: 'sales', gte: 1000 }, add: 0.05 },
])

describe('businessScore', () => {
  it('normalises fired points by the most the rules can give', () => {
    expect(businessScore({ text: '', fields: { is_new: true, sales: 5000 } }, rules)).toEqual({
      score: 1,
      active: true,
      fired: ['new-arrival', 'sales >= 1000'],
      points: [0.1, 0.05],
    })
    expect(businessScore({ text: '', fields: { is_new: true, sales: 10 } }, rules).score).toBeCloseTo(0.1 / 0.15, 12)
    expect(businessScore({ text: '', fields: { sales: 1000 } }, rules).score).toBeCloseTo(0.05 / 0.15, 12)
    expect(businessScore({ text: '' }, rules)).toMatchObject({ score: 0, active: true, fired: [] })
  })

  it("counts a rule's add against the other rules only (README: a lone rule moves a document by the whole business weight)", () => {
    const lone = (add: number) => boostRulesSchema.parse([{ when: { field: 'is_new', equals: true }, add }])
    const fired = { text: '', fields: { is_new: true } }
    for (const add of [0.001, 0.1, 1]) {
      expect(businessScore(fired, lone(add)).score).toBe(1)
      expect(businessScore({ text: '' }, lone(add)).score).toBe(0)
    }
    // Only the ratio between rules matters: both scaled by 10, the same scores.
    const scaled = boostRulesSchema.parse([
      { when: { field: 'is_new', equals: true }, add: 0.01 },
      { when: { field: 'sales', gte: 1000 }, add: 0.005 },
    ])
    const doc = { text: '', fields: { is_new: true, sales: 10 } }
    expect(businessScore(doc, scaled).score).toBeCloseTo(businessScore(doc, rules).score, 12)
  })

  it('maps an authority order to descending points, unlisted sources last', () => {
    const order = boostRulesSchema.parse([{ source_order: ['court', 'ministry', 'blog'] }])
    const s = (source?: string) => businessScore({ text: '', source }, order).score
    expect(s('court')).toBeCloseTo(1, 12)
    expect(s('ministry')).toBeCloseTo(2 / 3, 12)
    expect(s('blog')).toBeCloseTo(1 / 3, 12)
    expect(s('forum')).toBe(0)
    expect(s(undefined)).toBe(0)
    expect(businessScore({ text: '', source: 'court' }, order).fired).toEqual(['source_order'])
  })

  it('places demotions at the bottom of the range', () => {
    const mixed = boostRulesSchema.parse([
      { when: { field: 'is_new', equals: true }, add: 0.1 },
      { when: { field: 'stock', lte: 0 }, add: -0.1, name: 'sold-out' },
    ])
    expect(businessScore({ text: '', fields: { stock: 0 } }, mixed).score).toBe(0)
    expect(businessScore({ text: '', fields: { stock: 5 } }, mixed).score).toBeCloseTo(0.5, 12)
    expect(businessScore({ text: '', fields: { stock: 5, is_new: true } }, mixed).score).toBe(1)
  })

  it('is inactive without rules that can move it', () => {
    expect(businessScore({ text: '' }, [])).toEqual({ score: 0, active: false, fired: [], points: [] })
    expect(businessScore({ text: '', fields: { a: 1 } }, boostRulesSchema.parse([{ when: { field: 'a', equals: 1 }, add: 0 }])).active).toBe(false)
  })

  it('compares strictly: strings never meet numeric ops, absent fields fail all but exists:false', () => {
    const r = boostRulesSchema.parse([
      { when: { field: 'sales', gt: 10 }, add: 0.1, name: 'gt' },
      { when: { field: 'color', exists: false }, add: 0.1, name: 'no-color' },
      { when: { field: 'color', in: ['red', 'blue'] }, add: 0.1, name: 'in' },
      { when: { field: '$source', not_equals: 'blog' }, add: 0.1, name: 'not-blog' },
    ])
    expect(businessScore({ text: '', fields: { sales: '100' } }, r).fired).toEqual(['no-color'])
    expect(businessScore({ text: '', source: 'court', fields: { color: 'red', sales: 11 } }, r).fired).toEqual(['gt', 'in', 'not-blog'])
    expect(businessScore({ text: '', source: 'blog', fields: { color: 'green' } }, r).fired).toEqual([])
  })

  it('derives readable names', () => {
    expect(ruleName(boostRuleSchema.parse({ when: { field: 'tier', in: ['gold', 1] }, add: 0.1 }))).toBe('tier in ["gold", 1]')
    expect(ruleName(boostRuleSchema.parse({ when: { field: 'x', gte: 1, lt: 5 }, add: 0.1 }))).toBe('x >= 1 and < 5')
  })
})

describe('boostRuleSchema', () => {
  const errors = (v: unknown) => {
    const r = boostRulesSchema.safeParse(v)
    return r.success ? [] : zodFieldErrors(r.error, 'fusion.boosts')
  }
  it('gives field-level errors', () => {
    expect(errors([{ when: { field: 'sales', gte: 'many' }, add: 0.1 }])).toEqual([
      { field: 'fusion.boosts[0].when.gte', message: 'expected a finite number' },
    ])
    expect(errors([{ when: { field: 'sales', gte: 1 } }])).toEqual([
      { field: 'fusion.boosts[0].add', message: 'expected a number between -1 and 1 (points added when the rule fires)' },
    ])
    expect(errors([{ when: { field: 'sales' }, add: 0.1 }])[0]?.field).toBe('fusion.boosts[0].when')
    expect(errors([{ add: 0.1 }])[0]?.message).toMatch(/expected a rule/)
    expect(errors([{ source_order: ['a', 'a'] }])[0]?.field).toBe('fusion.boosts[0].source_order')
    expect(errors([{ when: { field: 'a', equals: 1 }, add: 2 }])[0]?.field).toBe('fusion.boosts[0].add')
  })
})
