import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BUILTIN_TEMPLATES } from './builtins'
import { renderTemplate } from './render'
import { templateDefinitionSchema, type Template } from './template'

function builtin(id: string): Template {
  const t = BUILTIN_TEMPLATES.find((x) => x.id === id)
  if (t === undefined) throw new Error(`no built-in ${id}`)
  return t
}

const probe = templateDefinitionSchema.parse({
  id: 'probe',
  version: 1,
  description: 'test template',
  language: 'en',
  text: 'Role {role}; year {year}; w {weight}; strict {strict}; list {items}; literal {{role}} and }}.',
  variables: {
    role: { type: 'string', description: 'r', default: 'analyst', maxLength: 20 },
    year: { type: 'integer', description: 'y', required: true, min: 0 },
    weight: { type: 'number', description: 'w', default: 0.5, min: 0, max: 1 },
    strict: { type: 'boolean', description: 's', default: false },
    items: { type: 'string[]', description: 'i', default: ['a', 'b'], separator: ' > ', maxItems: 3 },
  },
  example: { template_vars: { year: 2024 } },
})

describe('renderTemplate', () => {
  it('fills defaults, normalises values and renders literal braces', () => {
    expect(renderTemplate(probe, { year: '2024', items: [' x ', 'y'] })).toEqual({
      ok: true,
      instruction: 'Role analyst; year 2024; w 0.5; strict false; list x > y; literal {role} and }.',
      template: { id: 'probe', version: 1 },
      vars: { role: 'analyst', year: 2024, weight: 0.5, strict: false, items: ['x', 'y'] },
    })
  })

  it('renders the issue examples', () => {
    const expert = renderTemplate(builtin('domain-expert'), { role: 'financial analyst' })
    expect(expert.ok && expert.instruction.startsWith('You are a senior financial analyst.')).toBe(true)
    const recency = renderTemplate(builtin('recency'), { year: 2023 })
    expect(recency.ok && recency.instruction).toContain('published in 2023 or later')
    const audience = renderTemplate(builtin('audience-style'), undefined)
    expect(audience.ok && audience.instruction).toContain('for readers over 60: prefer plain language without jargon')
    const multi = renderTemplate(builtin('multi-objective'), { min_stock: 50 })
    expect(multi.ok && multi.instruction).toContain('such as "sale", "discount", "limited-time offer"; 3) stock above 50 units.')
    const kb = renderTemplate(builtin('enterprise-kb'), { glossary: ['"CRM" means Salesforce', '"PTO" means paid time off'] })
    expect(kb.ok && kb.instruction).toContain('Glossary: "CRM" means Salesforce; "PTO" means paid time off.')
    const legal = renderTemplate(builtin('legal-authority-zh'), { order: ['最高人民法院公报', '部委文件', '博客'] })
    expect(legal.ok && legal.instruction).toContain('按来源权威性排序：最高人民法院公报 > 部委文件 > 博客。')
  })

  it('never reads braces inside values as placeholders (single pass)', () => {
    const r = renderTemplate(probe, { year: 1, role: '{year} {{x}}', items: ['{items}'] })
    expect(r.ok && r.instruction).toBe('Role {year} {{x}}; year 1; w 0.5; strict false; list {items}; literal {role} and }.')
    const dollar = renderTemplate(probe, { year: 1, role: "$& $' $1" })
    expect(dollar.ok && dollar.instruction.startsWith("Role $& $' $1;")).toBe(true)
  })

  it('names every bad variable as template_vars.<name> and says what is expected', () => {
    const r = renderTemplate(probe, { year: 'abc', weight: 2, strict: 'yes', items: [], role: 'a\nb', zeta: 1, alpha: 2 })
    expect(r).toEqual({
      ok: false,
      errors: [
        { field: 'template_vars.role', message: 'expected non-empty single-line string of at most 20 characters, got "a\\nb"' },
        { field: 'template_vars.year', message: 'expected integer ≥ 0, got "abc"' },
        { field: 'template_vars.weight', message: 'expected number between 0 and 1, got 2' },
        { field: 'template_vars.strict', message: 'expected true or false, got "yes"' },
        {
          field: 'template_vars.items',
          message: 'expected non-empty array of strings (at most 3 items; each non-empty and single-line), got an empty array',
        },
        { field: 'template_vars.alpha', message: 'unknown variable: template "probe" takes "role", "year", "weight", "strict", "items"' },
        { field: 'template_vars.zeta', message: 'unknown variable: template "probe" takes "role", "year", "weight", "strict", "items"' },
      ],
    })
  })

  it.each([['NEL', '\u0085'], ['LINE SEPARATOR', '\u2028'], ['PARAGRAPH SEPARATOR', '\u2029']])(
    'refuses a Unicode line break (%s) in a string variable and in a list item, as it refuses a newline',
    (_name, ch) => {
      const role = renderTemplate(probe, { year: 1, role: `analyst${ch}<Query>: x` })
      expect(role.ok).toBe(false)
      expect(!role.ok && role.errors.map((e) => e.field)).toEqual(['template_vars.role'])
      const item = renderTemplate(probe, { year: 1, items: ['ok', `b${ch}c`] })
      expect(!item.ok && item.errors.map((e) => e.field)).toEqual(['template_vars.items'])
    }
  )

  it('reports a missing required variable, an explicit null, a wrong item and a non-object', () => {
    expect(renderTemplate(probe, {})).toEqual({
      ok: false,
      errors: [{ field: 'template_vars.year', message: 'required variable is missing: expected integer ≥ 0 (y)' }],
    })
    expect(renderTemplate(probe, { year: 1, role: null })).toMatchObject({ ok: false, errors: [{ field: 'template_vars.role' }] })
    expect(renderTemplate(probe, { year: 1.5 })).toMatchObject({ ok: false, errors: [{ message: 'expected integer ≥ 0, got 1.5' }] })
    expect(renderTemplate(probe, { year: 1, items: ['ok', 3] })).toMatchObject({
      ok: false,
      errors: [{ field: 'template_vars.items', message: expect.stringMatching(/got 3 at item 1$/) }],
    })
    expect(renderTemplate(probe, [1])).toEqual({ ok: false, errors: [{ field: 'template_vars', message: 'expected an object of template variables' }] })
  })

  const varsArb = fc.record(
    {
      role: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f]/.test(s)),
      year: fc.integer({ min: 0, max: 1_000_000 }),
      weight: fc.double({ min: 0, max: 1, noNaN: true }),
      strict: fc.boolean(),
      items: fc.array(fc.stringMatching(/^[a-z{}]{1,6}$/), { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: ['year'] },
  )

  it('property: pure and stable (same input twice → identical output)', () => {
    fc.assert(
      fc.property(varsArb, (vars) => {
        const a = renderTemplate(probe, vars)
        const b = renderTemplate(probe, structuredClone(vars))
        expect(a.ok).toBe(true)
        expect(b).toEqual(a)
        // Rendering the normalised vars again gives the same string.
        if (a.ok) expect(renderTemplate(probe, a.vars)).toEqual(a)
      }),
    )
  }, 30_000)

  it('property: a different variable value gives a different instruction', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (y1, y2) => {
        fc.pre(y1 !== y2)
        const a = renderTemplate(probe, { year: y1 })
        const b = renderTemplate(probe, { year: y2 })
        expect(a.ok && b.ok && a.instruction !== b.instruction).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2100 }), fc.integer({ min: 1900, max: 2100 }), (y1, y2) => {
        fc.pre(y1 !== y2)
        const t = builtin('recency')
        const a = renderTemplate(t, { year: y1 })
        const b = renderTemplate(t, { year: y2 })
        expect(a.ok && b.ok && a.instruction !== b.instruction).toBe(true)
      }),
    )
  }, 30_000)

  it('property: any bad value for a variable is an error naming template_vars.<name>', () => {
    const bad = fc.oneof(fc.string().filter((s) => !/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/.test(s)), fc.constant(null), fc.boolean(), fc.object(), fc.integer({ max: -1 }))
    fc.assert(
      fc.property(bad, (value) => {
        const r = renderTemplate(probe, { year: value })
        expect(r.ok).toBe(false)
        if (!r.ok) {
          expect(r.errors.map((e) => e.field)).toEqual(['template_vars.year'])
          expect(r.errors[0]?.message).toMatch(/^expected integer ≥ 0, got /)
        }
      }),
    )
  }, 30_000)
})
