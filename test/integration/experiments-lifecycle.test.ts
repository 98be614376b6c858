/**
 * The experiment lifecycle as a team runs it, against the real worker and local D1: create, start,
 * serve rerank calls per user, post feedback, read the report, stop. Each test checks one way the
 * records could go wrong (a value stored changed, an exposure recorded under arms it was not
 * served from, report numbers that do not match the rows) or odd but valid input that must not be
 * a 500; the report is checked against counts read straight from D1.
 */
import { describe, expect, it, vi } from 'vitest'
import type { ExperimentReport } from '../../src/experiments/report'
import { fakeVllm, rerank } from './helpers'
import { api, createExperiment, db, exposureRows, seedExposure, twoArms } from './experiments-helpers'

const DOCS = [
  { id: 'k1', text: 'How to reset a password in the admin console.' },
  { id: 'k2', text: 'Password policy for administrators.' },
  { id: 'k3', text: 'The cafeteria menu for next week.' },
]

interface Meta {
  id: string
  variant: string
  variant_index: number
  in_experiment: boolean
  reason: string
}
const metaOf = (json: { meta: Record<string, unknown> }) => json.meta.experiment as Meta

describe('experiment lifecycle: stored values', () => {
  it('refuses a seed with a lone surrogate (400 naming seed): D1 would store U+FFFD and hash every unit with another seed than the one sent', async () => {
    const res = await api('POST', '/v1/experiments', { id: 'lc-seed', name: 'Seed', seed: 'salt-\ud800', variants: twoArms() })
    expect(res.status).toBe(400)
    expect(res.json.error?.field).toBe('seed')
    const patched = await api('POST', '/v1/experiments', { id: 'lc-seed', name: 'Seed', variants: twoArms() })
    expect(patched.status).toBe(201)
    const update = await api('PATCH', '/v1/experiments/lc-seed', { seed: '\udfff' })
    expect(update.status).toBe(400)
    expect(update.json.error?.field).toBe('seed')
    // A well-formed non-ASCII seed is stored as sent.
    const ok = await api('PATCH', '/v1/experiments/lc-seed', { seed: 'sél-🌱' })
    expect(ok.status).toBe(200)
    expect((await api('GET', '/v1/experiments/lc-seed')).json.seed).toBe('sél-🌱')
  })

  it('stores a 256-character non-ASCII unit id exactly, assigns it as the pure function does, and names the limit past it', async () => {
    const fake = fakeVllm('lc-unicode')
    await createExperiment({ id: 'lc-unicode', name: 'Unicode units', variants: twoArms() })
    const user = '用户'.repeat(128)
    const r = await rerank({ query: 'reset password', documents: DOCS, experiment: 'lc-unicode', user }, { vars: { VLLM_URLS: fake.url } })
    expect(r.status).toBe(200)
    expect(metaOf(r.json).in_experiment).toBe(true)
    const rows = await exposureRows('lc-unicode')
    expect(rows.map((x) => x.unit_id)).toEqual([user])
    const long = await rerank({ query: 'q', documents: DOCS, experiment: 'lc-unicode', user: `${user}x` }, { vars: { VLLM_URLS: fake.url } })
    expect(long.status).toBe(400)
    expect(long.json.error.field).toBe('user')
    expect(long.json.error.message).toMatch(/256/u)
    const header = await rerank({ query: 'q', documents: DOCS, experiment: 'lc-unicode' }, { vars: { VLLM_URLS: fake.url }, headers: { 'X-Rerank-User': 'u'.repeat(257) } })
    expect(header.status).toBe(400)
    expect(header.json.error.field).toBe('X-Rerank-User')
    expect(header.json.error.message).toMatch(/256/u)
  })
})

describe('experiment lifecycle: odd but valid definitions', () => {
  it('an arm of weight 0 is never served; its report arm is empty, not a 500', async () => {
    const fake = fakeVllm('lc-zero')
    await createExperiment({
      id: 'lc-zero',
      name: 'Zero-weight arm',
      variants: [
        { key: 'control', weight: 1, instruction: 'Only arm served' },
        { key: 'never', weight: 0, instruction: 'Never served' },
      ],
    })
    for (let u = 0; u < 8; u++) {
      const r = await rerank({ query: `zero ${u}`, documents: DOCS, experiment: 'lc-zero', user: `z-${u}` }, { vars: { VLLM_URLS: fake.url } })
      expect(metaOf(r.json)).toMatchObject({ variant_index: 0, in_experiment: true })
    }
    const report = await api<ExperimentReport>('GET', '/v1/experiments/lc-zero/report')
    expect(report.status).toBe(200)
    expect(report.json.arms.map((a) => [a.exposures, a.units])).toEqual([
      [8, 8],
      [0, 0],
    ])
    expect(report.json.srm.mismatch).toBe(false)
    const html = await api('GET', '/v1/experiments/lc-zero/report.html')
    expect(html.status).toBe(200)
    expect(html.text).not.toMatch(/NaN|undefined/u)
  })

  it('ten arms of weight 0.1 (a float sum of 0.9999999999999999) split units over every arm, and the report counts them as D1 holds them', async () => {
    const fake = fakeVllm('lc-ten')
    const variants = Array.from({ length: 10 }, (_, i) => ({ key: `arm-${i}`, weight: 0.1, instruction: `Instruction number ${i}` }))
    await createExperiment({ id: 'lc-ten', name: 'Ten arms', variants })
    for (let u = 0; u < 60; u++) {
      const r = await rerank({ query: 'ten arms', documents: DOCS, experiment: 'lc-ten', user: `t-${u}` }, { vars: { VLLM_URLS: fake.url } })
      expect(r.status).toBe(200)
      expect(r.json.meta.instruction).toBe(variants[metaOf(r.json).variant_index]?.instruction)
    }
    const { results } = await db()
      .prepare(`SELECT variant_index, COUNT(*) AS n FROM exposures WHERE tenant = 'public' AND experiment_id = 'lc-ten' GROUP BY variant_index`)
      .all<{ variant_index: number; n: number }>()
    const byArm = new Map(results.map((r) => [r.variant_index, r.n]))
    const report = await api<ExperimentReport>('GET', '/v1/experiments/lc-ten/report')
    expect(report.status).toBe(200)
    expect(report.json.arms.map((a) => a.exposures)).toEqual(variants.map((_, i) => byArm.get(i) ?? 0))
    expect(report.json.totals.exposures).toBe(60)
    expect(byArm.size).toBeGreaterThan(5)
  })

  it('two arms with one instruction share their cached scores (the key is the rendered instruction, not the arm)', async () => {
    const fake = fakeVllm('lc-same')
    const variants = [
      { key: 'control', weight: 0.5, instruction: 'The very same instruction' },
      { key: 'copy', weight: 0.5, instruction: 'The very same instruction' },
    ]
    await createExperiment({ id: 'lc-same', name: 'Same instruction', variants })
    const byArm = new Map<number, string>()
    for (let u = 0; byArm.size < 2 && u < 40; u++) {
      const user = `same-${u}`
      const arm = metaOf((await rerank({ query: `probe ${u}`, documents: DOCS, experiment: 'lc-same', user }, { vars: { VLLM_URLS: fake.url } })).json).variant_index
      if (!byArm.has(arm)) byArm.set(arm, user)
    }
    const call = (user: string) => rerank({ query: 'same instruction query', documents: DOCS, experiment: 'lc-same', user }, { vars: { VLLM_URLS: fake.url } })
    const first = await call(byArm.get(0) as string)
    expect(first.json.meta.cache).toEqual({ hits: 0, misses: 3 })
    const other = await call(byArm.get(1) as string)
    expect(metaOf(other.json).variant_index).toBe(1)
    expect(other.json.meta.cache).toEqual({ hits: 3, misses: 0 })
  })

  it('concurrent creates of one id: exactly one 201, every other a 409 naming id, one row', async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => api('POST', '/v1/experiments', { id: 'lc-race', name: `Racer ${i}`, variants: twoArms() }))
    )
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409])
    for (const r of replies.filter((x) => x.status === 409)) expect(r.json.error?.field).toBe('id')
    const row = await db().prepare(`SELECT COUNT(*) AS n FROM experiments WHERE tenant = 'public' AND id = 'lc-race'`).first<{ n: number }>()
    expect(row?.n).toBe(1)
  })

  it('adding an unrelated experiment moves no unit of a running one', async () => {
    const fake = fakeVllm('lc-unrelated')
    await createExperiment({ id: 'lc-first', name: 'First', variants: twoArms('first zero', 'first one') })
    const users = Array.from({ length: 16 }, (_, u) => `same-${u}`)
    const arm = async (user: string) =>
      metaOf((await rerank({ query: 'unrelated', documents: DOCS, experiment: 'lc-first', user }, { vars: { VLLM_URLS: fake.url } })).json).variant_index
    const before = await Promise.all(users.map(arm))
    await createExperiment({ id: 'lc-second', name: 'Second', variants: twoArms('second zero', 'second one') })
    await createExperiment({ id: 'lc-third', name: 'Third', seed: 'lc-first', variants: twoArms('third zero', 'third one') })
    expect(await Promise.all(users.map(arm))).toEqual(before)
    expect(new Set(before)).toEqual(new Set([0, 1]))
  })
})

describe('experiment lifecycle: feedback and the report agree with the rows', () => {
  it('duplicate, mixed and refused feedback: a refused POST writes no row, and the report matches counts read from D1', async () => {
    const fake = fakeVllm('lc-count')
    await createExperiment({ id: 'lc-count', name: 'Counts', variants: twoArms('Count arm zero', 'Count arm one') })
    const ids: string[] = []
    for (let u = 0; u < 12; u++) {
      for (let k = 0; k < 2; k++) {
        const r = await rerank({ query: `count ${u} ${k}`, documents: DOCS, experiment: 'lc-count', user: `c-${u}` }, { vars: { VLLM_URLS: fake.url } })
        ids.push(r.json.id)
      }
    }
    const post = (body: Record<string, unknown>) => api('POST', '/v1/feedback', body)
    for (const [i, id] of ids.entries()) {
      if (i % 3 === 0) expect((await post({ request_id: id, clicks: ['k1', 'k1', 'k2'] })).status).toBe(201)
      if (i % 4 === 0) expect((await post({ request_id: id, grades: { k1: 3, k2: 1 }, conversion: 2 })).status).toBe(201)
      if (i % 4 === 0) expect((await post({ request_id: id, grades: { k1: 0 } })).status).toBe(201)
    }
    // Valid clicks then an id never served: refused whole, nothing of it written.
    const before = await db().prepare(`SELECT COUNT(*) AS n FROM feedback WHERE tenant = 'public' AND experiment_id = 'lc-count'`).first<{ n: number }>()
    const refused = await post({ request_id: ids[1], clicks: ['k1', 'k2', 'nope'], conversion: 1 })
    expect(refused.status).toBe(400)
    expect(refused.json.error?.field).toBe('clicks[2]')
    const after = await db().prepare(`SELECT COUNT(*) AS n FROM feedback WHERE tenant = 'public' AND experiment_id = 'lc-count'`).first<{ n: number }>()
    expect(after?.n).toBe(before?.n)

    const report = await api<ExperimentReport>('GET', '/v1/experiments/lc-count/report')
    expect(report.status).toBe(200)
    const { results: counted } = await db()
      .prepare(
        `SELECT e.variant_index AS arm, COUNT(DISTINCT e.request_id) AS exposures, COUNT(DISTINCT e.unit_id) AS units,
                (SELECT COUNT(*) FROM feedback f WHERE f.tenant = 'public' AND f.experiment_id = 'lc-count' AND f.variant_index = e.variant_index AND f.kind = 'click') AS clicks,
                (SELECT COUNT(*) FROM feedback f WHERE f.tenant = 'public' AND f.experiment_id = 'lc-count' AND f.variant_index = e.variant_index AND f.kind = 'grade') AS grades,
                (SELECT COUNT(*) FROM feedback f WHERE f.tenant = 'public' AND f.experiment_id = 'lc-count' AND f.variant_index = e.variant_index AND f.kind = 'conversion') AS conversions,
                (SELECT COUNT(DISTINCT f.request_id) FROM feedback f WHERE f.tenant = 'public' AND f.experiment_id = 'lc-count' AND f.variant_index = e.variant_index AND f.kind = 'click') AS clicked,
                (SELECT COUNT(DISTINCT f.request_id) FROM feedback f WHERE f.tenant = 'public' AND f.experiment_id = 'lc-count' AND f.variant_index = e.variant_index AND f.kind = 'conversion') AS converted,
                (SELECT COALESCE(SUM(f.value), 0) FROM feedback f WHERE f.tenant = 'public' AND f.experiment_id = 'lc-count' AND f.variant_index = e.variant_index AND f.kind = 'conversion') AS value
         FROM exposures e WHERE e.tenant = 'public' AND e.experiment_id = 'lc-count' GROUP BY e.variant_index ORDER BY e.variant_index`
      )
      .all<{ arm: number; exposures: number; units: number; clicks: number; grades: number; conversions: number; clicked: number; converted: number; value: number }>()
    expect(counted.length).toBe(2)
    for (const c of counted) {
      const arm = report.json.arms[c.arm]
      expect({
        exposures: arm?.exposures,
        units: arm?.units,
        clicked: arm?.clicked_exposures,
        converted: arm?.conversions,
        value: arm?.conversion_value,
        events: arm?.feedback_events,
      }).toEqual({
        exposures: c.exposures,
        units: c.units,
        clicked: c.clicked,
        converted: c.converted,
        value: c.value,
        events: { clicks: c.clicks, grades: c.grades, conversions: c.conversions },
      })
    }
    expect(report.json.totals).toEqual({ exposures: 24, units: 12 })
  })

  it('a grade on the document id "__proto__" is a 400 naming it, not silently dropped (zod\'s record skips that key); a click on it is kept', async () => {
    const fake = fakeVllm('lc-proto')
    await createExperiment({ id: 'lc-proto', name: 'Proto ids', variants: twoArms() })
    const docs = [
      { id: '__proto__', text: 'How to reset a password.' },
      { id: 'constructor', text: 'Password policy.' },
    ]
    const r = await rerank({ query: 'reset password', documents: docs, experiment: 'lc-proto', user: 'p-1' }, { vars: { VLLM_URLS: fake.url } })
    expect(r.status).toBe(200)
    const send = (raw: string) => api<{ recorded: Record<string, number> }>('POST', '/v1/feedback', undefined, { rawBody: raw })
    const graded = await send(`{"request_id":"${r.json.id}","grades":{"__proto__":3,"constructor":1},"clicks":["__proto__"]}`)
    expect(graded.status).toBe(400)
    expect(graded.json.error?.field).toBe('grades.__proto__')
    const count = () =>
      db().prepare(`SELECT COUNT(*) AS n FROM feedback WHERE tenant = 'public' AND request_id = ?1`).bind(r.json.id).first<{ n: number }>()
    expect((await count())?.n).toBe(0)
    const ok = await send(`{"request_id":"${r.json.id}","grades":{"constructor":1},"clicks":["__proto__"]}`)
    expect(ok.status).toBe(201)
    expect(ok.json.recorded).toEqual({ clicks: 1, grades: 1, conversions: 0 })
    const { results } = await db()
      .prepare(`SELECT kind, doc_id, grade FROM feedback WHERE tenant = 'public' AND request_id = ?1 ORDER BY id`)
      .bind(r.json.id)
      .all<{ kind: string; doc_id: string; grade: number | null }>()
    expect(results.map((x) => [x.kind, x.doc_id, x.grade])).toEqual([
      ['click', '__proto__', null],
      ['grade', 'constructor', 1],
    ])
    const report = await api<ExperimentReport>('GET', '/v1/experiments/lc-proto/report')
    expect(report.status).toBe(200)
    expect(report.json.arms.reduce((n, a) => n + a.graded_exposures, 0)).toBe(1)
  })
})

describe('experiment lifecycle: a definition changed under running calls', () => {
  it('an exposure served from a definition that was replaced meanwhile (deleted and created again with other arms, as another isolate sees within its 5 s cache) is not recorded under the new arms', async () => {
    const fake = fakeVllm('lc-stale')
    const old = twoArms('Old arm zero', 'Old arm one')
    await createExperiment({ id: 'lc-stale', name: 'Stale', variants: old })
    // A call without a unit: served, nothing recorded, and the running definition is now cached in this isolate.
    const warm = await rerank({ query: 'stale', documents: DOCS, experiment: 'lc-stale' }, { vars: { VLLM_URLS: fake.url } })
    expect(metaOf(warm.json).reason).toBe('empty_unit')
    // Another isolate stops and deletes it (no exposure yet) and creates it again with other arms:
    // written straight to D1, so this isolate's cache does not hear of it.
    await db().prepare(`DELETE FROM experiments WHERE tenant = 'public' AND id = 'lc-stale'`).run()
    const fresh = [
      { key: 'control', weight: 0.5, instruction: 'New arm zero' },
      { key: 'treatment', weight: 0.5, instruction: 'New arm one' },
    ]
    await db()
      .prepare(
        `INSERT INTO experiments (tenant, id, name, variants, status, started_at) VALUES ('public', 'lc-stale', 'Stale again', ?1, 'running', '2026-12-01T00:00:00.000Z')`
      )
      .bind(JSON.stringify(fresh))
      .run()
    const logged: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      logged.push(String(line))
    })
    const served = await rerank({ query: 'stale', documents: DOCS, experiment: 'lc-stale', user: 'stale-user' }, { vars: { VLLM_URLS: fake.url } }).finally(() => spy.mockRestore())
    expect(served.status).toBe(200)
    const line = logged.map((l) => JSON.parse(l) as { msg?: string; request_id?: string }).find((l) => l.msg === 'exposure_discarded')
    expect(line?.request_id).toBe(served.json.id)
    // Served from the cached (old) arms: the exposure must not count toward the new ones.
    expect(old.map((a) => a.instruction)).toContain(served.json.meta.instruction)
    expect(await exposureRows('lc-stale')).toEqual([])
  })
})

describe('experiment lifecycle: all or nothing', () => {
  it('a feedback POST spread over several statements (1.5 MB of rows) that fails in its last one writes none of its rows', async () => {
    await createExperiment({ id: 'lc-atomic', name: 'Atomic feedback', variants: twoArms() })
    const ids = Array.from({ length: 1000 }, (_, i) => `${'漢'.repeat(250)}${String(i).padStart(6, '0')}`)
    await seedExposure('lc-atomic-call', 'lc-atomic', ids, 'u-atomic')
    const last = ids[999] as string
    // A real D1 failure on the last grade row only, which the last statement of the batch inserts.
    await db()
      .prepare(`CREATE TRIGGER fail_last_grade BEFORE INSERT ON feedback WHEN NEW.kind = 'grade' AND NEW.doc_id = '${last}' BEGIN SELECT RAISE(ABORT, 'injected feedback failure'); END`)
      .run()
    try {
      const res = await api('POST', '/v1/feedback', { request_id: 'lc-atomic-call', clicks: ids, grades: Object.fromEntries(ids.map((id) => [id, 1])), conversion: 1 })
      expect(res.status).toBeGreaterThanOrEqual(500)
      const row = await db().prepare(`SELECT COUNT(*) AS n FROM feedback WHERE tenant = 'public' AND request_id = 'lc-atomic-call'`).first<{ n: number }>()
      expect(row?.n).toBe(0)
    } finally {
      await db().prepare('DROP TRIGGER IF EXISTS fail_last_grade').run()
    }
    const retried = await api('POST', '/v1/feedback', { request_id: 'lc-atomic-call', clicks: ids.slice(0, 3), conversion: 1 })
    expect(retried.status).toBe(201)
  })

  it('a D1 failure Cloudflare lists as transient is a 503 storage_unavailable saying retry, and nothing of the POST is written', async () => {
    await createExperiment({ id: 'lc-transient', name: 'Transient D1', variants: twoArms() })
    await seedExposure('lc-transient-call', 'lc-transient', ['a', 'b'], 'u-transient')
    // The local D1 cannot be made overloaded; a trigger raises D1's own words on the real insert.
    await db().prepare(`CREATE TRIGGER fail_overloaded BEFORE INSERT ON feedback BEGIN SELECT RAISE(ABORT, 'D1 DB is overloaded. Too many requests queued.'); END`).run()
    try {
      const res = await api('POST', '/v1/feedback', { request_id: 'lc-transient-call', clicks: ['a'] })
      expect(res.status, res.text).toBe(503)
      expect(res.json.error).toMatchObject({ code: 'storage_unavailable' })
      expect(res.json.error?.message).toMatch(/retry shortly/u)
      expect(res.headers.get('retry-after')).toBe('2')
      const row = await db().prepare(`SELECT COUNT(*) AS n FROM feedback WHERE request_id = 'lc-transient-call'`).first<{ n: number }>()
      expect(row?.n).toBe(0)
    } finally {
      await db().prepare('DROP TRIGGER IF EXISTS fail_overloaded').run()
    }
    expect((await api('POST', '/v1/feedback', { request_id: 'lc-transient-call', clicks: ['a'] })).status).toBe(201)
  })

  it('a stop between calls: calls answered before it keep their exposures and take feedback, calls after it record none', async () => {
    const fake = fakeVllm('lc-stop')
    await createExperiment({ id: 'lc-stop', name: 'Stop mid-way', variants: twoArms() })
    const call = (user: string) => rerank({ query: 'stop', documents: DOCS, experiment: 'lc-stop', user }, { vars: { VLLM_URLS: fake.url } })
    const before = await Promise.all(['s-1', 's-2', 's-3'].map(call))
    expect((await api('PATCH', '/v1/experiments/lc-stop', { status: 'stopped' })).status).toBe(200)
    const after = await call('s-4')
    expect(metaOf(after.json)).toMatchObject({ variant_index: 0, in_experiment: false, reason: 'stopped' })
    const rows = await exposureRows('lc-stop')
    expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(before.map((r) => r.json.id)))
    const fb = await api('POST', '/v1/feedback', { request_id: before[0]?.json.id, clicks: ['k1'] })
    expect(fb.status).toBe(201)
    expect((await api('POST', '/v1/feedback', { request_id: after.json.id, clicks: ['k1'] })).status).toBe(404)
    const report = await api<ExperimentReport>('GET', '/v1/experiments/lc-stop/report')
    expect(report.json.totals.exposures).toBe(3)
    expect(report.json.arms.reduce((n, a) => n + a.feedback_events.clicks, 0)).toBe(1)
  })
})
