/**
 * @module templates/template-source
 * Builds the live template registry from the operator's override sources, in layers:
 *
 *   built-ins  ←  the `TEMPLATES` config var (JSON)  ←  the KV value `templates:overrides`
 *
 * A later layer replaces an earlier one's template of the same id, so an operator can change a
 * built-in or add a template without a code change. "Each change a new version" is enforced across
 * every layer: a template whose rendering differs from the one it replaces under the *same* version
 * is refused (a version always names one text, so logs, `meta.template.version` and experiment
 * reports stay meaningful). Cache keys need nothing from here: the score cache keys on the rendered
 * instruction, so an edit that changes a template's text changes the keys of that template's calls
 * and of no other template's.
 *
 * A bad source is never half-applied: building fails with a `TemplateSourceError` that names the
 * source and the first bad path (`TEMPLATES[0].variables.year.default: …`). Pure (no I/O, no clock);
 * the KV read and its per-isolate TTL live in template-source-store.ts.
 */
import type { FieldError } from '../lib/zod-error'
import { BUILTIN_TEMPLATES } from './builtins'
import { templateFingerprint } from './fingerprint'
import { TemplateConfigError, createRegistry, parseTemplateOverrides, type TemplateRegistry } from './registry'
import type { Template } from './template'

/** The KV key holding overrides (same JSON format as the `TEMPLATES` var). */
export const TEMPLATE_OVERRIDES_KV_KEY = 'templates:overrides'

/** Names used in error messages: the var, and the binding + key. */
const TEMPLATES_VAR = 'TEMPLATES'
export const TEMPLATES_KV_BINDING = 'TEMPLATES_KV'
const TEMPLATES_KV_SOURCE = `${TEMPLATES_KV_BINDING}["${TEMPLATE_OVERRIDES_KV_KEY}"]`

export interface TemplateSources {
  /** The `TEMPLATES` var: JSON text, already-parsed JSON (a wrangler `[vars]` array), or empty. */
  config?: unknown
  /** The KV value at `templates:overrides`: JSON text, or null/undefined when absent. */
  kv?: string | null | undefined
}

/** An operator's override source is invalid; `source` names it, `errors` the bad paths. */
export class TemplateSourceError extends Error {
  readonly source: string
  readonly errors: FieldError[]
  constructor(source: string, errors: FieldError[]) {
    const first = errors[0]
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
    super(`invalid template overrides in ${source}: ${first ? `${first.field}: ${first.message}` : 'invalid'}${more}`)
    this.name = 'TemplateSourceError'
    this.source = source
    this.errors = errors
  }
}

interface Layer {
  source: string
  templates: Template[]
}

/** The registry for these sources (module doc). Throws TemplateSourceError on a bad source. */
export function buildTemplateRegistry(sources: TemplateSources): TemplateRegistry {
  return build(sources)
}

/**
 * Registries memoised on the sources' raw text, so an unchanged configuration is parsed once per
 * isolate (the isolate's memo: src/services.ts `templates`). A bad source is memoised too (the
 * same error again, not a re-parse per call).
 */
export interface TemplateRegistryMemo {
  build(sources: TemplateSources): TemplateRegistry
}

/** A few entries: one configuration is normal; tests and a KV edit in flight see two or three. */
const MEMO_ENTRIES = 8

export function createTemplateRegistryMemo(): TemplateRegistryMemo {
  const memo = new Map<string, TemplateRegistry | TemplateSourceError>()
  return {
    build(sources) {
      const key = memoKey(sources)
      const hit = memo.get(key)
      if (hit !== undefined) {
        // Refresh recency (Map iteration order is insertion order).
        memo.delete(key)
        memo.set(key, hit)
        if (hit instanceof TemplateSourceError) throw hit
        return hit
      }
      let built: TemplateRegistry | TemplateSourceError
      try {
        built = build(sources)
      } catch (e) {
        if (!(e instanceof TemplateSourceError)) throw e
        built = e
      }
      memo.set(key, built)
      while (memo.size > MEMO_ENTRIES) {
        const oldest = memo.keys().next().value
        if (oldest === undefined) break
        memo.delete(oldest)
      }
      if (built instanceof TemplateSourceError) throw built
      return built
    },
  }
}

function memoKey(sources: TemplateSources): string {
  const config = sources.config
  const configText = config === undefined || config === null ? '' : typeof config === 'string' ? config : safeJson(config)
  return JSON.stringify([configText, sources.kv ?? ''])
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return String(value)
  }
}

function build(sources: TemplateSources): TemplateRegistry {
  const layers: Layer[] = [
    parseLayer(TEMPLATES_VAR, sources.config),
    parseLayer(TEMPLATES_KV_SOURCE, sources.kv),
  ].filter((l) => l.templates.length > 0)
  if (layers.length === 0) return builtinRegistry()

  // Version discipline across layers: the core checks an override against the built-ins only.
  const current = new Map<string, { version: number; fingerprint: string; source: string }>()
  for (const t of BUILTIN_TEMPLATES) current.set(t.id, { version: t.version, fingerprint: templateFingerprint(t), source: 'built-in' })
  const merged = new Map<string, Template>()
  for (const layer of layers) {
    const errors: FieldError[] = []
    layer.templates.forEach((t, i) => {
      const fingerprint = templateFingerprint(t)
      const previous = current.get(t.id)
      if (previous !== undefined && previous.version === t.version && previous.fingerprint !== fingerprint) {
        errors.push({
          field: `${layer.source}[${i}].version`,
          message: `template "${t.id}" differs from the ${previous.source} version ${t.version}: a change needs a new version (not ${t.version})`,
        })
        return
      }
      current.set(t.id, { version: t.version, fingerprint, source: layer.source })
      merged.set(t.id, t)
    })
    if (errors.length > 0) throw new TemplateSourceError(layer.source, errors)
  }
  try {
    return createRegistry(BUILTIN_TEMPLATES, [...merged.values()])
  } catch (e) {
    // Unreachable after the checks above; kept so a future core rule still surfaces as config.
    if (e instanceof TemplateConfigError) throw new TemplateSourceError(layers.map((l) => l.source).join(' + '), e.errors)
    throw e
  }
}

function parseLayer(source: string, raw: unknown): Layer {
  const parsed = parseTemplateOverrides(raw, source)
  if (!parsed.ok) throw new TemplateSourceError(source, parsed.errors)
  return { source, templates: parsed.templates }
}

let builtins: TemplateRegistry | undefined

/** The registry of the built-ins alone (no overrides). */
export function builtinRegistry(): TemplateRegistry {
  builtins ??= createRegistry(BUILTIN_TEMPLATES)
  return builtins
}
