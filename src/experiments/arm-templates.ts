/**
 * @module experiments/arm-templates
 * Checks an experiment's arms against the live template registry when they are created or
 * changed, so a typo in a template id or variable fails the admin call (400 on
 * `variants[i].template…`) instead of every rerank call later. Pure: it takes the registry and
 * returns the first problem as a `FieldError` (lib/zod-error.ts); the route maps it to a 400.
 *
 * A template arm may leave required variables unset: a rerank call fills them from its own
 * `template_vars` (rerank/apply-experiment.ts). So only the arm's own choices are checked here: the
 * template exists, and each variable the arm sets is known and valid. The rerank call resolves the
 * complete set through the same resolver (rerank/resolve-instruction.ts) as any template call.
 */
import type { FieldError } from '../lib/zod-error'
import { getTemplate, type TemplateRegistry } from '../templates/registry'
import { renderedInstructionTooLong } from '../templates/instruction-limit'
import { renderTemplate } from '../templates/render'
import type { ExperimentVariant } from './experiment-schema'

/**
 * The arms with each template arm's current version pinned (`template_version`), for an
 * experiment that starts now: an arm is served with that version only (rerank/run-rerank.ts), so
 * a template edited mid-experiment cannot mix two treatments under one arm.
 */
export function pinTemplateVersions(registry: TemplateRegistry, variants: readonly ExperimentVariant[]): ExperimentVariant[] {
  return variants.map((v) => {
    if (v.template === undefined) return v
    const template = getTemplate(registry, v.template)
    return template === undefined ? v : { ...v, template_version: template.version }
  })
}

/** The arms without the versions the service pinned: what a client defines (and may not change once started). */
export function withoutPins(variants: readonly ExperimentVariant[]): ExperimentVariant[] {
  return variants.map(({ template_version: _pinned, ...v }) => v)
}

/** Whether any arm names a template (only then is the registry worth loading). */
export function armsUseTemplates(variants: readonly ExperimentVariant[]): boolean {
  return variants.some((v) => v.template !== undefined)
}

/**
 * The first problem with the arms' templates and their own variables, or `undefined`. An arm whose
 * own variables already render past `maxInstructionChars` is a problem too (a call's variables can
 * only fill the ones it leaves unset, which is checked per call).
 */
export function armTemplateProblem(
  registry: TemplateRegistry,
  variants: readonly ExperimentVariant[],
  maxInstructionChars: number
): FieldError | undefined {
  for (const [i, v] of variants.entries()) {
    if (v.template === undefined) continue
    const prefix = `variants[${i}]`
    const template = getTemplate(registry, v.template)
    if (template === undefined) {
      const ids = [...registry.templates.keys()].sort()
      return { field: `${prefix}.template`, message: `unknown template ${JSON.stringify(v.template)}; expected one of ${ids.join(', ')}` }
    }
    const rendered = renderTemplate(template, v.template_vars ?? {})
    if (rendered.ok) {
      const tooLong = renderedInstructionTooLong(rendered.instruction.length, maxInstructionChars, v.template_vars !== undefined, prefix)
      if (tooLong) return tooLong
      continue
    }
    const own = new Set(Object.keys(v.template_vars ?? {}))
    // Errors about variables the arm does not set are the caller's to fill at request time.
    const error = rendered.errors.find((e) => {
      const name = e.field.startsWith('template_vars.') ? e.field.slice('template_vars.'.length) : null
      return name === null || own.has(name)
    })
    if (error) return { field: `${prefix}.${error.field}`, message: error.message }
  }
  return undefined
}
