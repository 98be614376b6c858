/**
 * @module templates/registry
 * The template registry: built-ins plus operator overrides from configuration (a JSON array of
 * template definitions, e.g. a wrangler var or a KV value), so templates can be added or changed
 * without a code change. An override with a built-in's id replaces it; each change must carry a new
 * version (a changed template under an unchanged version is refused, so "version" always identifies
 * one text). Cache keys use `fingerprint`, which changes with the template's rendering and only then.
 */
import { z } from 'zod'
import { zodFieldErrors, type FieldError } from '../lib/zod-error'
import { BUILTIN_TEMPLATES } from './builtins'
import { templateFingerprint } from './fingerprint'
import { renderTemplate, type RenderResult } from './render'
import { templateDefinitionSchema, type Template } from './template'
import type { VariableSpec } from './variables'

export interface RegisteredTemplate extends Template {
  origin: 'builtin' | 'override'
  /** templateFingerprint(template): part of every cache key computed with this template. */
  fingerprint: string
}

export interface TemplateRegistry {
  /** By id. Frozen. */
  readonly templates: ReadonlyMap<string, RegisteredTemplate>
}

/** Thrown by createRegistry for invalid operator configuration; `errors` name the bad paths. */
export class TemplateConfigError extends Error {
  readonly errors: FieldError[]
  constructor(errors: FieldError[]) {
    super(`invalid template configuration: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`)
    this.name = 'TemplateConfigError'
    this.errors = errors
  }
}

/** The operator config: `[definition, …]` (also accepted wrapped as `{ "templates": [definition, …] }`). */
const templateOverridesSchema = z.array(templateDefinitionSchema)

export type ParseOverridesResult = { ok: true; templates: Template[] } | { ok: false; errors: FieldError[] }

/**
 * Validates operator overrides. `raw` may be the JSON text (from an env var or KV), already-parsed
 * JSON, or empty (`undefined`, `null`, `""`: no overrides). Errors are named under `prefix`
 * (`templates[0].variables.year.default`). Duplicate ids within the overrides are an error.
 */
export function parseTemplateOverrides(raw: unknown, prefix = 'templates'): ParseOverridesResult {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { ok: true, templates: [] }
  let value: unknown = raw
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw)
    } catch (err) {
      return { ok: false, errors: [{ field: prefix, message: `expected JSON: ${(err as Error).message}` }] }
    }
  }
  const list = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object' && Object.hasOwn(value, 'templates')
      ? (value as { templates: unknown }).templates
      : undefined
  const listPrefix = Array.isArray(value) ? prefix : `${prefix}.templates`
  if (!Array.isArray(list)) {
    return { ok: false, errors: [{ field: listPrefix, message: 'expected an array of template definitions' }] }
  }
  const parsed = templateOverridesSchema.safeParse(list)
  if (!parsed.success) return { ok: false, errors: zodFieldErrors(parsed.error, listPrefix) }
  const seen = new Set<string>()
  const errors: FieldError[] = []
  parsed.data.forEach((t, i) => {
    if (seen.has(t.id)) errors.push({ field: `${listPrefix}[${i}].id`, message: `duplicate template id "${t.id}"` })
    seen.add(t.id)
  })
  return errors.length > 0 ? { ok: false, errors } : { ok: true, templates: parsed.data }
}

/**
 * Builds the registry: `builtins` (default: BUILTIN_TEMPLATES), then `overrides` (raw operator
 * config, see parseTemplateOverrides) replacing or adding by id. Throws TemplateConfigError when
 * the overrides are invalid or change a built-in without changing its version.
 */
export function createRegistry(builtins: readonly Template[] = BUILTIN_TEMPLATES, overrides: unknown = undefined): TemplateRegistry {
  const parsed = parseTemplateOverrides(overrides)
  if (!parsed.ok) throw new TemplateConfigError(parsed.errors)
  const map = new Map<string, RegisteredTemplate>()
  for (const t of builtins) map.set(t.id, Object.freeze({ ...t, origin: 'builtin' as const, fingerprint: templateFingerprint(t) }))
  const errors: FieldError[] = []
  parsed.templates.forEach((t, i) => {
    const fingerprint = templateFingerprint(t)
    const previous = map.get(t.id)
    if (previous !== undefined && previous.version === t.version && previous.fingerprint !== fingerprint) {
      errors.push({
        field: `templates[${i}].version`,
        message: `template "${t.id}" changes version ${t.version}: expected a new version (not ${t.version})`,
      })
      return
    }
    map.set(t.id, Object.freeze({ ...t, origin: 'override' as const, fingerprint }))
  })
  if (errors.length > 0) throw new TemplateConfigError(errors)
  return Object.freeze({ templates: map })
}

/** The template with this id, or `undefined`. */
export function getTemplate(registry: TemplateRegistry, id: string): RegisteredTemplate | undefined {
  return registry.templates.get(id)
}

/** One entry of `GET /v1/templates`. */
export interface TemplateListing {
  id: string
  version: number
  description: string
  language: Template['language']
  origin: RegisteredTemplate['origin']
  text: string
  variables: Record<string, VariableSpec>
  example: Template['example'] & { instruction: string }
  fusion?: Template['fusion']
  boosts?: Template['boosts']
}

/** The public listing for `GET /v1/templates`, sorted by id; each example carries its rendered instruction. */
export function listTemplates(registry: TemplateRegistry): TemplateListing[] {
  return [...registry.templates.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((t) => {
      const rendered = renderTemplate(t, t.example.template_vars)
      const entry: TemplateListing = {
        id: t.id,
        version: t.version,
        description: t.description,
        language: t.language,
        origin: t.origin,
        text: t.text,
        variables: t.variables,
        example: { ...t.example, instruction: rendered.ok ? rendered.instruction : '' },
      }
      if (t.fusion !== undefined) entry.fusion = t.fusion
      if (t.boosts !== undefined) entry.boosts = t.boosts
      return entry
    })
}

export type ResolveInstructionResult =
  | {
      ok: true
      /** The instruction to send; `undefined` when the call gave neither (use the backend default). */
      instruction: string | undefined
      /** Present when a template was used. */
      template?: RegisteredTemplate
      render?: Extract<RenderResult, { ok: true }>
    }
  | { ok: false; errors: FieldError[] }

/**
 * The request's instruction from `instruction` (free text) or `template` + `template_vars`:
 * both at once, `template_vars` without `template`, or an unknown template id are errors on the
 * named field; bad variables are errors on `template_vars.<name>` (renderTemplate).
 */
export function resolveInstruction(
  registry: TemplateRegistry,
  request: { instruction?: string | undefined; template?: string | undefined; template_vars?: unknown },
): ResolveInstructionResult {
  if (request.template === undefined) {
    if (request.template_vars !== undefined) {
      return { ok: false, errors: [{ field: 'template_vars', message: 'expected "template" (a template id) with "template_vars"' }] }
    }
    return { ok: true, instruction: request.instruction }
  }
  if (request.instruction !== undefined) {
    return { ok: false, errors: [{ field: 'instruction', message: 'give either "instruction" or "template", not both' }] }
  }
  const template = getTemplate(registry, request.template)
  if (template === undefined) {
    const ids = [...registry.templates.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    return {
      ok: false,
      errors: [{ field: 'template', message: `unknown template ${JSON.stringify(request.template)}; expected one of ${ids.join(', ')}` }],
    }
  }
  const render = renderTemplate(template, request.template_vars)
  if (!render.ok) return render
  return { ok: true, instruction: render.instruction, template, render }
}
