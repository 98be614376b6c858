import { describe, expect, it } from 'vitest'
import { EvalInputError } from './eval-input-error'
import { parseQrels } from './qrels'
import { formatRun, formatRunLines, parseRun } from './run-file'

describe('parseQrels', () => {
  it('reads qid iter docno rel, skipping comments and blank lines', () => {
    const q = parseQrels('# judged by NIST\n1 0 d1 2\n1 0 d2 0\n\n2\tQ0\td9\t-1\n')
    expect([...q.keys()]).toEqual(['1', '2'])
    expect(q.get('1')?.get('d1')).toBe(2)
    expect(q.get('1')?.get('d2')).toBe(0)
    expect(q.get('2')?.get('d9')).toBe(-1)
  })

  it('rejects a duplicate docno, a wrong field count and a non-integer grade, naming the line', () => {
    expect(() => parseQrels('1 0 d1 1\n1 0 d1 2\n')).toThrow(/line 2: .*duplicate docno "d1"/)
    expect(() => parseQrels('1 0 d1\n')).toThrow(EvalInputError)
    expect(() => parseQrels('1 0 d1 1.5\n')).toThrow(/not an integer/)
  })
})

describe('parseRun', () => {
  it('reads qid Q0 docno rank score runid, ignoring rank and extra fields', () => {
    const r = parseRun('1 Q0 a 7 1.5 run\n1 Q0 b 1 2e-1 run extra\n2 Q0 c 1 -3 run\n')
    expect(r.get('1')).toEqual([
      { docno: 'a', score: 1.5 },
      { docno: 'b', score: 0.2 },
    ])
    expect(r.get('2')).toEqual([{ docno: 'c', score: -3 }])
  })

  it('rejects duplicates within a query (but allows the docno in another query)', () => {
    expect(() => parseRun('1 Q0 a 1 1 r\n1 Q0 a 2 0.5 r\n')).toThrow(/duplicate docno "a" for query "1"/)
    expect(parseRun('1 Q0 a 1 1 r\n2 Q0 a 1 1 r\n').size).toBe(2)
  })

  it('rejects short lines and scores that are not finite numbers', () => {
    expect(() => parseRun('1 Q0 a 1 1\n')).toThrow(/line 1/)
    expect(() => parseRun('1 Q0 a 1 abc r\n')).toThrow(/not a finite number/)
    expect(() => parseRun('1 Q0 a 1 NaN r\n')).toThrow(/not a finite number/)
  })
})

describe('formatRun', () => {
  it('writes trec_eval order with ranks 1…n and round-trips scores exactly', () => {
    const text = formatRunLines(
      'q1',
      [
        { docno: '10', score: 0.25 },
        { docno: '9', score: 0.25 },
        { docno: 'top', score: 0.1 + 0.2 },
      ],
      'sys',
    )
    expect(text).toBe('q1 Q0 top 1 0.30000000000000004 sys\nq1 Q0 9 2 0.25 sys\nq1 Q0 10 3 0.25 sys\n')
    const back = parseRun(text)
    expect(back.get('q1')?.[0]).toEqual({ docno: 'top', score: 0.1 + 0.2 })
  })

  it('formats a whole run and refuses ids with spaces, duplicates and non-finite scores', () => {
    const run = new Map([
      ['a', [{ docno: 'x', score: 1 }]],
      ['b', [{ docno: 'y', score: 2 }]],
    ])
    expect(formatRun(run, 'r')).toBe('a Q0 x 1 1 r\nb Q0 y 1 2 r\n')
    expect(() => formatRun(run, 'my run')).toThrow(/whitespace/)
    expect(() => formatRunLines('q', [{ docno: 'x y', score: 1 }], 'r')).toThrow(/whitespace/)
    expect(() =>
      formatRunLines(
        'q',
        [
          { docno: 'x', score: 1 },
          { docno: 'x', score: 2 },
        ],
        'r',
      ),
    ).toThrow(/duplicate/)
    expect(() => formatRunLines('q', [{ docno: 'x', score: Number.NaN }], 'r')).toThrow(/not finite/)
  })
})
