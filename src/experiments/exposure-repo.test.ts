import { describe, expect, it } from 'vitest'
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
