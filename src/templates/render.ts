/**
 * @module templates/render
 * Renders a template with caller variables into the instruction sent to the reranker
 * (Qwen3-Reranker's `<Instruct>: …` line). Pure and deterministic: the same template and variables
 * always give the byte-identical string, so cache keys built from it are stable.
 */
import type { FieldError } from '../lib/zod-error'
import { PLACEHOLDER_RE, type Template } from './template'
import { checkValue, describeExpected, renderValue, type VariableValue } from './variables'

export type RenderResult =
  | {
      ok: true
      instruction: string
      template: { id: string; version: number }
      /** Every declared variable, defaults filled, values normalised, in declaration order. */
      vars: Record<string, VariableValue>
    }
  | { ok: false; errors: FieldError[] }

/**
 * Checks `vars` against the template's declarations and renders it.
 * Errors (all of them, declared variables first in declaration order, then unknown names sorted),
 * each naming `template_vars.<name>`: an unknown name, a missing required variable, a value of the
 * wrong type or out of range — the message says what is expected. `vars` may be `undefined` (all
 * defaults); anything but a plain object is an error on `template_vars`.
 *
 * Substitution is one left-to-right pass over the template *text*, so a `{…}` inside a variable's
 * value is never read as a placeholder; `{{` / `}}` in the text render as literal braces.
 */
export function renderTemplate(template: Template, vars: unknown): RenderResult {
  if (vars !== undefined && (vars === null || typeof vars !== 'object' || Array.isArray(vars))) {
    return { ok: false, errors: [{ field: 'template_vars', message: 'expected an object of template variables' }] }
  }
  const given: Record<string, unknown> = (vars ?? {}) as Record<string, unknown>
  const errors: FieldError[] = []
  const out: Record<string, VariableValue> = {}
  const rendered = new Map<string, string>()

  for (const [name, spec] of Object.entries(template.variables)) {
    const field = `template_vars.${name}`
    const supplied = Object.hasOwn(given, name) ? given[name] : undefined
    if (supplied === undefined) {
      if (spec.default === undefined) {
        errors.push({ field, message: `required variable is missing: ${describeExpected(spec)} (${spec.description})` })
        continue
      }
    }
    // Not `??`: an explicit null is a wrong value, not a request for the default.
    const r = checkValue(spec, supplied === undefined ? spec.default : supplied)
    if (!r.ok) {
      errors.push({ field, message: r.message })
      continue
    }
    out[name] = r.value
    rendered.set(name, renderValue(spec, r.value))
  }
  const unknown = Object.keys(given)
    .filter((k) => !Object.hasOwn(template.variables, k))
    .sort()
  const declared = Object.keys(template.variables)
  for (const name of unknown) {
    errors.push({
      field: `template_vars.${name}`,
      message:
        declared.length === 0
          ? `unknown variable: template "${template.id}" takes no variables`
          : `unknown variable: template "${template.id}" takes ${declared.map((d) => `"${d}"`).join(', ')}`,
    })
  }
  if (errors.length > 0) return { ok: false, errors }

  const instruction = template.text.replace(PLACEHOLDER_RE, (match: string, name: string | undefined) => {
    if (name === undefined) return match === '{{' ? '{' : '}'
    // The schema guarantees every placeholder is declared; keep unknown ones literal regardless.
    return rendered.get(name) ?? match
  })
  return { ok: true, instruction, template: { id: template.id, version: template.version }, vars: out }
}
