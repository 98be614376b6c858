/**
 * @module ui/client/playground-templates
 * The playground's template picker: loads `GET /v1/templates`, fills each arm's select, renders one
 * typed control per template variable (with its description, default and limits as a hint), and
 * reads the controls back into `template_vars`. With API keys on, the registry needs a key (scope
 * "rerank"), so it is loaded again when the API key box changes.
 */
import { byId, h, maybeById, valueControl, valueOf, type Props } from './dom'
import type { TemplateInfo, TemplateVariable } from './rerank-types'

export type Arm = 'a' | 'b'

/** The registry as loaded; null when this deployment has none or it could not be reached. */
let templates: TemplateInfo[] | null = null
/** Why `templates` is null: the HTTP status of the last `GET /v1/templates`, else 0 (network, empty). */
let failedStatus = 0
/** The load in progress (or the last one), and a counter so an older answer never wins. */
let loading: Promise<void> = Promise.resolve()
let generation = 0

export function templatesAvailable(): boolean {
  return templates !== null
}

/** True when the last load was refused for the key (401: none or not accepted; 403: no scope). */
export function templatesRefused(): boolean {
  return templates === null && (failedStatus === 401 || failedStatus === 403)
}

/** Why the picker is hidden, for a message: e.g. "GET /v1/templates answered 401". */
export function templatesProblem(): string {
  return failedStatus ? 'GET /v1/templates answered ' + failedStatus : 'the template registry could not be loaded'
}

/** Resolves when the load in progress (if any) has settled. */
export function templatesSettled(): Promise<void> {
  return loading
}

/** `GET /v1/templates` answers `{ data: [...] }`; older shapes are accepted too. */
function templateList(json: unknown): unknown[] {
  if (Array.isArray(json)) return json
  if (json && typeof json === 'object') {
    const o = json as { templates?: unknown; data?: unknown }
    if (Array.isArray(o.templates)) return o.templates
    if (Array.isArray(o.data)) return o.data
  }
  return []
}

function isTemplate(t: unknown): t is TemplateInfo {
  return typeof t === 'object' && t !== null && typeof (t as { id?: unknown }).id === 'string'
}

class LoadFailure extends Error {
  constructor(readonly status: number) {
    super('HTTP ' + status)
  }
}

function fillPicker(list: TemplateInfo[]): void {
  for (const arm of ['a', 'b'] as const) {
    const select = byId('template-' + arm, HTMLSelectElement)
    const chosen = select.value
    while (select.options.length > 1) select.remove(1)
    for (const t of list) {
      const label = t.id + (t.version !== undefined ? ' v' + String(t.version) : '') + (t.language ? ' · ' + t.language : '')
      select.appendChild(h('option', { value: t.id, text: label }))
    }
    // A reload (a new key) keeps the arm's choice when the registry still has it.
    select.value = list.some((t) => t.id === chosen) ? chosen : ''
    if (select.value !== chosen) renderTemplateVars(arm, null)
    byId('template-field-' + arm).hidden = false
  }
}

async function load(seq: number): Promise<void> {
  const headers: Record<string, string> = {}
  const key = valueOf('api-key').trim()
  if (key) headers.authorization = 'Bearer ' + key
  let list: TemplateInfo[] | null = null
  let status = 0
  try {
    const r = await fetch('/v1/templates', { headers })
    if (!r.ok) throw new LoadFailure(r.status)
    list = templateList(await r.json()).filter(isTemplate)
    if (list.length === 0) list = null
  } catch (e) {
    // No registry on this deployment (404), a key refused (401/403), or not reachable.
    status = e instanceof LoadFailure ? e.status : 0
  }
  if (seq !== generation) return // a newer load (another key) has started: its answer counts
  templates = list
  failedStatus = status
  if (list) {
    fillPicker(list)
    document.body.setAttribute('data-templates', 'ready')
  } else {
    byId('template-field-a').hidden = true
    byId('template-field-b').hidden = true
    document.body.setAttribute('data-templates', 'unavailable')
  }
}

/**
 * Loads the registry with the key in the API key box: at page load, and again whenever the key
 * changes (with keys on, the first load has no key and is refused).
 */
export function loadTemplates(): Promise<void> {
  generation += 1
  loading = load(generation)
  return loading
}

export function findTemplate(id: string): TemplateInfo | null {
  return templates?.find((t) => t.id === id) ?? null
}

function describeDefault(spec: TemplateVariable): string {
  if (spec.default === undefined) return spec.required ? 'required' : ''
  const d = spec.default
  return 'default: ' + (Array.isArray(d) ? d.join(spec.separator || ', ') : String(d))
}

function variableControl(arm: Arm, name: string, spec: TemplateVariable): HTMLElement {
  const id = 'var-' + arm + '-' + name
  const hintId = id + '-hint'
  const d = spec.default
  const base: Props = { id, name, 'data-var': name, 'data-type': spec.type, 'aria-describedby': hintId }
  if (spec.required) base['aria-required'] = 'true'
  let control: HTMLElement
  if (spec.type === 'boolean') {
    base.type = 'checkbox'
    const input = h('input', base)
    input.checked = d === true
    control = input
  } else if (spec.type === 'string' && Array.isArray(spec.enum)) {
    const select = h('select', base, spec.enum.map((v) => h('option', { value: String(v), text: String(v) })))
    if (typeof d === 'string') select.value = d
    control = select
  } else if (spec.type === 'string[]') {
    base.rows = 3
    const area = h('textarea', base)
    area.value = Array.isArray(d) ? d.join('\n') : ''
    control = area
  } else if (spec.type === 'number' || spec.type === 'integer') {
    base.type = 'number'
    base.step = spec.type === 'integer' ? '1' : 'any'
    if (typeof spec.min === 'number') base.min = spec.min
    if (typeof spec.max === 'number') base.max = spec.max
    base.inputmode = spec.type === 'integer' ? 'numeric' : 'decimal'
    const input = h('input', base)
    if (typeof d === 'number') input.value = String(d)
    control = input
  } else {
    base.type = 'text'
    if (typeof spec.maxLength === 'number') base.maxlength = spec.maxLength
    const input = h('input', base)
    if (typeof d === 'string') input.value = d
    control = input
  }
  const typeText = String(spec.type) + (spec.type === 'string[]' ? ', one per line' : '') + (spec.required ? ', required' : '')
  const hint = [spec.description || '', describeDefault(spec)].filter(Boolean).join(' · ')
  const typeHint = h('span', { className: 'hint', text: '(' + typeText + ')' })
  if (spec.type === 'boolean') {
    return h('div', { className: 'field var-field' },
      h('label', { for: id }, control, name + ' ', typeHint),
      h('p', { className: 'hint', id: hintId, text: hint }))
  }
  return h('div', { className: 'field var-field' },
    h('label', { for: id }, name + ' ', typeHint),
    control,
    h('p', { className: 'hint', id: hintId, text: hint }))
}

/** Shows the variables of the template selected in `arm`, preset from `presetVars` if given. */
export function renderTemplateVars(arm: Arm, presetVars: Record<string, unknown> | null): void {
  const box = byId('vars-' + arm)
  const desc = byId('template-desc-' + arm)
  box.textContent = ''
  const t = findTemplate(valueOf('template-' + arm))
  byId('instruction-' + arm, HTMLTextAreaElement).disabled = !!t
  byId('instruction-note-' + arm).hidden = !t
  if (!t) {
    desc.textContent = ''
    return
  }
  desc.textContent = t.description || ''
  const vars = t.variables || {}
  for (const name of Object.keys(vars)) box.appendChild(variableControl(arm, name, vars[name] || {}))
  if (!presetVars) return
  for (const [name, v] of Object.entries(presetVars)) {
    if (!maybeById('var-' + arm + '-' + name)) continue
    const c = valueControl('var-' + arm + '-' + name)
    if (c instanceof HTMLInputElement && c.type === 'checkbox') c.checked = v === true
    else c.value = Array.isArray(v) ? v.join('\n') : String(v)
  }
}

/** The arm's variable controls as `template_vars`; empty boxes are left to the server's defaults. */
export function collectVars(arm: Arm): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const c of byId('vars-' + arm).querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('[data-var]')) {
    const name = c.getAttribute('data-var') ?? ''
    const type = c.getAttribute('data-type')
    if (type === 'boolean') {
      out[name] = c instanceof HTMLInputElement && c.checked
      continue
    }
    const raw = c.value
    if (type === 'string[]') {
      const items = raw.split('\n').map((s) => s.trim()).filter(Boolean)
      if (items.length) out[name] = items
    } else if (type === 'number' || type === 'integer') {
      // An empty box leaves the default to the server; text that is not a number is sent as is,
      // so the server's message (naming template_vars.<name>) explains what is expected.
      if (raw.trim() !== '') out[name] = Number.isFinite(Number(raw)) ? Number(raw) : raw
    } else if (raw.trim() !== '') {
      out[name] = raw
    }
  }
  return out
}
