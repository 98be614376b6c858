import { describe, expect, it } from 'vitest'
import type { ExperimentRecord } from './experiment-schema'
import { FEEDBACK_AFTER_STOP_DAYS, feedbackWindowViolation, planUpdate } from './experiment-rules'

const base: ExperimentRecord = {
  id: 'exp',
  name: 'Exp',
  description: '',
  status: 'draft',
  variants: [
    { key: 'a', weight: 0.5, instruction: 'one' },
    { key: 'b', weight: 0.5, template: 't', template_vars: { x: 1, y: 'z' } },
  ],
  coverage: 1,
  seed: null,
  hash_version: 2,
  version: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  started_at: null,
  stopped_at: null,
}
const NOW = '2026-02-01T00:00:00.000Z'

describe('planUpdate', () => {
  it('starts a draft (started_at) and stops a running experiment (stopped_at)', () => {
    expect(planUpdate(base, { status: 'running' }, NOW)).toEqual({ ok: true, changes: { status: 'running', started_at: NOW } })
    const running = { ...base, status: 'running' as const, started_at: '2026-01-02T00:00:00.000Z' }
    expect(planUpdate(running, { status: 'stopped' }, NOW)).toEqual({ ok: true, changes: { status: 'stopped', stopped_at: NOW } })
  })

  it.each([
    ['running', 'draft'],
    ['stopped', 'running'],
    ['stopped', 'draft'],
  ] as const)('refuses %s → %s', (from, to) => {
    const r = planUpdate({ ...base, status: from }, { status: to }, NOW)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.violation.field).toBe('status')
  })

  it.each(['running', 'stopped'] as const)('freezes variants, seed and hash_version once %s, saying it reshuffles users', (status) => {
    const current = { ...base, status }
    const weights = planUpdate(current, { variants: [{ ...base.variants[0]!, weight: 0.3 }, { ...base.variants[1]!, weight: 0.7 }] }, NOW)
    expect(weights).toMatchObject({ ok: false, violation: { field: 'variants' } })
    if (!weights.ok) expect(weights.violation.message).toMatch(/reshuffles users/)
    expect(planUpdate(current, { seed: 'new' }, NOW)).toMatchObject({ ok: false, violation: { field: 'seed' } })
    expect(planUpdate(current, { hash_version: 1 }, NOW)).toMatchObject({ ok: false, violation: { field: 'hash_version' } })
    // Coverage keeps every unit's arm (ranges keep their starts): allowed.
    expect(planUpdate(current, { coverage: 0.5 }, NOW)).toEqual({ ok: true, changes: { coverage: 0.5 } })
  })

  it('treats unchanged values as no change (template_vars in another key order too)', () => {
    const running = { ...base, status: 'running' as const }
    const same = [base.variants[0]!, { key: 'b', weight: 0.5, template: 't', template_vars: { y: 'z', x: 1 } }]
    expect(planUpdate(running, { variants: same, seed: null, status: 'running', name: 'Exp' }, NOW)).toEqual({ ok: true, changes: {} })
  })

  it('lets a draft change anything', () => {
    const r = planUpdate(base, { seed: 's', hash_version: 1, variants: [...base.variants].reverse(), name: 'N' }, NOW)
    expect(r.ok && Object.keys(r.changes).sort()).toEqual(['hash_version', 'name', 'seed', 'variants'])
  })
})

describe('feedbackWindowViolation', () => {
  const stoppedAt = '2026-01-10T00:00:00.000Z'
  const day = 86_400_000
  it('takes feedback while running and for a week after the stop, then refuses it naming when it closed', () => {
    expect(feedbackWindowViolation({ id: 'e', status: 'running', stopped_at: null }, Date.parse(stoppedAt) + 400 * day)).toBeUndefined()
    const stopped = { id: 'e', status: 'stopped' as const, stopped_at: stoppedAt }
    expect(feedbackWindowViolation(stopped, Date.parse(stoppedAt) + 1)).toBeUndefined()
    expect(feedbackWindowViolation(stopped, Date.parse(stoppedAt) + FEEDBACK_AFTER_STOP_DAYS * day)).toBeUndefined()
    const late = feedbackWindowViolation(stopped, Date.parse(stoppedAt) + FEEDBACK_AFTER_STOP_DAYS * day + 1)
    expect(late).toEqual({ field: 'request_id', message: expect.stringMatching(/stopped at 2026-01-10T00:00:00\.000Z; feedback is accepted until 2026-01-17T00:00:00\.000Z \(7 days after the stop\)/u) })
  })
})
