import { describe, expect, it } from 'vitest'
import { rankedIds, sharedNameWarning } from './apply-experiment'

describe('documents of an experiment call that share a name', () => {
  it('an id equal to the index of a document sent without one is named', () => {
    const docs = [{ text: 'a', id: '3' }, { text: 'b' }, { text: 'c' }, { text: 'd' }]
    expect(sharedNameWarning(docs)).toMatch(/documents\[0\] and documents\[3\] are both named "3"/u)
  })

  it('a repeated id is named', () => {
    expect(sharedNameWarning([{ text: 'a', id: 'x' }, { text: 'b', id: 'y' }, { text: 'c', id: 'x' }])).toMatch(/documents\[0\] and documents\[2\] are both named "x"/u)
  })

  it('distinct names, ids and indices mixed, say nothing', () => {
    const docs = [{ text: 'a', id: 'p1' }, { text: 'b' }, { text: 'c', id: '7' }]
    expect(sharedNameWarning(docs)).toBeUndefined()
    // The names the warning checks are the ones the exposure records.
    const response = { results: [{ index: 2 }, { index: 0 }, { index: 1 }] } as unknown as Parameters<typeof rankedIds>[0]
    expect(rankedIds(response, docs)).toEqual(['7', 'p1', '1'])
  })
})
