import { describe, expect, it } from 'vitest'
import { insertFeedback } from './feedback-repo'
import type { FeedbackRow } from './feedback-schema'

/** A D1 stand-in that records what it is asked to run. */
function recordingDb() {
  const prepared: string[] = []
  const bound: unknown[][] = []
  let batches = 0
  const db = {
    prepare(sql: string) {
      prepared.push(sql)
      return {
        bind(...args: unknown[]) {
          bound.push(args)
          return { run: () => Promise.resolve({ success: true }) }
        },
      }
    },
    batch() {
      batches++
      return Promise.resolve([])
    },
  }
  return { db: db as unknown as D1Database, prepared, bound, batches: () => batches }
}

describe('insertFeedback', () => {
  it('writes 2,001 rows as one statement with one JSON parameter (not a statement per row)', async () => {
    const rows: FeedbackRow[] = [
      ...Array.from({ length: 1000 }, (_, i): FeedbackRow => ({ kind: 'click', docId: `d${i}`, rank: i + 1, grade: null, value: null })),
      ...Array.from({ length: 1000 }, (_, i): FeedbackRow => ({ kind: 'grade', docId: `d${i}`, rank: i + 1, grade: 0.1, value: null })),
      { kind: 'conversion', docId: null, rank: null, grade: null, value: 19.99 },
    ]
    const r = recordingDb()
    await insertFeedback(r.db, 't', { request_id: 'r', experiment_id: 'e', variant_index: 1 } as never, rows, '2026-12-03T00:00:00.000Z')
    expect(r.prepared).toHaveLength(1)
    expect(r.batches()).toBe(0)
    const args = r.bound[0] ?? []
    expect(args).toHaveLength(6)
    expect(JSON.parse(args[4] as string)).toEqual(rows.map((x) => [x.kind, x.docId, x.rank, x.grade, x.value]))
  })

  it('writes nothing for no rows', async () => {
    const r = recordingDb()
    await insertFeedback(r.db, 't', { request_id: 'r', experiment_id: 'e', variant_index: 0 } as never, [], 'now')
    expect(r.prepared).toHaveLength(0)
  })
})
