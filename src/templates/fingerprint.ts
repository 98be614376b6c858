/**
 * @module templates/fingerprint
 * A stable identity for "this template, as it renders": cache keys include it so that they change
 * when, and only when, the template changes.
 */
import type { Template } from './template'

/**
 * `id@version#<canonical JSON of text and variables>`. The canonical part covers everything that
 * affects rendering (text; each variable's type, default, bounds, enum, separator) and leaves out
 * what does not (descriptions, the example, listing metadata, fusion defaults: those change ranking,
 * not the model's scores), so a documentation-only edit keeps the cache warm. No hash: the cache-key
 * layer hashes whatever it is given, and a readable fingerprint is easier to debug.
 */
export function templateFingerprint(template: Template): string {
  const variables: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(template.variables)) {
    const { description: _description, ...rendering } = spec
    variables[name] = rendering
  }
  return `${template.id}@${template.version}#${canonicalJson({ text: template.text, variables })}`
}

/**
 * JSON with object keys sorted by UTF-16 code units and no whitespace; `undefined` members dropped
 * (as JSON.stringify does). Same value → same string, whatever the key insertion order.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`
}
