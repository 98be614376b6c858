import { describe, expect, it } from 'vitest'
import { BUILTIN_TEMPLATES, BUILTIN_TEMPLATE_DEFINITIONS } from './builtins'
import { templateFingerprint } from './fingerprint'
import { TemplateConfigError, createRegistry, getTemplate, listTemplates, parseTemplateOverrides, resolveInstruction } from './registry'
import type { TemplateDefinition } from './template'

const recencyV2: TemplateDefinition = {
  id: 'recency',
  version: 2,
  description: 'Prefer documents from {year} on (operator edit).',
  language: 'en',
  text: 'Given the query, retrieve relevant documents; strongly prefer documents from {year} or later.',
  variables: { year: { type: 'integer', description: 'Earliest preferred year.', default: 2025, min: 1900, max: 2100 } },
  example: { template_vars: { year: 2025 } },
}

describe('built-in templates', () => {
  it('cover the issue: the four instruction kinds and the scenario templates, in English and Chinese', () => {
    const ids = listTemplates(createRegistry()).map((t) => t.id)
    for (const id of [
      'domain-expert',
      'recency',
      'audience-style',
      'multi-objective',
      'enterprise-kb',
      'ecommerce-buyer',
      'source-authority',
      'legal-authority',
      'legal-authority-zh',
      'medical-authority',
      'medical-authority-zh',
    ]) {
      expect(ids).toContain(id)
    }
    expect(ids).toEqual([...ids].sort())
    expect(new Set(ids).size).toBe(BUILTIN_TEMPLATE_DEFINITIONS.length)
  })

  it('each has a description, typed variables with defaults, and an example that renders', () => {
    for (const t of listTemplates(createRegistry())) {
      expect(t.description.length).toBeGreaterThan(10)
      expect(Object.keys(t.variables).length).toBeGreaterThan(0)
      for (const spec of Object.values(t.variables)) expect(spec.default).toBeDefined()
      expect(t.example.instruction.length).toBeGreaterThan(20)
      expect(t.example.instruction).not.toMatch(/\{[A-Za-z]/)
      expect(t.origin).toBe('builtin')
      expect(t.language === 'zh').toBe(t.id.endsWith('-zh'))
    }
  })

  it('carry default boosts where the scenario has them', () => {
    expect(getTemplate(createRegistry(), 'ecommerce-buyer')?.boosts?.map((b) => b.name)).toEqual(['new-arrival', 'high-sales'])
  })
})

describe('createRegistry', () => {
  it('lets an override replace a built-in and add a new template', () => {
    const extra: TemplateDefinition = { ...recencyV2, id: 'house-style', version: 1 }
    const registry = createRegistry(BUILTIN_TEMPLATES, JSON.stringify([recencyV2, extra]))
    expect(getTemplate(registry, 'recency')).toMatchObject({ version: 2, origin: 'override' })
    expect(getTemplate(registry, 'house-style')?.origin).toBe('override')
    expect(listTemplates(registry).find((t) => t.id === 'recency')?.example.instruction).toBe(
      'Given the query, retrieve relevant documents; strongly prefer documents from 2025 or later.',
    )
  })

  it('accepts { templates: [...] }, empty config and already-parsed JSON', () => {
    expect(parseTemplateOverrides({ templates: [recencyV2] })).toMatchObject({ ok: true, templates: [{ id: 'recency' }] })
    expect(parseTemplateOverrides('')).toEqual({ ok: true, templates: [] })
    expect(parseTemplateOverrides(undefined)).toEqual({ ok: true, templates: [] })
  })

  it('changes the fingerprint of the edited template only', () => {
    const before = createRegistry()
    const after = createRegistry(BUILTIN_TEMPLATES, [recencyV2])
    for (const [id, t] of before.templates) {
      const changed = getTemplate(after, id)?.fingerprint !== t.fingerprint
      expect(changed).toBe(id === 'recency')
    }
  })

  it('keeps the fingerprint across documentation-only edits and key order', () => {
    const base = BUILTIN_TEMPLATES.find((t) => t.id === 'recency')!
    const reordered = JSON.parse(JSON.stringify({ variables: base.variables, text: base.text, version: base.version, id: base.id }))
    expect(templateFingerprint({ ...base, ...reordered, description: 'reworded' })).toBe(templateFingerprint(base))
    const yearSpec = base.variables.year!
    expect(templateFingerprint({ ...base, variables: { year: { ...yearSpec, default: 2023 } } })).not.toBe(templateFingerprint(base))
    expect(templateFingerprint({ ...base, version: 9 })).not.toBe(templateFingerprint(base))
  })

  it('refuses a changed built-in under an unchanged version', () => {
    const sameVersion = { ...recencyV2, version: 1 }
    expect(() => createRegistry(BUILTIN_TEMPLATES, [sameVersion])).toThrow(TemplateConfigError)
    try {
      createRegistry(BUILTIN_TEMPLATES, [sameVersion])
    } catch (err) {
      expect((err as TemplateConfigError).errors).toEqual([
        { field: 'templates[0].version', message: 'template "recency" changes version 1: expected a new version (not 1)' },
      ])
    }
  })

  it('names the bad path of an invalid override', () => {
    const noVersion = { ...recencyV2, version: undefined }
    expect(parseTemplateOverrides([noVersion])).toEqual({
      ok: false,
      errors: [{ field: 'templates[0].version', message: 'expected a positive integer version' }],
    })
    const r = parseTemplateOverrides([{ ...recencyV2, text: 'prefer {year} and {month}' }])
    expect(r).toMatchObject({ ok: false, errors: [{ field: 'templates[0].text', message: 'placeholder {month} is not a declared variable' }] })
    expect(parseTemplateOverrides([recencyV2, recencyV2])).toEqual({
      ok: false,
      errors: [{ field: 'templates[1].id', message: 'duplicate template id "recency"' }],
    })
    expect(parseTemplateOverrides('{oops')).toMatchObject({ ok: false, errors: [{ field: 'templates' }] })
    expect(parseTemplateOverrides({ nope: 1 })).toEqual({
      ok: false,
      errors: [{ field: 'templates.templates', message: 'expected an array of template definitions' }],
    })
  })
})

describe('resolveInstruction', () => {
  const registry = createRegistry()
  it('renders a named template', () => {
    const r = resolveInstruction(registry, { template: 'recency', template_vars: { year: 2022 } })
    expect(r.ok && r.instruction).toContain('published in 2022 or later')
    expect(r.ok && r.template?.id).toBe('recency')
  })
  it('passes a raw instruction through', () => {
    expect(resolveInstruction(registry, { instruction: 'Be brief' })).toEqual({ ok: true, instruction: 'Be brief' })
    expect(resolveInstruction(registry, {})).toEqual({ ok: true, instruction: undefined })
  })
  it('names the field at fault', () => {
    const unknown = resolveInstruction(registry, { template: 'nope' })
    expect(unknown).toMatchObject({ ok: false, errors: [{ field: 'template', message: expect.stringContaining('unknown template "nope"; expected one of audience-style') }] })
    expect(resolveInstruction(registry, { template: 'recency', instruction: 'x' })).toMatchObject({ ok: false, errors: [{ field: 'instruction' }] })
    expect(resolveInstruction(registry, { template_vars: {} })).toMatchObject({ ok: false, errors: [{ field: 'template_vars' }] })
    expect(resolveInstruction(registry, { template: 'recency', template_vars: { year: 'abc' } })).toEqual({
      ok: false,
      errors: [{ field: 'template_vars.year', message: 'expected integer between 1900 and 2100, got "abc"' }],
    })
  })
})
