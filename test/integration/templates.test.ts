/**
 * Instruction templates end to end (README "Templates, metadata and fusion"): the registry at GET /v1/templates, template calls
 * rendering the instruction the backend receives, 400s that name the bad variable, operator
 * overrides (TEMPLATES var, TEMPLATES_KV) with version discipline, and "a template edit changes the
 * cache keys of that template only".
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { callWorker, fakeVllm, rerank } from './helpers'

const DOCS = [
  'Net interest margins widen when policy rates rise faster than deposit rates.',
  'A recipe for banana bread with walnuts.',
  'Bank profitability and the yield curve: a 2024 review.',
]

interface Listing {
  id: string
  version: number
  description: string
  language: string
  origin: string
  text: string
  variables: Record<string, { type: string; description: string; default?: unknown; required?: boolean }>
  example: { template_vars: Record<string, unknown>; instruction: string; query?: string }
  boosts?: unknown[]
}

async function listTemplates(vars: Record<string, string> = {}): Promise<{ status: number; json: { templates: Listing[] } & Record<string, unknown> }> {
  const res = await callWorker('/v1/templates', undefined, { vars })
  return { status: res.status, json: (await res.json()) as { templates: Listing[] } }
}

/** A changed copy of the built-in `recency` template (operator override). */
function recencyOverride(version: number, text: string): unknown[] {
  return [
    {
      id: 'recency',
      version,
      description: 'Prefer recent documents (operator wording).',
      language: 'en',
      text,
      variables: { year: { type: 'integer', description: 'Earliest preferred year.', default: 2024, min: 1900, max: 2100 } },
      example: { template_vars: { year: 2025 } },
    },
  ]
}

describe('GET /v1/templates', () => {
  it('lists the seven kinds (and their Chinese variants) with typed variables, defaults and examples', async () => {
    const { status, json } = await listTemplates()
    expect(status).toBe(200)
    const ids = json.templates.map((t) => t.id)
    for (const id of ['domain-expert', 'recency', 'audience-style', 'multi-objective', 'enterprise-kb', 'ecommerce-buyer', 'legal-authority']) {
      expect(ids).toContain(id)
      expect(ids).toContain(`${id}-zh`)
    }
    expect([...ids].sort()).toEqual(ids)
    for (const t of json.templates) {
      expect(t.version).toBeGreaterThanOrEqual(1)
      expect(t.description.length).toBeGreaterThan(0)
      expect(t.origin).toBe('builtin')
      // The example renders, and every declared variable is typed with a default or marked required.
      expect(t.example.instruction.length).toBeGreaterThan(0)
      for (const [name, spec] of Object.entries(t.variables)) {
        expect(['string', 'number', 'integer', 'boolean', 'string[]'], `${t.id}.${name}`).toContain(spec.type)
        expect(spec.default !== undefined || spec.required === true, `${t.id}.${name}`).toBe(true)
        expect(t.text).toContain(`{${name}}`)
      }
    }
    const recency = json.templates.find((t) => t.id === 'recency')
    expect(recency?.variables.year).toMatchObject({ type: 'integer', default: 2024, min: 1900, max: 2100 })
    expect(recency?.example.instruction).toContain(String(recency?.example.template_vars.year))
    const kb = json.templates.find((t) => t.id === 'enterprise-kb')
    expect(kb?.variables.glossary?.type).toBe('string[]')
    expect(json.templates.find((t) => t.id === 'ecommerce-buyer')?.boosts?.length).toBeGreaterThan(0)
    expect(json.templates.find((t) => t.id === 'legal-authority-zh')?.language).toBe('zh')
  })

  it('serves one template by id, 404 for an unknown one, 405 for a write', async () => {
    const one = await callWorker('/v1/templates/recency')
    expect(one.status).toBe(200)
    expect(((await one.json()) as Listing).id).toBe('recency')
    const missing = await callWorker('/v1/templates/nope')
    expect(missing.status).toBe(404)
    const post = await callWorker('/v1/templates', { id: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toContain('GET')
  })
})

describe('template calls', () => {
  it('sends the rendered instruction, with the variables in it, to the backend and reports it in meta', async () => {
    const fake = fakeVllm('tpl-render')
    const { status, json } = await rerank(
      {
        query: 'how do rate rises affect banks',
        documents: DOCS,
        template: 'enterprise-kb',
        template_vars: { kb_name: 'Acme Finance', glossary: ['"NIM" means net interest margin', '"CRM" means Salesforce'] },
      },
      { vars: { VLLM_URLS: fake.url } }
    )
    expect(status).toBe(200)
    const [req] = await fake.requests()
    const sent = req?.parsed?.instruction ?? ''
    expect(sent).toContain('Acme Finance')
    expect(sent).toContain('"NIM" means net interest margin; "CRM" means Salesforce')
    expect(sent).not.toMatch(/\{[a-z_]+\}/u)
    expect(json.meta.instruction).toBe(sent)
    expect(json.meta.instruction_source).toBe('template')
    expect(json.meta.template).toEqual({
      id: 'enterprise-kb',
      version: 1,
      vars: { kb_name: 'Acme Finance', glossary: ['"NIM" means net interest margin', '"CRM" means Salesforce'] },
    })
  })

  it('holds a rendered template to MAX_INSTRUCTION_CHARS, as a raw instruction is (400 naming template_vars and the limit)', async () => {
    const fake = fakeVllm('tpl-too-long')
    // 50 × 200 characters is within the glossary's own limits; rendered, far past 2,000.
    const glossary = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(200, 'x'))
    const long = await rerank({ query: 'q', documents: DOCS, template: 'enterprise-kb', template_vars: { glossary } }, { vars: { VLLM_URLS: fake.url } })
    expect(long.status).toBe(400)
    expect(long.json.error).toMatchObject({ code: 'invalid_request', field: 'template_vars' })
    expect(long.json.error?.message).toMatch(/rendered instruction is 10\d{3} characters, more than the 2000 .*MAX_INSTRUCTION_CHARS/u)
    expect(await fake.requests()).toHaveLength(0)
    // The same call fits once the operator raises the limit.
    const raised = await rerank({ query: 'q', documents: DOCS, template: 'enterprise-kb', template_vars: { glossary } }, { vars: { VLLM_URLS: fake.url, MAX_INSTRUCTION_CHARS: '20000' } })
    expect(raised.status).toBe(200)
    expect(raised.json.meta.instruction.length).toBeGreaterThan(10_000)
  })

  it('fills defaults and renders Chinese templates byte for byte the same on every call', async () => {
    const fake = fakeVllm('tpl-zh')
    const body = { query: '加息对银行的影响', documents: DOCS, template: 'domain-expert-zh', template_vars: { role: '银行业分析师' } }
    const a = await rerank(body, { vars: { VLLM_URLS: fake.url } })
    const b = await rerank({ ...body }, { vars: { VLLM_URLS: fake.url }, headers: { 'cache-control': 'no-store' } })
    expect(a.json.meta.instruction).toBe('你是一名资深银行业分析师。请以该领域专家的标准判断文档是否回答了查询：优先准确、具体、专业的内容；空泛、表面或错误的内容视为不相关。')
    expect(b.json.meta.instruction).toBe(a.json.meta.instruction)
    const recency = await rerank({ query: 'q', documents: DOCS, template: 'recency' }, { vars: { VLLM_URLS: fake.url } })
    expect(recency.json.meta.template).toEqual({ id: 'recency', version: 1, vars: { year: 2024 } })
    expect(recency.json.meta.instruction).toContain('2024')
  })

  it.each([
    ['a wrong type', { template: 'recency', template_vars: { year: 'last year' } }, 'template_vars.year', /integer/u],
    ['out of range', { template: 'recency', template_vars: { year: 1700 } }, 'template_vars.year', /between 1900 and 2100/u],
    ['an unknown variable', { template: 'recency', template_vars: { yaer: 2020 } }, 'template_vars.yaer', /"year"/u],
    ['a bad list item', { template: 'enterprise-kb', template_vars: { glossary: ['ok', 'two\nlines'] } }, 'template_vars.glossary', /item 1/u],
    ['an unknown template', { template: 'no-such-template' }, 'template', /expected one of .*domain-expert.*recency/u],
    ['template and instruction', { template: 'recency', instruction: 'prefer new' }, 'instruction', /not both/u],
    ['template_vars alone', { template_vars: { year: 2020 } }, 'template_vars', /"template"/u],
  ])('answers 400 naming the field for %s, without calling the backend', async (_label, extra, field, message) => {
    const fake = fakeVllm('tpl-400')
    const { status, json } = await rerank({ query: 'q', documents: DOCS, ...extra }, { vars: { VLLM_URLS: fake.url } })
    expect(status).toBe(400)
    expect(json.error.code).toBe('invalid_request')
    expect(json.error.field).toBe(field)
    expect(json.error.message).toMatch(message)
    expect(json.error.message.startsWith(`${field}:`)).toBe(true)
    expect(await fake.requests()).toHaveLength(0)
  })

  it('treats a blank instruction as absent next to a template (forms send "")', async () => {
    const fake = fakeVllm('tpl-blank')
    const { status, json } = await rerank({ query: 'q', documents: DOCS, template: 'recency', instruction: '  ' }, { vars: { VLLM_URLS: fake.url } })
    expect(status).toBe(200)
    expect(json.meta.instruction_source).toBe('template')
  })
})

describe('operator overrides', () => {
  it('adds and replaces templates through the TEMPLATES var, each change with a new version', async () => {
    const added = {
      id: 'acme-support',
      version: 3,
      description: 'Acme support desk.',
      language: 'en',
      text: 'Given a customer ticket about {product}, retrieve the support article that resolves it.',
      variables: { product: { type: 'string', description: 'The product.', required: true } },
      example: { template_vars: { product: 'Widget Pro' } },
    }
    const TEMPLATES = JSON.stringify([added, ...recencyOverride(2, 'Only documents from {year} on are current; demote anything older.')])
    const list = await listTemplates({ TEMPLATES })
    expect(list.status).toBe(200)
    const acme = list.json.templates.find((t) => t.id === 'acme-support')
    expect(acme).toMatchObject({ version: 3, origin: 'override', example: { instruction: expect.stringContaining('Widget Pro') } })
    expect(list.json.templates.find((t) => t.id === 'recency')).toMatchObject({ version: 2, origin: 'override' })
    expect(list.json.templates.find((t) => t.id === 'domain-expert')).toMatchObject({ version: 1, origin: 'builtin' })

    const fake = fakeVllm('tpl-override')
    const vars = { VLLM_URLS: fake.url, TEMPLATES }
    const call = await rerank({ query: 'q', documents: DOCS, template: 'acme-support', template_vars: { product: 'Gizmo 2' } }, { vars })
    expect(call.status).toBe(200)
    expect((await fake.requests())[0]?.parsed?.instruction).toBe('Given a customer ticket about Gizmo 2, retrieve the support article that resolves it.')
    expect(call.json.meta.template).toEqual({ id: 'acme-support', version: 3, vars: { product: 'Gizmo 2' } })
    const missing = await rerank({ query: 'q', documents: DOCS, template: 'acme-support' }, { vars })
    expect(missing.status).toBe(400)
    expect(missing.json.error.field).toBe('template_vars.product')
    const recency = await rerank({ query: 'q', documents: DOCS, template: 'recency', template_vars: { year: 2022 } }, { vars })
    expect(recency.json.meta.instruction).toBe('Only documents from 2022 on are current; demote anything older.')
    expect(recency.json.meta.template).toMatchObject({ id: 'recency', version: 2 })
  })

  it.each([
    ['not JSON', '[{', /TEMPLATES: expected JSON/u],
    ['a changed built-in under its old version', JSON.stringify(recencyOverride(1, 'Prefer {year}.')), /TEMPLATES\[0\]\.version: .*new version/u],
    ['an undeclared placeholder', JSON.stringify(recencyOverride(2, 'Prefer {year} and {region}.')), /TEMPLATES\[0\]\.text: placeholder \{region\}/u],
  ])('refuses a bad TEMPLATES var (%s): 500 naming it on template calls; other calls still work', async (label, TEMPLATES, message) => {
    const fake = fakeVllm('tpl-bad-var')
    const vars = { VLLM_URLS: fake.url, TEMPLATES }
    const list = await callWorker('/v1/templates', undefined, { vars })
    expect(list.status).toBe(500)
    const listJson = (await list.json()) as { error: { code: string; message: string } }
    expect(listJson.error.code).toBe('internal_error')
    expect(listJson.error.message).toMatch(message)
    const call = await rerank({ query: 'q', documents: DOCS, template: 'domain-expert' }, { vars })
    expect(call.status).toBe(500)
    expect(call.json.error.message).toMatch(message)
    // A fresh query per case, so the score cache cannot answer for the backend.
    const plain = await rerank({ query: `plain call under a bad TEMPLATES: ${label}`, documents: DOCS, instruction: 'prefer banks' }, { vars })
    expect(plain.status).toBe(200)
    expect(await fake.requests()).toHaveLength(1)
  })

  it('reads overrides from the TEMPLATES_KV namespace, over the TEMPLATES var', async () => {
    const kv = (env as unknown as { TEMPLATES_KV: KVNamespace }).TEMPLATES_KV
    const vars = { TEMPLATES_TTL_SECONDS: '0', TEMPLATES: JSON.stringify(recencyOverride(2, 'Var wording: prefer {year} on.')) }
    try {
      expect((await listTemplates(vars)).json.templates.find((t) => t.id === 'recency')?.version).toBe(2)
      await kv.put('templates:overrides', JSON.stringify(recencyOverride(5, 'KV wording: prefer {year} on.')))
      const fake = fakeVllm('tpl-kv')
      const call = await rerank({ query: 'q', documents: DOCS, template: 'recency', template_vars: { year: 2021 } }, { vars: { ...vars, VLLM_URLS: fake.url } })
      expect(call.json.meta.template).toMatchObject({ id: 'recency', version: 5 })
      expect((await fake.requests())[0]?.parsed?.instruction).toBe('KV wording: prefer 2021 on.')
      // Same version as the var's but different text: refused, naming the KV source.
      await kv.put('templates:overrides', JSON.stringify(recencyOverride(2, 'Other wording: {year}.')))
      const bad = await callWorker('/v1/templates', undefined, { vars })
      expect(bad.status).toBe(500)
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/TEMPLATES_KV\["templates:overrides"\]\[0\]\.version/u)
    } finally {
      await kv.delete('templates:overrides')
    }
    expect((await listTemplates(vars)).status).toBe(200)
  })
})

describe('a template edit changes the cache keys of that template only', () => {
  const documents = [
    'Quarterly results of regional banks in 2024.',
    'How deposit betas shape bank margins.',
    'A travel guide to Lisbon.',
    'Central bank policy rate decisions explained.',
  ]
  const query = 'bank margins after rate hikes (cache-edit test)'
  const bodyA = { query, documents, template: 'recency', template_vars: { year: 2023 } }
  const bodyB = { query, documents, template: 'domain-expert', template_vars: { role: 'bank analyst' } }

  // No skip when the cache is missing: this test needs the score cache and fails without it.
  it('A misses once after its edit while B still hits', async () => {
    const fake = fakeVllm('tpl-cache')
    const before = { VLLM_URLS: fake.url }
    const a1 = await rerank(bodyA, { vars: before })
    const b1 = await rerank(bodyB, { vars: before })
    expect(a1.json.usage.pairs_scored).toBe(documents.length)
    expect(b1.json.usage.pairs_scored).toBe(documents.length)
    // Both warm.
    expect((await rerank(bodyA, { vars: before })).json.meta.cache).toEqual({ hits: documents.length, misses: 0 })
    expect((await rerank(bodyB, { vars: before })).json.meta.cache).toEqual({ hits: documents.length, misses: 0 })
    const forwardedBefore = (await fake.requests()).length
    expect(forwardedBefore).toBe(2)

    // The operator edits A (new text, new version) through the TEMPLATES var.
    const edited = 'Prefer material from {year} or later; older items are background only.'
    const after = { VLLM_URLS: fake.url, TEMPLATES: JSON.stringify(recencyOverride(2, edited)) }
    const a2 = await rerank(bodyA, { vars: after })
    expect(a2.status).toBe(200)
    expect(a2.json.meta.template).toMatchObject({ id: 'recency', version: 2 })
    expect(a2.json.usage.pairs_cached).toBe(0)
    expect(a2.json.meta.cache).toEqual({ hits: 0, misses: documents.length })
    const b2 = await rerank(bodyB, { vars: after })
    expect(b2.json.usage.pairs_cached).toBe(documents.length)
    expect(b2.json.meta.cache).toEqual({ hits: documents.length, misses: 0 })
    const requests = await fake.requests()
    // Exactly one more backend request, A's, carrying every pair; B forwarded nothing.
    expect(requests).toHaveLength(forwardedBefore + 1)
    expect(requests.at(-1)?.body.documents).toHaveLength(documents.length)
    expect(requests.at(-1)?.parsed?.instruction).toBe('Prefer material from 2023 or later; older items are background only.')
    // The edited A is warm from now on.
    expect((await rerank(bodyA, { vars: after })).json.meta.cache).toEqual({ hits: documents.length, misses: 0 })
    expect(await fake.requests()).toHaveLength(forwardedBefore + 1)
  })
})
