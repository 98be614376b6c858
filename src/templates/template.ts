/**
 * @module templates/template
 * What an instruction template is, and the zod schema every template (built-in or operator
 * override) must pass: `templateDefinitionSchema`.
 *
 * Placeholder syntax in `text`: `{name}` (a declared variable); `{{` and `}}` stand for literal
 * braces; any other brace is literal text. The schema checks that every placeholder is declared,
 * every declared variable is used, every variable has a `default` or `required: true`, defaults and
 * the example pass the variables' own rules, and constraints fit the type (no `min` on a string).
 */
import { z } from 'zod'
import { boostRulesSchema } from '../scoring/business-score'
import { fusionWeightsSchema } from '../scoring/fusion'
import { checkValue, variableNameSchema, variableSpecSchema, type VariableSpec } from './variables'

/** `{{`, `}}`, or `{name}`; one regex, applied in a single left-to-right pass by render.ts. */
export const PLACEHOLDER_RE = /\{\{|\}\}|\{([A-Za-z][A-Za-z0-9_]{0,63})\}/g

/** The variable names a template text refers to, in order of first appearance. */
export function placeholderNames(text: string): string[] {
  const names: string[] = []
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    const name = m[1]
    if (name !== undefined && !names.includes(name)) names.push(name)
  }
  return names
}

export const TEMPLATE_LANGUAGES = ['en', 'zh', 'en+zh'] as const

export const templateIdSchema = z
  .string({ error: 'expected a template id' })
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'expected a template id: lowercase letters, digits and "-", at most 64' })

export const templateExampleSchema = z.strictObject({
  template_vars: z.record(z.string(), z.unknown()),
  query: z.string().optional(),
  note: z.string().optional(),
})

const baseTemplateSchema = z.strictObject({
  id: templateIdSchema,
  /** Bumped on every change; part of the template's fingerprint (and so of cache keys). */
  version: z
    .number({ error: 'expected a positive integer version' })
    .int({ error: 'expected a positive integer version' })
    .positive({ error: 'expected a positive integer version' }),
  description: z.string().min(1).max(500),
  language: z.enum(TEMPLATE_LANGUAGES, { error: 'expected "en", "zh" or "en+zh"' }),
  text: z.string().min(1).max(2000),
  variables: z.record(variableNameSchema, variableSpecSchema).default({}),
  example: templateExampleSchema,
  /** Default fusion weights for calls using this template (the call's own weights win). */
  fusion: fusionWeightsSchema.optional(),
  /** Default boost rules for calls using this template (the call's `fusion.boosts` win). */
  boosts: boostRulesSchema.optional(),
})

export const templateDefinitionSchema = baseTemplateSchema.superRefine((t, ctx) => {
  const used = placeholderNames(t.text)
  for (const name of used) {
    if (!Object.hasOwn(t.variables, name)) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: `placeholder {${name}} is not a declared variable` })
    }
  }
  for (const [name, spec] of Object.entries(t.variables)) {
    const at = ['variables', name]
    if (!used.includes(name)) {
      ctx.addIssue({ code: 'custom', path: at, message: `variable "${name}" is declared but {${name}} is not in the text` })
    }
    for (const problem of specProblems(spec)) ctx.addIssue({ code: 'custom', path: [...at, problem.key], message: problem.message })
    if (spec.default !== undefined) {
      const r = checkValue(spec, spec.default)
      if (!r.ok) ctx.addIssue({ code: 'custom', path: [...at, 'default'], message: r.message })
    } else if (spec.required !== true) {
      ctx.addIssue({ code: 'custom', path: at, message: 'expected a "default" or "required": true' })
    }
  }
  for (const [name, value] of Object.entries(t.example.template_vars)) {
    const spec = Object.hasOwn(t.variables, name) ? t.variables[name] : undefined
    if (spec === undefined) {
      ctx.addIssue({ code: 'custom', path: ['example', 'template_vars', name], message: `unknown variable "${name}"` })
      continue
    }
    const r = checkValue(spec, value)
    if (!r.ok) ctx.addIssue({ code: 'custom', path: ['example', 'template_vars', name], message: r.message })
  }
  for (const [name, spec] of Object.entries(t.variables)) {
    if (spec.required === true && spec.default === undefined && !Object.hasOwn(t.example.template_vars, name)) {
      ctx.addIssue({ code: 'custom', path: ['example', 'template_vars'], message: `the example must set required variable "${name}"` })
    }
  }
})

/** A template definition as written (operator JSON, built-in source). */
export type TemplateDefinition = z.input<typeof templateDefinitionSchema>
/** A validated template. */
export type Template = z.output<typeof templateDefinitionSchema>

function specProblems(spec: VariableSpec): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = []
  const numeric = spec.type === 'number' || spec.type === 'integer'
  const stringy = spec.type === 'string' || spec.type === 'string[]'
  if (!numeric && spec.min !== undefined) out.push({ key: 'min', message: `"min" applies to number and integer, not ${spec.type}` })
  if (!numeric && spec.max !== undefined) out.push({ key: 'max', message: `"max" applies to number and integer, not ${spec.type}` })
  if (numeric && spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) {
    out.push({ key: 'max', message: `expected "max" ≥ "min" (${spec.min})` })
  }
  if (!stringy && spec.maxLength !== undefined) out.push({ key: 'maxLength', message: `"maxLength" applies to string and string[], not ${spec.type}` })
  if (!stringy && spec.enum !== undefined) out.push({ key: 'enum', message: `"enum" applies to string and string[], not ${spec.type}` })
  if (spec.type !== 'string[]' && spec.maxItems !== undefined) out.push({ key: 'maxItems', message: `"maxItems" applies to string[], not ${spec.type}` })
  if (spec.type !== 'string[]' && spec.separator !== undefined) out.push({ key: 'separator', message: `"separator" applies to string[], not ${spec.type}` })
  return out
}
