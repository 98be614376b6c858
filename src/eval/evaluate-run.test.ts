import { describe, expect, it } from 'vitest'
import { evaluateRun } from './evaluate-run'
import { parseQrels } from './qrels'
import { parseRun } from './run-file'
import { formatFixed4, formatTrecLines } from './trec-format'

const QRELS = parseQrels(['q1 0 a 2', 'q1 0 b 0', 'q2 0 c 1', 'q2 0 d 3', 'q3 0 e 1'].join('\n'))
const RUN = parseRun(
  [
    'q1 Q0 a 1 0.9 r', // q1: relevant first
    'q1 Q0 b 2 0.1 r',
    'q2 Q0 c 1 0.8 r', // q2: c (1) above d (3)
    'q2 Q0 d 2 0.7 r',
    'q9 Q0 z 1 1.0 r', // not judged: not measured
  ].join('\n'),
)

describe('evaluateRun', () => {
  it('averages over queries present in both run and qrels', () => {
    const e = evaluateRun(QRELS, RUN)
    expect(e.numQueries).toBe(2)
    expect([...e.perQuery.keys()]).toEqual(['q1', 'q2'])
    expect(e.unjudgedQueries).toEqual(['q9'])
    expect(e.missingQueries).toEqual(['q3'])
    // q1: everything 1. q2 at -l 1: P_1 1, MRR 1, MAP 1, recall 1;
    // nDCG@5 = (1 + 3/log2(3)) / (3 + 1/log2(3)).
    const q2ndcg = (1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3))
    expect(e.mean.ndcg_cut_5).toBeCloseTo((1 + q2ndcg) / 2, 15)
    expect(e.mean.recip_rank).toBe(1)
    expect(e.mean.map).toBe(1)
  })

  it('binary measures follow the level', () => {
    const e = evaluateRun(QRELS, RUN, 2)
    // q2 at -l 2: only d (grade 3) counts, at rank 2.
    expect(e.perQuery.get('q2')?.recip_rank).toBe(0.5)
    expect(e.mean.recip_rank).toBe(0.75)
    expect(e.mean.P_1).toBe(0.5)
    expect(() => evaluateRun(QRELS, RUN, 1.5)).toThrow(RangeError)
  })

  it('returns zeros with no common query', () => {
    const e = evaluateRun(QRELS, parseRun('zz Q0 a 1 1 r\n'))
    expect(e.numQueries).toBe(0)
    expect(e.mean.ndcg_cut_10).toBe(0)
  })
})

describe('trec-format', () => {
  it('prints %6.4f like C: an exact tie rounds to even', () => {
    expect(formatFixed4(0.50583100243)).toBe('0.5058')
    expect(formatFixed4(1)).toBe('1.0000')
    expect(formatFixed4(0)).toBe('0.0000')
    expect(formatFixed4(1 / 32)).toBe('0.0312') // 0.03125 exactly: toFixed would say 0.0313
    expect(formatFixed4(3 / 32)).toBe('0.0938') // 0.09375 exactly: up to the even 8
    expect(formatFixed4(0.00015)).toBe('0.0001') // the double is just below 0.00015
    expect(formatFixed4(0.99995)).toBe('1.0000') // just above: Python's '%.4f' agrees
  })

  it('writes measure<TAB>qid<TAB>value lines', () => {
    const lines = formatTrecLines({ ndcg_cut_5: 0.5, ndcg_cut_10: 0.25, recip_rank: 1, P_1: 1, map: 0.125, recall_10: 0 })
    expect(lines).toBe(
      'ndcg_cut_5\tall\t0.5000\nndcg_cut_10\tall\t0.2500\nrecip_rank\tall\t1.0000\nP_1\tall\t1.0000\nmap\tall\t0.1250\nrecall_10\tall\t0.0000\n',
    )
  })
})
