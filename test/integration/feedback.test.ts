/**
 * `POST /v1/feedback` through the real worker and local D1: feedback joins the exposure of an
 * experimental rerank call by request id; bad bodies, unknown request ids and documents that were
 * not served get 4xx naming the field.
 */
import { describe, expect, it } from 'vitest'
import { D1_MAX_VALUE_BYTES, fakeVllm, rerank } from './helpers'
import { api, createExperiment, db, twoArms, seedExposure } from './experiments-helpers'

const DOCS = [
  { id: 'p1', text: 'How to reset a password in the admin console.' },
  { id: 'p2', text: 'Password policy for administrators.' },
  { text: 'The cafeteria menu for next week.' },
]

interface FeedbackReply {
  request_id: string
  experiment: string
  variant: string
  recorded: { clicks: number; grades: number; conversions: number }
}

async function exposedCall(experiment: string, user: string, headers: Record<string, string> = {}) {
  const fake = fakeVllm(`fb-${experiment}`)
  const r = await rerank({ query: 'reset password admin', documents: DOCS, experiment, user }, { vars: { VLLM_URLS: fake.url }, headers })
  expect(r.status).toBe(200)
  return r
}

describe('POST /v1/feedback', () => {
  it('records clicks, grades and a conversion joined to the exposure, with the rank each document was served at', async () => {
    await createExperiment({ id: 'fb-join', name: 'Feedback join', variants: twoArms() })
    const call = await exposedCall('fb-join', 'unit-1')
    const served = call.json.results.map((r) => DOCS[r.index]?.id ?? String(r.index))
    const second = served[1] as string
    const res = await api<FeedbackReply>('POST', '/v1/feedback', {
      request_id: call.json.id,
      clicks: [second],
      grades: { [served[0] as string]: 1, [second]: 3 },
      conversion: 12.5,
    })
    expect(res.status, res.text).toBe(201)
    expect(res.json).toEqual({
      request_id: call.json.id,
      experiment: 'fb-join',
      variant: (call.json.meta.experiment as { variant: string }).variant,
      recorded: { clicks: 1, grades: 2, conversions: 1 },
    })
    const { results } = await db()
      .prepare('SELECT kind, doc_id, rank, grade, value FROM feedback WHERE request_id = ?1 ORDER BY id')
      .bind(call.json.id)
      .all()
    expect(results).toEqual([
      { kind: 'click', doc_id: second, rank: 2, grade: null, value: null },
      { kind: 'grade', doc_id: served[0], rank: 1, grade: 1, value: null },
      { kind: 'grade', doc_id: second, rank: 2, grade: 3, value: null },
      { kind: 'conversion', doc_id: null, rank: null, grade: null, value: 12.5 },
    ])
  })

  it('an exposure whose ids pass D1\'s value limit keeps the top of the ranking (the local D1 would take it whole; D1 refuses it)', async () => {
    await createExperiment({ id: 'fb-long-ids', name: 'Long ids', variants: twoArms() })
    // 1,000 ids of 256 characters, 250 of them control characters: 6 bytes each in JSON, 1.5 MB in
    // all, past D1's 1,000,000 bytes for one value (the strict D1 in helpers.ts refuses as D1 does).
    const documents = Array.from({ length: 1000 }, (_, i) => ({ id: `${'\u0001'.repeat(250)}${String(i).padStart(6, '0')}`, text: `passage ${i} on resetting a password` }))
    const fake = fakeVllm('fb-long-ids')
    const call = await rerank({ query: 'reset password', documents, experiment: 'fb-long-ids', user: 'u-long' }, { vars: { VLLM_URLS: fake.url } })
    expect(call.status).toBe(200)
    const row = await db()
      .prepare('SELECT ranked_ids, ranked_total FROM exposures WHERE request_id = ?1')
      .bind(call.json.id)
      .first<{ ranked_ids: string; ranked_total: number | null }>()
    expect(row?.ranked_total).toBe(1000)
    const kept = JSON.parse(row?.ranked_ids ?? '[]') as string[]
    expect(new TextEncoder().encode(row?.ranked_ids).byteLength).toBeLessThanOrEqual(D1_MAX_VALUE_BYTES)
    expect(kept.length).toBeGreaterThan(500)
    const served = call.json.results.map((r) => documents[r.index]?.id as string)
    expect(kept).toEqual(served.slice(0, kept.length))
    // Feedback on the top is recorded; on a document past what was kept it is refused, saying why.
    const top = await api<FeedbackReply>('POST', '/v1/feedback', { request_id: call.json.id, clicks: [served[0]] })
    expect(top.status, top.text).toBe(201)
    const past = await api('POST', '/v1/feedback', { request_id: call.json.id, clicks: [served[999]] })
    expect(past.status).toBe(400)
    expect(past.json.error?.field).toBe('clicks[0]')
    expect(past.json.error?.message).toMatch(new RegExp(`not among the top ${kept.length} of the 1000 results served .*which are all its exposure keeps`, 'u'))
  })

  it('records a POST at its limits (1,000 clicks, 1,000 grades, a conversion) whole, in order, every number as sent', async () => {
    await createExperiment({ id: 'fb-max', name: 'Feedback at its limits', variants: twoArms() })
    const ids = Array.from({ length: 1000 }, (_, i) => `doc-${i}`)
    await seedExposure('fb-max-call', 'fb-max', ids, 'u-max')
    // Grades that do not survive a careless text round trip (the rows reach D1 as one JSON value).
    const tricky = [0.1, 19.99, 1e-7, 99.99999999999999, 2.5, 1 / 3, 5e-324, 0.30000000000000004]
    const grades = Object.fromEntries(ids.map((id, i) => [id, tricky[i % tricky.length] as number]))
    const res = await api<FeedbackReply>('POST', '/v1/feedback', { request_id: 'fb-max-call', clicks: [...ids].reverse(), grades, conversion: 1234.5678 })
    expect(res.status, res.text).toBe(201)
    expect(res.json.recorded).toEqual({ clicks: 1000, grades: 1000, conversions: 1 })
    const { results } = await db()
      .prepare('SELECT kind, doc_id, rank, grade, value FROM feedback WHERE request_id = ?1 ORDER BY id')
      .bind('fb-max-call')
      .all<{ kind: string; doc_id: string | null; rank: number | null; grade: number | null; value: number | null }>()
    expect(results).toHaveLength(2001)
    expect(results.slice(0, 3)).toEqual([
      { kind: 'click', doc_id: 'doc-999', rank: 1000, grade: null, value: null },
      { kind: 'click', doc_id: 'doc-998', rank: 999, grade: null, value: null },
      { kind: 'click', doc_id: 'doc-997', rank: 998, grade: null, value: null },
    ])
    const stored = results.filter((r) => r.kind === 'grade')
    expect(stored.map((r) => r.grade)).toEqual(ids.map((id) => grades[id]))
    expect(stored.map((r) => r.rank)).toEqual(ids.map((_, i) => i + 1))
    expect(results[2000]).toEqual({ kind: 'conversion', doc_id: null, rank: null, grade: null, value: 1234.5678 })
  })

  it('records 1,000 clicks and 1,000 grades on ids of 256 CJK characters (1.5 MB of rows: more than one D1 value holds)', async () => {
    await createExperiment({ id: 'fb-cjk', name: 'Feedback with long ids', variants: twoArms() })
    const ids = Array.from({ length: 1000 }, (_, i) => `${'漢'.repeat(250)}${String(i).padStart(6, '0')}`)
    await seedExposure('fb-cjk-call', 'fb-cjk', ids, 'u-cjk')
    const res = await api<FeedbackReply>('POST', '/v1/feedback', { request_id: 'fb-cjk-call', clicks: ids, grades: Object.fromEntries(ids.map((id) => [id, 1])) })
    expect(res.status, res.text).toBe(201)
    const { results } = await db().prepare('SELECT kind, doc_id, rank FROM feedback WHERE request_id = ?1 ORDER BY id').bind('fb-cjk-call').all<{ kind: string; doc_id: string; rank: number }>()
    expect(results).toHaveLength(2000)
    expect(results.map((r) => r.doc_id)).toEqual([...ids, ...ids])
    expect(results.map((r) => r.rank)).toEqual([...ids.keys(), ...ids.keys()].map((i) => i + 1))
  })

  it('takes feedback for a week after the experiment stops, then refuses it (409 naming when it closed) so the report is final', async () => {
    await createExperiment({ id: 'fb-window', name: 'Window', variants: twoArms() })
    const call = await exposedCall('fb-window', 'unit-w')
    const first = call.json.results.map((r) => DOCS[r.index]?.id ?? String(r.index))[0] as string
    const stop = await api('PATCH', '/v1/experiments/fb-window', { status: 'stopped' })
    expect(stop.status).toBe(200)
    expect((await api('POST', '/v1/feedback', { request_id: call.json.id, clicks: [first] })).status).toBe(201)
    // Eight days later (stopped_at moved back instead of the clock forward).
    await db().prepare("UPDATE experiments SET stopped_at = ?1 WHERE id = 'fb-window'").bind(new Date(Date.now() - 8 * 86_400_000).toISOString()).run()
    const late = await api('POST', '/v1/feedback', { request_id: call.json.id, conversion: 5 })
    expect(late.status).toBe(409)
    expect(late.json.error).toMatchObject({ code: 'conflict', field: 'request_id' })
    expect(late.json.error?.message).toMatch(/feedback is accepted until .* \(7 days after the stop\)/u)
    const { results } = await db().prepare("SELECT COUNT(*) AS n FROM feedback WHERE request_id = ?1 AND kind = 'conversion'").bind(call.json.id).all<{ n: number }>()
    expect(results[0]?.n).toBe(0)
  })

  it('a retried conversion counts once in the conversion count and adds its value again (what the README says)', async () => {
    await createExperiment({ id: 'fb-retry', name: 'Retry', variants: [{ key: 'control', weight: 0, instruction: 'a' }, { key: 'b', weight: 1, instruction: 'b' }] })
    const call = await exposedCall('fb-retry', 'unit-r')
    for (let i = 0; i < 2; i++) expect((await api('POST', '/v1/feedback', { request_id: call.json.id, conversion: 5 })).status).toBe(201)
    const report = await api<{ arms: Array<{ key: string; conversions: number; conversion_value: number }> }>('GET', '/v1/experiments/fb-retry/report')
    expect(report.status, report.text).toBe(200)
    expect(report.json.arms.find((a) => a.key === 'b')).toMatchObject({ conversions: 1, conversion_value: 10 })
  })

  it('accepts the index as the id of a document without one, and `conversion: true` as value 1', async () => {
    await createExperiment({ id: 'fb-index', name: 'Index ids', variants: twoArms() })
    const call = await exposedCall('fb-index', 'unit-2')
    const res = await api<FeedbackReply>('POST', '/v1/feedback', { request_id: call.json.id, clicks: ['2'], conversion: true })
    expect(res.status, res.text).toBe(201)
    const rows = await db().prepare('SELECT kind, doc_id, value FROM feedback WHERE request_id = ?1 ORDER BY id').bind(call.json.id).all()
    expect(rows.results).toEqual([
      { kind: 'click', doc_id: '2', value: null },
      { kind: 'conversion', doc_id: null, value: 1 },
    ])
  })

  it('answers 404 on request_id when no exposure exists, saying exposures are written just after the response', async () => {
    const res = await api('POST', '/v1/feedback', { request_id: 'never-served-123', clicks: ['p1'] })
    expect(res.status).toBe(404)
    expect(res.json.error).toMatchObject({ code: 'not_found', field: 'request_id' })
    expect(res.json.error?.message).toMatch(/no exposure is recorded for request "never-served-123"/)
    expect(res.json.error?.message).toMatch(/just after the response/)
  })

  it('answers 404 for a call outside the experiment (draft: no exposure)', async () => {
    await createExperiment({ id: 'fb-draft', name: 'Draft', variants: twoArms() }, false)
    const call = await exposedCall('fb-draft', 'unit-3')
    const res = await api('POST', '/v1/feedback', { request_id: call.json.id, clicks: ['p1'] })
    expect(res.status).toBe(404)
  })

  it('answers 400 naming the entry for a document that was not served', async () => {
    await createExperiment({ id: 'fb-unserved', name: 'Unserved', variants: twoArms() })
    const call = await exposedCall('fb-unserved', 'unit-4')
    const click = await api('POST', '/v1/feedback', { request_id: call.json.id, clicks: ['p1', 'p9'] })
    expect(click.status).toBe(400)
    expect(click.json.error?.field).toBe('clicks[1]')
    expect(click.json.error?.message).toMatch(/"p9" was not among the results served/)
    const grade = await api('POST', '/v1/feedback', { request_id: call.json.id, grades: { nope: 2 } })
    expect(grade.status).toBe(400)
    expect(grade.json.error?.field).toBe('grades.nope')
    // Nothing of a refused body is stored.
    const n = await db().prepare('SELECT COUNT(*) AS n FROM feedback WHERE request_id = ?1').bind(call.json.id).first<{ n: number }>()
    expect(n?.n).toBe(0)
  })

  it('every document served can get feedback: an empty id is named by its index, an unstorable id is refused at the rerank call', async () => {
    await createExperiment({ id: 'fb-odd-ids', name: 'Odd ids', variants: twoArms() })
    const fake = fakeVllm('fb-odd-ids')
    const documents = [{ id: '', text: 'How to reset a password in the admin console.' }, { id: 'p2', text: 'Password policy.' }]
    const call = await rerank({ query: 'reset password', documents, experiment: 'fb-odd-ids', user: 'u-odd' }, { vars: { VLLM_URLS: fake.url } })
    expect(call.status, call.text).toBe(200)
    // The document comes back as sent, id "" included; its exposure names it by its index.
    const first = call.json.results.find((r) => r.index === 0)
    expect(first?.document).toEqual(documents[0])
    const row = await db().prepare('SELECT ranked_ids FROM exposures WHERE request_id = ?1').bind(call.json.id).first<{ ranked_ids: string }>()
    expect((JSON.parse(row?.ranked_ids ?? '[]') as string[]).sort()).toEqual(['0', 'p2'])
    const click = await api<FeedbackReply>('POST', '/v1/feedback', { request_id: call.json.id, clicks: ['0'] })
    expect(click.status, click.text).toBe(201)
    expect(call.json.meta.warnings ?? []).not.toContainEqual(expect.stringMatching(/both named/u))

    // An id equal to another document's index: the response says feedback cannot tell them apart.
    const mixed = await rerank({ query: 'reset password', documents: [{ id: '1', text: 'a password reset' }, 'the menu'], experiment: 'fb-odd-ids', user: 'u-odd' }, { vars: { VLLM_URLS: fake.url } })
    expect(mixed.status, mixed.text).toBe(200)
    expect(mixed.json.meta.warnings).toContainEqual(expect.stringMatching(/documents\[0\] and documents\[1\] are both named "1"/u))

    const surrogate = await rerank({ query: 'reset password', documents: [{ id: 'doc-\ud800', text: 'a' }], experiment: 'fb-odd-ids', user: 'u-odd' }, { vars: { VLLM_URLS: fake.url } })
    expect(surrogate.status).toBe(400)
    expect(surrogate.json.error?.field).toBe('documents[0].id')
    expect(surrogate.json.error?.message).toMatch(/well-formed Unicode/u)
  })

  it.each([
    ['no request_id', { clicks: ['a'] }, 'request_id'],
    ['a malformed request_id', { request_id: 'has spaces', clicks: ['a'] }, 'request_id'],
    ['clicks not an array', { request_id: 'r1', clicks: 'a' }, 'clicks'],
    ['an empty document id', { request_id: 'r1', clicks: [''] }, 'clicks[0]'],
    ['a grade that is not a number', { request_id: 'r1', grades: { a: 'high' } }, 'grades.a'],
    ['a negative grade', { request_id: 'r1', grades: { a: -1 } }, 'grades.a'],
    // D1 stores UTF-8: a lone surrogate would be stored as U+FFFD and never match the served id.
    ['a click on an id with a lone surrogate', { request_id: 'r1', clicks: ['doc-\ud800'] }, 'clicks[0]'],
    ['a grade for an id with a lone surrogate', { request_id: 'r1', grades: { 'doc-\udfff': 2 } }, 'grades.doc-\udfff'],
    ['a negative conversion', { request_id: 'r1', conversion: -5 }, 'conversion'],
    ['nothing to record', { request_id: 'r1' }, 'body'],
    ['an unknown field', { request_id: 'r1', clicks: ['a'], click: ['b'] }, 'click'],
  ])('answers 400 naming the field for %s', async (_name, body, field) => {
    const res = await api('POST', '/v1/feedback', body)
    expect(res.status).toBe(400)
    expect(res.json.error?.field).toBe(field)
  })

  it('answers 405 with Allow: POST for other methods', async () => {
    const res = await api('GET', '/v1/feedback')
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
  })
})
