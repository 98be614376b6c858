import { describe, expect, it } from 'vitest'
import { STORAGE_SUBREQUESTS } from '../backends/subrequest-budget'
import { MAX_LOGGED_RANKING_BYTES, recordExposure, type Exposure } from './exposure-repo'

const exposure = (rankedIds: string[]): Exposure => ({
  tenant: 't',
  requestId: 'r-1',
  experimentId: 'e',
  variantKey: 'control',
  variantIndex: 0,
  unitId: 'u',
  rankedIds,
  createdAt: '2026-12-03T00:00:00.000Z',
  armsJson: '[]',
})

describe('recordExposure without D1', () => {
  it('logs the exposure for replay, a small ranking whole', async () => {
    const lines: string[] = []
    expect(await recordExposure(undefined, exposure(['a', 'b']), { log: (l) => lines.push(l) })).toBe(false)
    const line = JSON.parse(lines[0] ?? '{}') as { msg: string; exposure: { ranked_ids: string[]; ranked_total: number } }
    expect(line.msg).toBe('exposure_write_failed')
    expect(line.exposure).toMatchObject({ request_id: 'r-1', ranked_ids: ['a', 'b'], ranked_total: 2 })
  })

  it('keeps the line within what Workers Logs take per invocation: the top of a long ranking and how many were served', async () => {
    // 1,000 ids of 256 characters: about 259 KB of ids, past the 256 KB of log lines per invocation.
    const ids = Array.from({ length: 1000 }, (_, i) => `${'x'.repeat(250)}${String(i).padStart(6, '0')}`)
    const lines: string[] = []
    await recordExposure(undefined, exposure(ids), { log: (l) => lines.push(l) })
    const text = lines[0] ?? ''
    expect(new TextEncoder().encode(text).byteLength).toBeLessThan(MAX_LOGGED_RANKING_BYTES + 2_000)
    const line = JSON.parse(text) as { exposure: { ranked_ids: string[]; ranked_total: number } }
    expect(line.exposure.ranked_total).toBe(1000)
    expect(line.exposure.ranked_ids.length).toBeGreaterThan(400)
    expect(line.exposure.ranked_ids).toEqual(ids.slice(0, line.exposure.ranked_ids.length))
  })
})

describe('recordExposure: its D1 calls against the subrequest budget', () => {
  it('makes at most STORAGE_SUBREQUESTS.exposureWrite D1 calls: every INSERT changes nothing and every read-back fails', async () => {
    const calls: string[] = []
    // A D1 whose INSERT finds nothing to write (a definition replaced meanwhile) and whose SELECT
    // fails as D1 does transiently (developers.cloudflare.com/d1/observability/debug-d1/).
    const db = {
      prepare: (sql: string) => ({
        bind: () => ({
          run: async () => {
            calls.push('insert')
            return { meta: { changes: 0 } }
          },
          first: async () => {
            calls.push('select')
            throw new Error('D1_ERROR: Network connection lost.')
          },
        }),
        sql,
      }),
    } as unknown as D1Database
    const lines: string[] = []
    expect(await recordExposure(db, exposure(['a']), { sleep: async () => undefined, log: (l) => lines.push(l) })).toBe(false)
    expect(calls).toEqual(['insert', 'select', 'insert', 'select', 'insert', 'select'])
    expect(calls).toHaveLength(STORAGE_SUBREQUESTS.exposureWrite)
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ msg: 'exposure_write_failed' })
  })
})
