/**
 * @module routes/experiments-arms
 * Checks an experiment's arms against the live template registry when they are created or
 * changed, so a typo in a template id or variable fails the admin call (400 on
 * `variants[i].template…`) instead of every rerank call later.
 *
 * A template arm may leave required variables unset: a rerank call fills them from its own
 * `template_vars` (rerank/apply-experiment.ts). So only the arm's own choices are checked here: the
 * template exists, and each variable the arm sets is known and valid. The rerank call resolves the
 * complete set through the same resolver (rerank/resolve-instruction.ts) as any template call.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../app-env'
import { badField } from '../errors'
import type { ExperimentVariant } from '../experiments/experiment-schema'
import { getTemplate } from '../templates/registry'
import { renderTemplate } from '../templates/render'
import { templateRegistryLoader } from './templates'

export async function validateArms(c: Context<AppEnv>, variants: readonly ExperimentVariant[]): Promise<void> {
  if (!variants.some((v) => v.template !== undefined)) return
  const registry = await templateRegistryLoader(c)()
  for (const [i, v] of variants.entries()) {
    if (v.template === undefined) continue
    const prefix = `variants[${i}]`
    const template = getTemplate(registry, v.template)
    if (template === undefined) {
      const ids = [...registry.templates.keys()].sort()
      throw badField(`${prefix}.template`, `unknown template ${JSON.stringify(v.template)}; expected one of ${ids.join(', ')}`)
    }
    const rendered = renderTemplate(template, v.template_vars ?? {})
    if (rendered.ok) continue
    const own = new Set(Object.keys(v.template_vars ?? {}))
    // Errors about variables the arm does not set are the caller's to fill at request time.
    const error = rendered.errors.find((e) => {
      const name = e.field.startsWith('template_vars.') ? e.field.slice('template_vars.'.length) : null
      return name === null || own.has(name)
    })
    if (error) throw badField(`${prefix}.${error.field}`, error.message)
  }
}
