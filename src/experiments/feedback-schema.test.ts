import { describe, expect, it } from 'vitest'
import { droppedGradeKey, feedbackBodySchema, planFeedback } from './feedback-schema'

const parse = (v: unknown) => feedbackBodySchema.parse(v)

describe('feedback body', () => {
  it('normalises integer ids to strings and `conversion: true` to 1', () => {
    expect(parse({ request_id: 'r-1', clicks: [3, 'a'], conversion: true })).toEqual({ request_id: 'r-1', clicks: ['3', 'a'], conversion: 1 })
  })

  it('names a "__proto__" grade, which zod\'s record would drop unchecked, and nothing else', () => {
    const raw = JSON.parse('{"request_id":"r","grades":{"__proto__":3,"d1":1}}') as Record<string, unknown>
    expect(Object.keys(parse(raw).grades ?? {})).toEqual(['d1'])
    expect(droppedGradeKey(raw)).toMatchObject({ field: 'grades.__proto__' })
    expect(droppedGradeKey({ request_id: 'r', grades: { constructor: 1, toString: 2 } })).toBeUndefined()
    expect(droppedGradeKey({ request_id: 'r', grades: null })).toBeUndefined()
    expect(droppedGradeKey(JSON.parse('{"request_id":"r","__proto__":{"grades":1}}') as Record<string, unknown>)).toBeUndefined()
  })

  it('needs something to record', () => {
    expect(feedbackBodySchema.safeParse({ request_id: 'r', clicks: [] }).success).toBe(false)
  })
})

describe('planFeedback', () => {
  const ranked = ['d2', 'd0', '7', 'd0']
  it('ranks as the online metrics do when an id was served twice: once, at its first rank, later ids moved up', async () => {
    const { reciprocalRankOfFirstClick } = await import('./ranking-metrics')
    const servedTwice = ['x', 'x', 'b']
    const plan = planFeedback(parse({ request_id: 'r', clicks: ['b'] }), servedTwice)
    expect(plan).toMatchObject({ ok: true, rows: [{ kind: 'click', docId: 'b', rank: 2 }] })
    expect(reciprocalRankOfFirstClick({ ranked_ids: servedTwice, clicks: ['b'] })).toBe(1 / 2)
  })

  it('records each click and grade with the rank it was served at (first occurrence)', () => {
    const plan = planFeedback(parse({ request_id: 'r', clicks: ['d0', '7'], grades: { d2: 3 }, conversion: 4 }), ranked)
    expect(plan).toEqual({
      ok: true,
      rows: [
        { kind: 'click', docId: 'd0', rank: 2, grade: null, value: null },
        { kind: 'click', docId: '7', rank: 3, grade: null, value: null },
        { kind: 'grade', docId: 'd2', rank: 1, grade: 3, value: null },
        { kind: 'conversion', docId: null, rank: null, grade: null, value: 4 },
      ],
    })
  })

  it('names the first id that was not served', () => {
    expect(planFeedback(parse({ request_id: 'r', clicks: ['d0', 'x'] }), ranked)).toMatchObject({ ok: false, field: 'clicks[1]' })
    expect(planFeedback(parse({ request_id: 'r', grades: { y: 1 } }), ranked)).toMatchObject({ ok: false, field: 'grades.y' })
  })
})
