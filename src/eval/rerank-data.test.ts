import { describe, expect, it } from 'vitest'
import { firstStageRun, parseRerankJsonl } from './rerank-data'
import { sortTrec } from './trec-order'

const LINES = [
  JSON.stringify({ qid: 1, query: 'q one', candidates: [{ docid: 'b', text: 'B', bm25_rank: 2 }, { docid: 'a', text: 'A', bm25_rank: 1, label: 3 }] }),
  '',
  JSON.stringify({ qid: '2', query: 'q two', candidates: [] }),
].join('\n')

describe('parseRerankJsonl', () => {
  it('reads queries and candidates, ids as text', () => {
    const qs = parseRerankJsonl(LINES)
    expect(qs.map((q) => q.qid)).toEqual(['1', '2'])
    expect(qs[0]?.candidates).toEqual([
      { docid: 'b', text: 'B', firstStageRank: 2 },
      { docid: 'a', text: 'A', firstStageRank: 1 },
    ])
    expect(qs[1]?.candidates).toEqual([])
  })

  it('rejects malformed lines with their line number', () => {
    expect(() => parseRerankJsonl('{"qid":"1","query":"x","candidates":[]}\nnot json')).toThrow(/line 2: data: not valid JSON/)
    expect(() => parseRerankJsonl('{"qid":"1","candidates":[]}')).toThrow(/"query"/)
    expect(() => parseRerankJsonl('{"qid":"1","query":"x","candidates":[{"docid":"a b","text":""}]}')).toThrow(/docid/)
    expect(() => parseRerankJsonl('{"qid":"1","query":"x","candidates":[{"docid":"a","text":""},{"docid":"a","text":""}]}')).toThrow(/duplicate docid/)
    expect(() => parseRerankJsonl('{"qid":"1","query":"x","candidates":[]}\n{"qid":"1","query":"y","candidates":[]}')).toThrow(/twice/)
  })
})

describe('firstStageRun', () => {
  it('turns first-stage ranks into strictly decreasing scores', () => {
    const run = firstStageRun(parseRerankJsonl(LINES))
    expect(sortTrec(run.get('1') ?? []).map((e) => e.docno)).toEqual(['a', 'b'])
    expect(run.get('1')).toEqual([
      { docno: 'a', score: 2 },
      { docno: 'b', score: 1 },
    ])
  })
})
