/**
 * Experiments end to end through the real worker and local D1: the admin API (create, list, read,
 * update with its status and frozen-field rules, delete), arm assignment in the rerank pipeline
 * (GrowthBook's published vector, stickiness, the arm's instruction reaching the backend, control
 * for draft/stopped/outside coverage), and exposures written after the response (a burst of 200
 * calls stores exactly 200 rows; idempotent on the request id; a failing D1 write does not fail
 * the call).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { assignVariant } from '../../src/experiments/assign-variant'
import { MAX_STORED_VARIANTS_BYTES } from '../../src/experiments/experiment-schema'
import { fakeVllm, rerank } from './helpers'
import { api, createExperiment, db, exposureRows, twoArms } from './experiments-helpers'

/** A running experiment whose every unit gets `arm` (coverage 1, the control's weight 0). */
const allOnArm = (id: string, name: string, arm: Record<string, unknown>) =>
  createExperiment({ id, name, variants: [{ key: 'control', weight: 0, instruction: 'plain control' }, { weight: 1, ...arm }] })

const DOCS = [
  { id: 'doc-a', text: 'The official documentation explains how to configure the cache.' },
  { id: 'doc-b', text: 'A community forum answer about cache configuration tips.' },
  { text: 'An unrelated note about gardening in spring.' },
  { id: 'doc-d', text: 'Release notes for the caching layer.' },
]

interface ExperimentMeta {
  id: string
  variant: string
  variant_index: number
  in_experiment: boolean
  reason: string
}
const metaOf = (json: { meta: Record<string, unknown> }) => json.meta.experiment as ExperimentMeta

afterEach(() => {
  vi.restoreAllMocks()
})

describe('admin API /v1/experiments', () => {
  it('creates a draft (201, Location), refuses a duplicate id (409), lists and reads it', async () => {
    const created = await api('POST', '/v1/experiments', { id: 'adm-create', name: 'Create', variants: twoArms() })
    expect(created.status).toBe(201)
    expect(created.headers.get('location')).toBe('/v1/experiments/adm-create')
    expect(created.json).toMatchObject({ id: 'adm-create', status: 'draft', version: 1, coverage: 1, seed: null, hash_version: 2 })
    expect(created.json.started_at).toBeNull()

    const dup = await api('POST', '/v1/experiments', { id: 'adm-create', name: 'Again', variants: twoArms() })
    expect(dup.status).toBe(409)
    expect(dup.json.error).toMatchObject({ code: 'conflict', field: 'id' })

    const one = await api('GET', '/v1/experiments/adm-create')
    expect(one.status).toBe(200)
    expect(one.json).toMatchObject({ id: 'adm-create', name: 'Create', exposures: 0 })
    expect(one.json.variants.map((v) => v.key)).toEqual(['control', 'treatment'])

    const list = await api<{ data: { id: string }[]; has_more: boolean }>('GET', '/v1/experiments?status=draft&limit=100')
    expect(list.status).toBe(200)
    expect(list.json.data.map((e) => e.id)).toContain('adm-create')
    // The page size is a decimal integer from 1 to 100, nothing Number() would also read.
    for (const limit of ['0', '101', '0x10', '1e1', '2.0', '', '-1']) {
      const bad = await api('GET', `/v1/experiments?limit=${encodeURIComponent(limit)}`)
      expect(bad.status, limit).toBe(400)
      expect(bad.json.error?.field).toBe('limit')
    }
  })

  it.each([
    ['a weight out of range', { variants: [{ key: 'a', weight: 1.5, instruction: 'x' }, { key: 'b', weight: 0.5, instruction: 'y' }] }, 'variants[0].weight'],
    ['weights not summing to 1', { variants: [{ key: 'a', weight: 0.3, instruction: 'x' }, { key: 'b', weight: 0.3, instruction: 'y' }] }, 'variants'],
    ['a duplicate arm key', { variants: [{ key: 'a', weight: 0.5, instruction: 'x' }, { key: 'a', weight: 0.5, instruction: 'y' }] }, 'variants[1].key'],
    ['an arm without instruction or template', { variants: [{ key: 'a', weight: 0.5 }, { key: 'b', weight: 0.5, instruction: 'y' }] }, 'variants[0].instruction'],
    ['an unknown template', { variants: [{ key: 'a', weight: 0.5, instruction: 'x' }, { key: 'b', weight: 0.5, template: 'no-such-template' }] }, 'variants[1].template'],
    [
      'an arm whose own variables render past MAX_INSTRUCTION_CHARS',
      { variants: [{ key: 'a', weight: 0.5, instruction: 'x' }, { key: 'b', weight: 0.5, template: 'enterprise-kb', template_vars: { glossary: Array.from({ length: 20 }, () => 'g'.repeat(150)) } }] },
      'variants[1].template_vars',
    ],
    ['a bad id', { id: 'Not A Slug' }, 'id'],
    ['a name with a lone surrogate (stored as UTF-8, it would come back changed)', { name: 'A/B \ud800' }, 'name'],
    ['a description with a lone surrogate', { description: 'half \udc00 pair' }, 'description'],
    ['coverage 0', { coverage: 0 }, 'coverage'],
    ['an unknown field', { colour: 'red' }, 'colour'],
  ])('answers 400 naming the field for %s', async (_name, patch, field) => {
    const res = await api('POST', '/v1/experiments', { id: 'adm-bad', name: 'Bad', variants: twoArms(), ...patch })
    expect(res.status).toBe(400)
    expect(res.json.error?.field).toBe(field)
    expect(res.json.error?.message.startsWith(`${field}:`) || res.json.error?.message.includes(field)).toBe(true)
  })

  it('answers 404 for an unknown or malformed id and 405 with Allow for a wrong method', async () => {
    for (const path of ['/v1/experiments/nope-nothing', '/v1/experiments/NOT%20VALID', '/v1/experiments/nope-nothing/report']) {
      const res = await api('GET', path)
      expect(res.status, path).toBe(404)
      expect(res.json.error?.code).toBe('not_found')
    }
    const put = await api('PUT', '/v1/experiments/adm-create', {})
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, PATCH, DELETE')
  })

  it('moves draft → running → stopped, refuses the way back and frozen changes with 409 saying why', async () => {
    await createExperiment({ id: 'adm-life', name: 'Life', variants: twoArms() }, false)
    const started = await api('PATCH', '/v1/experiments/adm-life', { status: 'running', version: 1 })
    expect(started.status).toBe(200)
    expect(started.json).toMatchObject({ status: 'running', version: 2 })
    expect(started.json.started_at).toMatch(/^\d{4}-\d\d-\d\dT/)

    const reweigh = await api('PATCH', '/v1/experiments/adm-life', {
      variants: [
        { ...twoArms()[0], weight: 0.2 },
        { ...twoArms()[1], weight: 0.8 },
      ],
    })
    expect(reweigh.status).toBe(409)
    expect(reweigh.json.error?.field).toBe('variants')
    expect(reweigh.json.error?.message).toMatch(/reshuffles users/)

    const reseed = await api('PATCH', '/v1/experiments/adm-life', { seed: 'other' })
    expect(reseed.status).toBe(409)
    expect(reseed.json.error?.message).toMatch(/seed.*reshuffles users/)

    // The same variants sent back unchanged are not a change.
    const same = await api('PATCH', '/v1/experiments/adm-life', { variants: twoArms(), name: 'Life, renamed' })
    expect(same.status).toBe(200)
    expect(same.json).toMatchObject({ name: 'Life, renamed', version: 3 })

    const stale = await api('PATCH', '/v1/experiments/adm-life', { name: 'x', version: 2 })
    expect(stale.status).toBe(409)
    expect(stale.json.error?.field).toBe('version')

    const back = await api('PATCH', '/v1/experiments/adm-life', { status: 'draft' })
    expect(back.status).toBe(409)
    expect(back.json.error?.field).toBe('status')

    const del = await api('DELETE', '/v1/experiments/adm-life')
    expect(del.status).toBe(409)
    expect(del.json.error?.message).toMatch(/stop it first/)

    const stopped = await api('PATCH', '/v1/experiments/adm-life', { status: 'stopped' })
    expect(stopped.status).toBe(200)
    expect(stopped.json.stopped_at).toMatch(/^\d{4}-/)
    const restart = await api('PATCH', '/v1/experiments/adm-life', { status: 'running' })
    expect(restart.status).toBe(409)
    expect(restart.json.error?.message).toMatch(/stopped/)
  })

  it('changes anything of a draft, and deletes a draft (204) but not an experiment with exposures (409)', async () => {
    await createExperiment({ id: 'adm-draft', name: 'Draft', variants: twoArms() }, false)
    const edit = await api('PATCH', '/v1/experiments/adm-draft', { seed: 's1', variants: twoArms('one', 'two'), hash_version: 1 })
    expect(edit.status).toBe(200)
    expect(edit.json).toMatchObject({ seed: 's1', hash_version: 1 })
    expect(edit.json.variants[0]?.instruction).toBe('one')
    expect((await api('DELETE', '/v1/experiments/adm-draft')).status).toBe(204)
    expect((await api('GET', '/v1/experiments/adm-draft')).status).toBe(404)

    const fake = fakeVllm('adm-exposed')
    await createExperiment({ id: 'adm-exposed', name: 'Exposed', variants: twoArms() })
    const call = await rerank({ query: 'delete guard', documents: DOCS, experiment: 'adm-exposed', user: 'u1' }, { vars: { VLLM_URLS: fake.url } })
    expect(call.status).toBe(200)
    await api('PATCH', '/v1/experiments/adm-exposed', { status: 'stopped' })
    const del = await api('DELETE', '/v1/experiments/adm-exposed')
    expect(del.status).toBe(409)
    expect(del.json.error?.message).toMatch(/has 1 exposures/)
  })

  it('answers 400 on `variants` naming the limit when their JSON would pass D1\'s value limit (the strict D1 double refuses it as D1 does: it was a 500)', async () => {
    // MAX_INSTRUCTION_CHARS allows 100,000 characters an arm; ten CJK ones are ~3 MB of JSON.
    const vars = { MAX_INSTRUCTION_CHARS: '100000' }
    const arms = Array.from({ length: 10 }, (_, i) => ({ key: `a${i}`, weight: 0.1, instruction: '字'.repeat(99_999) }))
    const created = await api('POST', '/v1/experiments', { id: 'adm-huge', name: 'Huge', variants: arms }, { vars })
    expect({ status: created.status, field: created.json.error?.field }).toEqual({ status: 400, field: 'variants' })
    expect(created.json.error?.message).toMatch(new RegExp(`too large to store: \\d+ bytes .*at most ${MAX_STORED_VARIANTS_BYTES}`))
    expect((await api('GET', '/v1/experiments/adm-huge')).status).toBe(404)

    await createExperiment({ id: 'adm-huge-edit', name: 'Huge edit', variants: twoArms() }, false)
    const edited = await api('PATCH', '/v1/experiments/adm-huge-edit', { variants: arms }, { vars })
    expect({ status: edited.status, field: edited.json.error?.field }).toEqual({ status: 400, field: 'variants' })
    expect((await api('GET', '/v1/experiments/adm-huge-edit')).json.variants[0]?.instruction).toBe(twoArms()[0]?.instruction)
  })

  it('needs the experiments scope when API keys are configured (403 for a rerank-only key)', async () => {
    const digest = async (key: string) => {
      const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)))
      return `sha256:${[...d].map((b) => b.toString(16).padStart(2, '0')).join('')}`
    }
    const vars = {
      API_KEYS: JSON.stringify([
        { id: 'k-rerank', hash: await digest('key-rerank-only'), tenant: 'acme', scopes: ['rerank'] },
        { id: 'k-admin', hash: await digest('key-admin'), tenant: 'acme', scopes: ['rerank', 'experiments'] },
      ]),
    }
    const denied = await api('GET', '/v1/experiments', undefined, { vars, headers: { authorization: 'Bearer key-rerank-only' } })
    expect(denied.status).toBe(403)
    const allowed = await api('GET', '/v1/experiments', undefined, { vars, headers: { authorization: 'Bearer key-admin' } })
    expect(allowed.status).toBe(200)
    // Tenant isolation: tenant "acme" does not see the open deployment's ("public") experiments.
    expect((allowed.json as unknown as { data: unknown[] }).data).toEqual([])
  })
})

describe('assignment in the rerank pipeline', () => {
  it('agrees with GrowthBook: key "key", seed "foo", hash v2, unit "1" → arm 1 (sdk-js cases.json)', async () => {
    // packages/sdk-js/test/cases.json, run: "Uses seed with default weights/coverage" → value 1.
    const fake = fakeVllm('gb-vector')
    await createExperiment({ id: 'key', name: 'GrowthBook vector', seed: 'foo', hash_version: 2, variants: twoArms('arm zero', 'arm one') })
    const { status, json } = await rerank({ query: 'gb vector', documents: DOCS, experiment: 'key', user: '1' }, { vars: { VLLM_URLS: fake.url } })
    expect(status).toBe(200)
    expect(metaOf(json)).toEqual({ id: 'key', variant: 'treatment', variant_index: 1, in_experiment: true, reason: 'assigned' })
    expect(json.meta.instruction).toBe('arm one')
    expect(json.meta.instruction_source).toBe('experiment')
    const [req] = await fake.requests()
    expect(req?.parsed?.instruction).toBe('arm one')
  })

  it('is sticky per unit, splits units over both arms, and the backend receives each arm’s instruction', async () => {
    const fake = fakeVllm('sticky')
    const arms = twoArms('Instruction for the control arm', 'Instruction for the treatment arm')
    await createExperiment({ id: 'exp-sticky', name: 'Sticky', variants: arms })
    const seen = new Map<string, number>()
    for (let u = 0; u < 24; u++) {
      const user = `user-${u}`
      const first = await rerank({ query: `sticky ${u}`, documents: DOCS, experiment: 'exp-sticky', user }, { vars: { VLLM_URLS: fake.url } })
      const again = await rerank({ query: `sticky ${u} again`, documents: DOCS, experiment: 'exp-sticky' }, {
        vars: { VLLM_URLS: fake.url },
        headers: { 'X-Rerank-User': user },
      })
      const a = metaOf(first.json)
      expect(metaOf(again.json)).toEqual(a)
      expect(a.in_experiment).toBe(true)
      // Independent check of the split: the pure, vector-tested assignment of the same unit.
      expect(a.variant_index).toBe(assignVariant({ id: 'exp-sticky', status: 'running', variants: arms }, user).variantIndex)
      expect(first.json.meta.instruction).toBe(arms[a.variant_index]?.instruction)
      seen.set(user, a.variant_index)
    }
    expect(new Set(seen.values())).toEqual(new Set([0, 1]))
    // What the backend received, call by call: the instruction of the caller's arm.
    const requests = await fake.requests()
    expect(requests).toHaveLength(48)
    for (const r of requests) {
      const u = /^sticky (\d+)/u.exec(r.parsed?.query ?? '')?.[1]
      expect(r.parsed?.instruction).toBe(arms[seen.get(`user-${u}`) ?? -1]?.instruction)
    }
  })

  it('caches each arm’s pairs under its own instruction', async () => {
    const fake = fakeVllm('arm-cache')
    const arms = twoArms('Arm cache instruction zero', 'Arm cache instruction one')
    await createExperiment({ id: 'exp-arm-cache', name: 'Arm cache', variants: arms })
    const users = ['u-0', 'u-1', 'u-2', 'u-3', 'u-4', 'u-5', 'u-6', 'u-7']
    const byArm = (i: number) => users.filter((u) => assignVariant({ id: 'exp-arm-cache', status: 'running', variants: arms }, u).variantIndex === i)
    const [a0, b0] = byArm(0)
    const [a1] = byArm(1)
    expect(a0 && b0 && a1).toBeTruthy()
    const call = (user: string) => rerank({ query: 'arm cache query', documents: DOCS, experiment: 'exp-arm-cache', user }, { vars: { VLLM_URLS: fake.url } })
    const first = await call(a0 as string)
    expect(first.json.meta.cache).toEqual({ hits: 0, misses: 4 })
    // Another unit of the same arm: every pair from the cache, nothing sent.
    const sameArm = await call(b0 as string)
    expect(sameArm.json.meta.cache).toEqual({ hits: 4, misses: 0 })
    // The other arm: a different instruction, so different keys: all scored.
    const otherArm = await call(a1 as string)
    expect(otherArm.json.meta.cache).toEqual({ hits: 0, misses: 4 })
    expect((await fake.requests()).map((r) => r.parsed?.instruction)).toEqual([arms[0]?.instruction, arms[1]?.instruction])
  })

  it('serves a template arm through the template registry, filling its variables from the call', async () => {
    const templates = await api<{ templates: { id: string; variables: Record<string, { default?: unknown }>; example: { template_vars: Record<string, unknown>; instruction: string } }[] }>(
      'GET',
      '/v1/templates'
    )
    const template = templates.json.templates.find((t) => Object.keys(t.variables).length > 0)
    expect(template).toBeDefined()
    const t = template as NonNullable<typeof template>
    const fake = fakeVllm('template-arm')
    await allOnArm('exp-template', 'Template arm', { key: 'templated', template: t.id })
    const { status, json } = await rerank(
      { query: 'template arm', documents: DOCS, experiment: 'exp-template', user: 'someone', template_vars: t.example.template_vars },
      { vars: { VLLM_URLS: fake.url } }
    )
    expect(status, JSON.stringify(json)).toBe(200)
    expect(metaOf(json)).toMatchObject({ variant: 'templated', in_experiment: true })
    expect(json.meta.instruction).toBe(t.example.instruction)
    expect(json.meta.template).toMatchObject({ id: t.id })
    expect((await fake.requests())[0]?.parsed?.instruction).toBe(t.example.instruction)
  })

  it("serves the control arm, outside the experiment, when a template change breaks the assigned arm (not a 400 on a field the caller never sent)", async () => {
    const fake = fakeVllm('template-arm-broken')
    await allOnArm('exp-template-broken', 'Template arm, broken by a change', { key: 'kb', template: 'enterprise-kb', template_vars: { kb_name: 'Acme' } })
    const call = (vars: Record<string, string>) =>
      rerank({ query: 'arm broken', documents: DOCS, experiment: 'exp-template-broken', user: 'someone' }, { vars: { VLLM_URLS: fake.url, ...vars } })
    const before = await call({})
    expect(before.status).toBe(200)
    expect(metaOf(before.json)).toMatchObject({ variant: 'kb', in_experiment: true })
    // The operator replaces enterprise-kb with a version that no longer has the arm's variable.
    const changed = JSON.stringify([{ id: 'enterprise-kb', version: 2, description: 'KB, reworded.', language: 'en', text: 'Answer employee questions from internal documents.', example: { template_vars: {} } }])
    const exposuresBefore = (await exposureRows('exp-template-broken')).length
    const after = await call({ TEMPLATES: changed })
    expect(after.status, after.text).toBe(200)
    expect(metaOf(after.json)).toMatchObject({ variant: 'control', variant_index: 0, in_experiment: false, reason: 'arm_unavailable' })
    expect(after.json.meta.instruction).toBe('plain control')
    expect(after.json.meta.warnings?.find((w) => w.includes('arm "kb" cannot be served'))).toMatch(/template_vars\.kb_name/u)
    // A caller's own bad variable is still the caller's 400.
    const own = await rerank({ query: 'arm broken', documents: DOCS, experiment: 'exp-template-broken', user: 'someone', template_vars: { glossary: 5 } }, { vars: { VLLM_URLS: fake.url } })
    expect(own.status).toBe(400)
    expect(own.json.error.field).toBe('template_vars.glossary')
    // No exposure for the call the arm could not serve (exposures are written before callWorker returns).
    expect((await exposureRows('exp-template-broken')).length).toBe(exposuresBefore)
  })

  it('pins a template arm to the version it started with: a new version serves the control arm outside the experiment, so the report never mixes two treatments', async () => {
    const fake = fakeVllm('template-arm-pinned')
    const started = await allOnArm('exp-template-pinned', 'Template arm, pinned', { key: 'kb', template: 'enterprise-kb', template_vars: { kb_name: 'Acme' } })
    expect(started.variants[1]).toMatchObject({ key: 'kb', template: 'enterprise-kb', template_vars: { kb_name: 'Acme' }, template_version: 1 })
    // A client may send the experiment back as read, pins included, or without them: no change either way.
    for (const variants of [started.variants, started.variants.map(({ template_version: _v, ...rest }) => rest)]) {
      const same = await api('PATCH', '/v1/experiments/exp-template-pinned', { variants })
      expect(same.status, same.text).toBe(200)
      expect(same.json.version).toBe(started.version)
    }
    const listing = await api<{ variables: unknown; example: { template_vars: unknown }; description: string; language: string; text: string }>('GET', '/v1/templates/enterprise-kb')
    const call = (vars: Record<string, string>) =>
      rerank({ query: 'arm pinned', documents: DOCS, experiment: 'exp-template-pinned', user: 'someone' }, { vars: { VLLM_URLS: fake.url, ...vars } })
    expect(metaOf((await call({})).json)).toMatchObject({ variant: 'kb', in_experiment: true })
    const exposuresBefore = (await exposureRows('exp-template-pinned')).length
    // The operator publishes version 2, compatible (same variables), reworded.
    const v2 = { id: 'enterprise-kb', version: 2, description: listing.json.description, language: listing.json.language, text: `${listing.json.text} Prefer pages updated this year.`, variables: listing.json.variables, example: { template_vars: listing.json.example.template_vars } }
    const after = await call({ TEMPLATES: JSON.stringify([v2]) })
    expect(after.status, after.text).toBe(200)
    expect(metaOf(after.json)).toMatchObject({ variant: 'control', variant_index: 0, in_experiment: false, reason: 'arm_template_changed' })
    expect(after.json.meta.warnings?.find((w) => w.includes('started with template "enterprise-kb" version 1, which is now version 2'))).toBeDefined()
    expect((await exposureRows('exp-template-pinned')).length).toBe(exposuresBefore)
  })

  it('serves the control arm and records nothing for a draft, a stopped experiment, no unit, or a unit outside coverage', async () => {
    const fake = fakeVllm('control-cases')
    const arms = twoArms('Control arm text', 'Treatment arm text')
    await createExperiment({ id: 'exp-draft', name: 'Draft', variants: arms }, false)
    await createExperiment({ id: 'exp-stopped', name: 'Stopped', variants: arms })
    await api('PATCH', '/v1/experiments/exp-stopped', { status: 'stopped' })
    await createExperiment({ id: 'exp-coverage', name: 'Coverage', variants: arms, coverage: 0.05 })
    const outside = Array.from({ length: 50 }, (_, i) => `c-${i}`).find(
      (u) => assignVariant({ id: 'exp-coverage', status: 'running', coverage: 0.05, variants: arms }, u).reason === 'outside_coverage'
    ) as string

    const cases: [string, string | undefined, string][] = [
      ['exp-draft', 'u-1', 'draft'],
      ['exp-stopped', 'u-1', 'stopped'],
      ['exp-coverage', outside, 'outside_coverage'],
      ['exp-coverage', undefined, 'empty_unit'],
    ]
    for (const [experiment, user, reason] of cases) {
      const body = user === undefined ? { query: 'control', documents: DOCS, experiment } : { query: 'control', documents: DOCS, experiment, user }
      const { status, json } = await rerank(body, { vars: { VLLM_URLS: fake.url } })
      expect(status).toBe(200)
      expect(metaOf(json)).toEqual({ id: experiment, variant: 'control', variant_index: 0, in_experiment: false, reason })
      expect(json.meta.instruction).toBe('Control arm text')
      if (reason === 'empty_unit') expect(json.meta.warnings?.join(' ')).toMatch(/no unit id/)
    }
    for (const id of ['exp-draft', 'exp-stopped', 'exp-coverage']) expect(await exposureRows(id)).toHaveLength(0)
  })

  it('takes an empty unit id ("" in `user` or X-Rerank-User) as none: no shared "" unit, and `user: ""` does not hide the header', async () => {
    const fake = fakeVllm('empty-unit')
    const arms = twoArms('Control arm text', 'Treatment arm text')
    await createExperiment({ id: 'exp-empty-unit', name: 'Empty unit', variants: arms })
    for (const [user, header] of [['', undefined], [undefined, ''], ['', '']] as const) {
      const body = { query: 'empty unit', documents: DOCS, experiment: 'exp-empty-unit', ...(user === undefined ? {} : { user }) }
      const { status, json } = await rerank(body, { vars: { VLLM_URLS: fake.url }, headers: header === undefined ? {} : { 'X-Rerank-User': header } })
      expect(status).toBe(200)
      expect(metaOf(json)).toMatchObject({ in_experiment: false, reason: 'empty_unit', variant_index: 0 })
    }
    // `user: ""` and a header: the header's unit is the unit.
    const withHeader = await rerank({ query: 'empty unit header', documents: DOCS, experiment: 'exp-empty-unit', user: '' }, {
      vars: { VLLM_URLS: fake.url },
      headers: { 'X-Rerank-User': 'unit-h' },
    })
    const expected = assignVariant({ id: 'exp-empty-unit', status: 'running', variants: arms }, 'unit-h')
    expect(metaOf(withHeader.json)).toMatchObject({ in_experiment: true, reason: 'assigned', variant_index: expected.variantIndex })
    expect((await exposureRows('exp-empty-unit')).map((r) => r.unit_id)).toEqual(['unit-h'])
  })

  it('answers 400 on `experiment` for an unknown or malformed id, and on `instruction` when both are given', async () => {
    const fake = fakeVllm('bad-experiment')
    const unknown = await rerank({ query: 'q', documents: DOCS, experiment: 'no-such-exp', user: 'u' }, { vars: { VLLM_URLS: fake.url } })
    expect(unknown.status).toBe(400)
    expect(unknown.json.error).toMatchObject({ field: 'experiment' })
    expect(unknown.json.error.message).toMatch(/unknown experiment "no-such-exp"/)
    const malformed = await rerank({ query: 'q', documents: DOCS, experiment: 'Bad Id', user: 'u' }, { vars: { VLLM_URLS: fake.url } })
    expect(malformed.status).toBe(400)
    expect(malformed.json.error.field).toBe('experiment')
    await createExperiment({ id: 'exp-both', name: 'Both', variants: twoArms() })
    const both = await rerank({ query: 'q', documents: DOCS, experiment: 'exp-both', user: 'u', instruction: 'mine' }, { vars: { VLLM_URLS: fake.url } })
    expect(both.status).toBe(400)
    expect(both.json.error.field).toBe('instruction')
    expect(await fake.requests()).toHaveLength(0)
  })

  it('sees a stop in the same isolate at once (the 5 s definition cache is invalidated by the admin write)', async () => {
    const fake = fakeVllm('stop-now')
    const arms = twoArms('stop-now zero', 'stop-now one')
    await createExperiment({ id: 'exp-stop-now', name: 'Stop now', variants: arms })
    const user = ['s-0', 's-1', 's-2', 's-3', 's-4', 's-5'].find(
      (u) => assignVariant({ id: 'exp-stop-now', status: 'running', variants: arms }, u).variantIndex === 1
    ) as string
    const before = await rerank({ query: 'stop now', documents: DOCS, experiment: 'exp-stop-now', user }, { vars: { VLLM_URLS: fake.url } })
    expect(metaOf(before.json).variant).toBe('treatment')
    await api('PATCH', '/v1/experiments/exp-stop-now', { status: 'stopped' })
    const after = await rerank({ query: 'stop now', documents: DOCS, experiment: 'exp-stop-now', user }, { vars: { VLLM_URLS: fake.url } })
    expect(metaOf(after.json)).toMatchObject({ variant: 'control', in_experiment: false, reason: 'stopped' })
  })
})

describe('exposures', () => {
  it('does not record an exposure for a call the lexical fallback answered (the arm was not applied)', async () => {
    await createExperiment({ id: 'exp-fallback', name: 'Fallback', variants: twoArms() })
    const { status, json } = await rerank(
      { query: 'cache configuration documentation', documents: DOCS, experiment: 'exp-fallback', user: 'unit-7' },
      // A closed port: no upstream can serve, and the operator chose the lexical fallback.
      { vars: { VLLM_URLS: 'http://127.0.0.1:9', FALLBACK: 'lexical', UPSTREAM_BREAKER_FAILURES: '1' } }
    )
    expect(status).toBe(200)
    expect(json.meta.backend).toBe('lexical')
    expect(json.meta.warnings?.join(' ')).toMatch(/exposure not recorded/u)
    expect(await exposureRows('exp-fallback')).toHaveLength(0)
  })

  it('records request id, arm, unit and the served ids in final order (id, else the index)', async () => {
    const fake = fakeVllm('exposure-one')
    await createExperiment({ id: 'exp-expo', name: 'Exposure', variants: twoArms() })
    const { json, headers } = await rerank(
      { query: 'cache configuration documentation', documents: DOCS, experiment: 'exp-expo', user: 'unit-42', top_n: 3 },
      { vars: { VLLM_URLS: fake.url } }
    )
    const rows = await exposureRows('exp-expo')
    expect(rows).toHaveLength(1)
    const row = rows[0] as NonNullable<(typeof rows)[0]>
    const meta = metaOf(json)
    expect(row.request_id).toBe(headers.get('x-request-id'))
    expect(row.request_id).toBe(json.id)
    expect(row).toMatchObject({ variant_key: meta.variant, variant_index: meta.variant_index, unit_id: 'unit-42' })
    const expected = json.results.map((r) => DOCS[r.index]?.id ?? String(r.index))
    expect(expected).toHaveLength(3)
    expect(JSON.parse(row.ranked_ids)).toEqual(expected)
  })

  it('stores exactly as many exposures as calls in a burst of 200 concurrent calls', async () => {
    const fake = fakeVllm('burst')
    await createExperiment({ id: 'exp-burst', name: 'Burst', variants: twoArms() })
    const calls = Array.from({ length: 200 }, (_, i) =>
      rerank({ query: 'burst query', documents: DOCS, experiment: 'exp-burst', user: `burst-${i % 150}` }, { vars: { VLLM_URLS: fake.url } })
    )
    const replies = await Promise.all(calls)
    const sent = replies.filter((r) => r.status === 200 && metaOf(r.json).in_experiment)
    expect(sent).toHaveLength(200)
    const rows = await exposureRows('exp-burst')
    expect(rows).toHaveLength(200)
    expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(sent.map((r) => r.json.id)))
    // Each row carries the arm its call was served.
    const armOf = new Map(sent.map((r) => [r.json.id, metaOf(r.json).variant]))
    for (const row of rows) expect(row.variant_key).toBe(armOf.get(row.request_id))
    const units = await db()
      .prepare("SELECT COUNT(DISTINCT unit_id) AS n FROM exposures WHERE tenant = 'public' AND experiment_id = 'exp-burst'")
      .first<{ n: number }>()
    expect(units?.n).toBe(150)
  })

  it('a reused X-Request-Id from 20 users: 20 exposures, each keyed by its own response id, the caller id kept beside it', async () => {
    const fake = fakeVllm('reused-id')
    await createExperiment({ id: 'exp-reused', name: 'Reused id', variants: twoArms() })
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rerank({ query: 'reused id', documents: DOCS, experiment: 'exp-reused', user: `reuser-${i}` }, {
          vars: { VLLM_URLS: fake.url },
          headers: { 'X-Request-Id': 'replayed-request-1' },
        })
      )
    )
    for (const r of replies) {
      expect(r.status).toBe(200)
      expect(metaOf(r.json).in_experiment).toBe(true)
      expect(r.headers.get('x-client-request-id')).toBe('replayed-request-1')
      expect(r.headers.get('x-request-id')).toBe(r.json.id)
    }
    const ids = replies.map((r) => r.json.id)
    expect(new Set(ids).size).toBe(20)
    const rows = (await exposureRows('exp-reused')) as Array<{ request_id: string; unit_id: string; client_request_id?: string | null }>
    expect(rows).toHaveLength(20)
    expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids))
    expect(new Set(rows.map((r) => r.unit_id)).size).toBe(20)
    for (const row of rows) expect(row.client_request_id).toBe('replayed-request-1')
  })

  it('answers the call when the D1 write fails, and logs the exposure for replay', async () => {
    const fake = fakeVllm('d1-fails')
    await createExperiment({ id: 'exp-d1-fails', name: 'D1 fails', variants: twoArms() })
    // A real D1 failure on this experiment's inserts only.
    await db()
      .prepare(
        "CREATE TRIGGER IF NOT EXISTS fail_exposures BEFORE INSERT ON exposures WHEN NEW.experiment_id = 'exp-d1-fails' BEGIN SELECT RAISE(ABORT, 'injected exposure failure'); END"
      )
      .run()
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      logged.push(String(line))
    })
    try {
      const r = await rerank({ query: 'd1 fails', documents: DOCS, experiment: 'exp-d1-fails', user: 'u-9' }, { vars: { VLLM_URLS: fake.url } })
      expect(r.status).toBe(200)
      expect(metaOf(r.json).in_experiment).toBe(true)
      expect(await exposureRows('exp-d1-fails')).toHaveLength(0)
      const line = logged.map((l) => JSON.parse(l) as { msg?: string; exposure?: { request_id: string; unit_id: string } }).find((l) => l.msg === 'exposure_write_failed')
      expect(line?.exposure).toMatchObject({ request_id: r.json.id, unit_id: 'u-9' })
    } finally {
      await db().prepare('DROP TRIGGER IF EXISTS fail_exposures').run()
    }
  })
})
