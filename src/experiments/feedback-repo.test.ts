import { describe, expect, it } from 'vitest'
import { insertFeedback, MAX_ROWS_JSON_BYTES, rowChunks } from './feedback-repo'
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
    batch(statements: unknown[]) {
      batches++
      return Promise.resolve(statements.map(() => ({ success: true })))
    },
  }
  return { db: db as unknown as D1Database, prepared, bound, batches: () => batches }
}

describe('insertFeedback', () => {
  it('writes 2,001 short rows as one statement with one JSON parameter (not a statement per row)', async () => {
    const rows: FeedbackRow[] = [
      ...Array.from({ length: 1000 }, (_, i): FeedbackRow => ({ kind: 'click', docId: `d${i}`, rank: i + 1, grade: null, value: null })),
      ...Array.from({ length: 1000 }, (_, i): FeedbackRow => ({ kind: 'grade', docId: `d${i}`, rank: i + 1, grade: 0.1, value: null })),
      { kind: 'conversion', docId: null, rank: null, grade: null, value: 19.99 },
    ]
    const r = recordingDb()
    await insertFeedback(r.db, 't', { request_id: 'r', experiment_id: 'e', variant_index: 1 } as never, rows, '2026-12-03T00:00:00.000Z')
    expect(r.prepared).toHaveLength(1)
    expect(r.bound).toHaveLength(1)
    expect(r.batches()).toBe(1)
    const args = r.bound[0] ?? []
    expect(args).toHaveLength(6)
    expect(JSON.parse(args[4] as string)).toEqual(rows.map((x) => [x.kind, x.docId, x.rank, x.grade, x.value]))
  })

  it('cuts long rows into parameters D1 takes (each under its value limit), in order', () => {
    // 1,000 ids of 256 control characters: 6 bytes each in JSON, about 3 MB in one parameter.
    const id = (i: number) => `${'\u0001'.repeat(250)}${String(i).padStart(6, '0')}`
    const rows: FeedbackRow[] = Array.from({ length: 1000 }, (_, i) => ({ kind: 'click', docId: id(i), rank: i + 1, grade: null, value: null }))
    const chunks = rowChunks(rows)
    expect(chunks.length).toBeGreaterThan(1)
    for (const c of chunks) expect(new TextEncoder().encode(c).byteLength).toBeLessThanOrEqual(MAX_ROWS_JSON_BYTES)
    expect(chunks.flatMap((c) => JSON.parse(c) as unknown[][])).toEqual(rows.map((x) => [x.kind, x.docId, x.rank, x.grade, x.value]))
  })

  it('writes nothing for no rows', async () => {
    const r = recordingDb()
    await insertFeedback(r.db, 't', { request_id: 'r', experiment_id: 'e', variant_index: 0 } as never, [], 'now')
    expect(r.prepared).toHaveLength(0)
  })
})
