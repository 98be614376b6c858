import { describe, expect, it } from 'vitest'
import { type Measures, measureQuery } from './measures'
import type { RunEntry } from './trec-order'

// Judgments of one query: d7 is in the pool but unjudged (−1); d5 is relevant but never retrieved.
const JUDGED = new Map([
  ['d1', 3],
  ['d2', 0],
  ['d3', 2],
  ['d4', 1],
  ['d5', 2],
  ['d7', -1],
  ['d8', 1],
])
// Ranked by score: d2 (0), d1 (3), d6 (not in qrels), d3 (2), d4 (1), d7 (unjudged), d8 (1).
const RANKING: RunEntry[] = [
  { docno: 'd4', score: 1 },
  { docno: 'd2', score: 5 },
  { docno: 'd8', score: 0.25 },
  { docno: 'd1', score: 4 },
  { docno: 'd6', score: 3 },
  { docno: 'd3', score: 2 },
  { docno: 'd7', score: 0.5 },
]
const log2 = Math.log2

describe('measureQuery (trec_eval rules, computed by hand)', () => {
  it('ndcg_cut: raw grades as gains, ideal DCG from every judged doc of the query', () => {
    const m = measureQuery(JUDGED, RANKING)
    // DCG@5 = 3/log2(3) + 2/log2(5) + 1/log2(6); ideal grades 3,2,2,1,1 (d5 counts though unretrieved)
    const dcg5 = 3 / log2(3) + 2 / log2(5) + 1 / log2(6)
    const idcg5 = 3 + 2 / log2(3) + 2 / log2(4) + 1 / log2(5) + 1 / log2(6)
    expect(m.ndcg_cut_5).toBeCloseTo(dcg5 / idcg5, 12)
    expect(m.ndcg_cut_5).toBeCloseTo(0.5167, 4)
    // DCG@10 adds d8 at rank 7: 1/log2(8); the ideal list has only five positive grades.
    expect(m.ndcg_cut_10).toBeCloseTo((dcg5 + 1 / 3) / idcg5, 12)
  })

  it('binary measures at the default level 1', () => {
    const m = measureQuery(JUDGED, RANKING)
    // relevant (grade ≥ 1): d1 d3 d4 d5 d8 → 5; retrieved relevant at ranks 2, 4, 5, 7
    expect(m.recip_rank).toBe(1 / 2)
    expect(m.P_1).toBe(0)
    expect(m.map).toBeCloseTo((1 / 2 + 2 / 4 + 3 / 5 + 4 / 7) / 5, 15)
    expect(m.recall_10).toBe(4 / 5)
  })

  it('-l 2 and -l 3 change binary measures, not nDCG', () => {
    const l1 = measureQuery(JUDGED, RANKING, 1)
    const l2 = measureQuery(JUDGED, RANKING, 2)
    const l3 = measureQuery(JUDGED, RANKING, 3)
    // grade ≥ 2: d1 d3 d5 → ranks 2 and 4 retrieved
    expect(l2.map).toBeCloseTo((1 / 2 + 2 / 4) / 3, 15)
    expect(l2.recall_10).toBeCloseTo(2 / 3, 15)
    // grade 3: d1 only
    expect(l3.map).toBe(1 / 2)
    expect(l3.recall_10).toBe(1)
    expect(l2.ndcg_cut_10).toBe(l1.ndcg_cut_10)
    expect(l3.ndcg_cut_5).toBe(l1.ndcg_cut_5)
  })

  it('P_1 and recip_rank are 1 when the first document is relevant', () => {
    const m = measureQuery(JUDGED, [
      { docno: 'd3', score: 9 },
      { docno: 'd2', score: 1 },
    ])
    expect(m.P_1).toBe(1)
    expect(m.recip_rank).toBe(1)
  })

  it('P_k divides by k even when fewer documents are retrieved; recip_rank has no cutoff', () => {
    const far: RunEntry[] = Array.from({ length: 30 }, (_, i) => ({ docno: `x${i}`, score: 100 - i }))
    far.push({ docno: 'd1', score: 0 })
    const m = measureQuery(JUDGED, far)
    expect(m.recip_rank).toBe(1 / 31)
    expect(m.ndcg_cut_10).toBe(0)
    expect(m.recall_10).toBe(0)
  })

  it('uses the docno tie-break: "9" before "100" before "10"', () => {
    const tied: RunEntry[] = [
      { docno: '10', score: 1 },
      { docno: '100', score: 1 },
      { docno: '9', score: 1 },
    ]
    expect(measureQuery(new Map([['10', 1]]), tied).recip_rank).toBe(1 / 3)
    expect(measureQuery(new Map([['100', 1]]), tied).recip_rank).toBe(1 / 2)
    expect(measureQuery(new Map([['9', 1]]), tied).recip_rank).toBe(1)
    // nDCG@5 with '10' graded 2: 2/log2(4) over the ideal 2
    expect(measureQuery(new Map([['10', 2]]), tied).ndcg_cut_5).toBeCloseTo(0.5, 15)
  })

  it('a query with no relevant documents scores 0 everywhere', () => {
    const m = measureQuery(new Map([['d2', 0]]), RANKING)
    const zero: Measures = { ndcg_cut_5: 0, ndcg_cut_10: 0, recip_rank: 0, P_1: 0, map: 0, recall_10: 0 }
    expect(m).toEqual(zero)
  })

  it('every measure changes when the ranking changes', () => {
    const before = measureQuery(JUDGED, RANKING)
    const after = measureQuery(JUDGED, [...RANKING, { docno: 'd5', score: 10 }]) // the missing grade-2 doc, on top
    for (const name of Object.keys(before) as Array<keyof Measures>) {
      expect(after[name], name).not.toBe(before[name])
    }
  })

  it('every measure changes when the judgments change', () => {
    const before = measureQuery(JUDGED, RANKING)
    const judged = new Map(JUDGED)
    judged.set('d2', 3) // the top document becomes highly relevant
    const after = measureQuery(judged, RANKING)
    for (const name of Object.keys(before) as Array<keyof Measures>) {
      expect(after[name], name).not.toBe(before[name])
    }
  })
})
