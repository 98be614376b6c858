/**
 * @module ui/client/docs-schema
 * Renders JSON Schema nodes of the OpenAPI document for the API reference: a field table with
 * types, limits and descriptions, nested objects in disclosures, alternatives as lists, and
 * references as links to the schema's own section. Descriptions are "markdown-lite": paragraphs
 * and backtick code spans only, never HTML from the document.
 */
import { h } from './dom'
import type { OpenApiDoc, SchemaNode } from './openapi-types'

/** Paragraphs (blank-line separated), line breaks and backtick code spans; nothing else. */
export function prose(text: unknown, className?: string): HTMLElement {
  const box = h('div', { className: className || 'prose' })
  for (const para of String(text || '').split(/\n\s*\n/u)) {
    const p = h('p')
    para.split('\n').forEach((line, li) => {
      if (li > 0) p.appendChild(h('br'))
      line.split('`').forEach((part, i) => p.appendChild(i % 2 ? h('code', { text: part }) : document.createTextNode(part)))
    })
    box.appendChild(p)
  }
  return box
}

/** The last segment of a `$ref` (`#/components/schemas/RerankRequest` → `RerankRequest`). */
export function refName(ref: string): string {
  return String(ref).split('/').pop() ?? ''
}

/** Follows local `$ref`s (JSON Pointer, RFC 6901: `~1` is `/`, `~0` is `~`), at most 20 deep. */
export function resolve<T extends { $ref?: string }>(spec: OpenApiDoc, s: T | undefined): T {
  let node: unknown = s
  let guard = 0
  while (node && typeof node === 'object' && typeof (node as { $ref?: unknown }).$ref === 'string' && guard++ < 20) {
    const parts = (node as { $ref: string }).$ref.replace(/^#\//u, '').split('/')
    let target: unknown = spec
    for (const p of parts) {
      target = target && typeof target === 'object' ? (target as Record<string, unknown>)[p.replace(/~1/gu, '/').replace(/~0/gu, '~')] : undefined
    }
    node = target
  }
  return (node || {}) as T
}

export function typeLabel(s: SchemaNode | undefined): string {
  if (!s || typeof s !== 'object') return 'any'
  if (s.$ref) return refName(s.$ref)
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ')
  const alts = s.anyOf || s.oneOf
  if (alts) return alts.map(typeLabel).join(' | ')
  if (s.allOf) return s.allOf.map(typeLabel).join(' & ')
  const t = Array.isArray(s.type) ? s.type.join(' | ') : s.type
  if (t === 'array') return 'array of ' + typeLabel(s.items || {})
  if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) return 'map of ' + typeLabel(s.additionalProperties)
  return t || 'any'
}

const CONSTRAINTS: ReadonlyArray<readonly [string, string]> = [
  ['minLength', 'min length'], ['maxLength', 'max length'], ['minimum', '≥'], ['maximum', '≤'], ['exclusiveMinimum', '>'], ['exclusiveMaximum', '<'],
  ['minItems', 'min items'], ['maxItems', 'max items'], ['pattern', 'pattern'], ['format', 'format'], ['default', 'default'],
]

/** The node's limits in words; ±2^53−1 bounds (zod's "any safe integer") are left out. */
export function constraints(s: SchemaNode): string {
  const out: string[] = []
  for (const [key, label] of CONSTRAINTS) {
    const v = s[key]
    if (v === undefined) continue
    if ((key === 'maximum' && v === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && v === -Number.MAX_SAFE_INTEGER)) continue
    out.push(label + ' ' + (typeof v === 'string' && key !== 'pattern' && key !== 'format' ? JSON.stringify(v) : String(v)))
  }
  if (s.additionalProperties === false) out.push('no other keys')
  return out.join(', ')
}

/** The object (or alternatives) worth a nested view inside a field's row, if any. */
function childObject(s: SchemaNode | undefined): SchemaNode | null {
  if (!s || typeof s !== 'object' || s.$ref) return null
  if (s.properties) return s
  if (s.type === 'array' && s.items && !s.items.$ref && (s.items.properties || s.items.anyOf || s.items.oneOf)) return s.items
  if (s.anyOf || s.oneOf) return s
  return null
}

function schemaLink(name: string): HTMLElement {
  return h('a', { href: '#schema-' + name, text: name })
}

function fieldRow(spec: OpenApiDoc, name: string, p: SchemaNode, required: readonly string[], depth: number): HTMLElement {
  const desc = h('td')
  if (p.description) desc.appendChild(prose(p.description, 'prose'))
  const c = constraints(p.$ref ? {} : p)
  if (c) desc.appendChild(h('p', { className: 'muted', text: c }))
  const inner = childObject(p)
  if (inner && depth < 6) desc.appendChild(h('details', null, h('summary', { text: 'fields of ' + name }), schemaView(spec, inner, depth + 1)))
  const typeCell = p.$ref ? h('td', null, schemaLink(refName(p.$ref))) : h('td', null, h('code', { text: typeLabel(p) }))
  return h('tr', null,
    h('th', { scope: 'row' }, h('code', { text: name }), required.includes(name) ? h('span', { className: 'req', title: 'required', text: ' required' }) : null),
    typeCell,
    desc)
}

export function schemaView(spec: OpenApiDoc, schema: SchemaNode | undefined, depth = 0): HTMLElement {
  let s: SchemaNode = schema || {}
  const box = h('div', { className: 'schema' })
  if (s.$ref) {
    box.appendChild(h('p', null, 'Schema: ', schemaLink(refName(s.$ref))))
    if (depth > 0) return box
    s = resolve(spec, s)
  }
  if (s.description && depth === 0) box.appendChild(prose(s.description, 'prose muted'))
  const alts = s.anyOf || s.oneOf
  if (alts && !s.properties) {
    box.appendChild(h('p', { text: s.oneOf ? 'Exactly one of:' : 'Any of:' }))
    const ul = h('ul')
    for (const a of alts) {
      const li = h('li', null, h('code', { text: typeLabel(a) }))
      const inner = childObject(a)
      if (inner && depth < 6) li.appendChild(schemaView(spec, inner, depth + 1))
      ul.appendChild(li)
    }
    box.appendChild(ul)
    return box
  }
  if (s.allOf && !s.properties) {
    for (const part of s.allOf) box.appendChild(schemaView(spec, part, depth + 1))
    return box
  }
  const properties = s.properties
  if (!properties) {
    box.appendChild(h('p', null, h('code', { text: typeLabel(s) }), ' ', h('span', { className: 'muted', text: constraints(s) })))
    return box
  }
  const required = s.required || []
  const rows = Object.keys(properties).map((name) => fieldRow(spec, name, properties[name] ?? {}, required, depth))
  box.appendChild(h('div', { className: 'table-wrap' }, h('table', null,
    h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'field' }), h('th', { scope: 'col', text: 'type' }), h('th', { scope: 'col', text: 'description and limits' }))),
    h('tbody', null, rows))))
  if (s.additionalProperties === false) box.appendChild(h('p', { className: 'muted', text: 'No other fields are accepted.' }))
  return box
}
