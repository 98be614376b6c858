/**
 * @module ui/client/docs
 * The API reference's browser code (entry point; bundled by scripts/build-ui.mjs into the page
 * src/ui/docs-page.ts serves at `GET /docs`). It renders the OpenAPI 3.1 document embedded in the
 * page (the same object `GET /openapi.json` serves): a table of contents, every operation with
 * its parameters, request schema, responses and a "try it" form, the error responses and every
 * component schema.
 */
import { byId, h, readJsonBlock } from './dom'
import { prose, refName, resolve, schemaView, typeLabel } from './docs-schema'
import { tryItForm } from './docs-try-it'
import type { OpenApiDoc, OperationObject } from './openapi-types'

const SPEC = readJsonBlock('openapi-data') as OpenApiDoc
/** "method path" → the scope a key needs there, "authenticated" or "public" (src/ui/docs-page.tsx). */
const ACCESS = readJsonBlock('access-data') as Record<string, string>
const METHODS = ['get', 'post', 'put', 'patch', 'delete']

function responsesView(op: OperationObject): HTMLElement {
  const list = h('div', { className: 'responses' })
  for (const [status, r] of Object.entries(op.responses || {})) {
    const ref = r.$ref ? refName(r.$ref) : null
    const rr = resolve(SPEC, r)
    const media = rr.content ? rr.content[Object.keys(rr.content)[0] ?? ''] : null
    const schema = media?.schema
    const first = schema?.allOf?.[0]
    const schemaRef = schema?.$ref ? refName(schema.$ref) : first?.$ref ? refName(first.$ref) : null
    list.appendChild(h('div', { className: 'resp' },
      h('code', { className: 'code s' + status.charAt(0), text: status }), ' ',
      ref ? h('a', { href: '#response-' + ref, text: ref }) : null, ref ? ' ' : null,
      h('span', { text: rr.description || '' }),
      schemaRef ? h('span', null, ' → ', h('a', { href: '#schema-' + schemaRef, text: schemaRef })) : null))
  }
  return list
}

function parametersTable(op: OperationObject): HTMLElement {
  const params = (op.parameters || []).map((p) => (p.$ref ? resolve(SPEC, p) : p))
  return h('div', { className: 'table-wrap' }, h('table', null,
    h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'name' }), h('th', { scope: 'col', text: 'in' }), h('th', { scope: 'col', text: 'type' }), h('th', { scope: 'col', text: 'description' }))),
    h('tbody', null, params.map((p) =>
      h('tr', null,
        h('th', { scope: 'row' }, h('code', { text: p.name }), p.required ? h('span', { className: 'req', text: ' required' }) : null),
        h('td', { text: p.in }),
        h('td', null, h('code', { text: typeLabel(p.schema || {}) })),
        h('td', { text: p.description || '' }))))))
}

function operationView(path: string, method: string, op: OperationObject): HTMLElement {
  const id = 'op-' + (op.operationId || (method + path).replace(/[^A-Za-z0-9]+/gu, '-'))
  const sec = h('section', { className: 'op panel', id, 'aria-labelledby': id + '-h' })
  sec.appendChild(h('h3', { id: id + '-h' },
    h('span', { className: 'method ' + method, text: method.toUpperCase() }), ' ',
    h('code', { className: 'path', text: path }), ' ',
    h('span', { className: 'summary', text: op.summary || '' })))
  if (op.description) sec.appendChild(prose(op.description))
  if (op.security && op.security.length) {
    const optional = op.security.some((s) => Object.keys(s).length === 0)
    const need = ACCESS[method + ' ' + path]
    const key = 'Authorization: Bearer <key>' + (need && need !== 'authenticated' && need !== 'public' ? ' with the "' + need + '" scope' : '')
    sec.appendChild(h('p', { className: 'muted', 'data-auth': need ?? '', text: optional ? 'Auth: none on open deployments; ' + key + ' when API keys are configured.' : 'Auth: ' + key + '.' }))
  }
  if (op.parameters && op.parameters.length) {
    sec.appendChild(h('h4', { text: 'Parameters' }))
    sec.appendChild(parametersTable(op))
  }
  if (op.requestBody) {
    sec.appendChild(h('h4', { text: 'Request body' + (op.requestBody.required ? ' (required)' : '') }))
    const media = op.requestBody.content?.['application/json']
    if (media) sec.appendChild(schemaView(SPEC, media.schema, 0))
  }
  sec.appendChild(h('h4', { text: 'Responses' }))
  sec.appendChild(responsesView(op))
  sec.appendChild(h('details', { className: 'try' }, h('summary', { text: 'Try it' }), tryItForm(SPEC, path, method, op, id)))
  return sec
}

function renderIntro(): void {
  const info = SPEC.info || {}
  byId('title').textContent = (info.title || 'API') + ' ' + (info.version || '')
  const intro = byId('intro')
  intro.appendChild(prose(info.description || ''))
  const limits = SPEC['x-limits']
  if (!limits) return
  intro.appendChild(h('div', { className: 'table-wrap' }, h('table', { className: 'limits' },
    h('caption', { text: 'Limits of this deployment' }),
    h('tbody', null, Object.keys(limits).map((k) => h('tr', null, h('th', { scope: 'row' }, h('code', { text: k })), h('td', { text: String(limits[k]) })))))))
}

/** Operations grouped by their first tag, in the document's tag order (unknown tags last). */
function renderOperations(toc: HTMLElement): void {
  const byTag = new Map<string, Array<[string, string, OperationObject]>>()
  for (const [path, item] of Object.entries(SPEC.paths || {})) {
    for (const m of METHODS) {
      const op = item[m]
      if (!op) continue
      const tag = (op.tags && op.tags[0]) || 'Other'
      const list = byTag.get(tag) ?? []
      list.push([path, m, op])
      byTag.set(tag, list)
    }
  }
  const known = (SPEC.tags || []).map((t) => t.name)
  const order = [...byTag.keys()].sort((a, b) => (known.indexOf(a) + 1 || 99) - (known.indexOf(b) + 1 || 99))
  const ops = byId('operations')
  for (const tag of order) {
    const tagInfo = (SPEC.tags || []).find((t) => t.name === tag)
    const tagId = 'tag-' + tag.replace(/[^A-Za-z0-9]+/gu, '-')
    ops.appendChild(h('h2', { id: tagId, text: tag }))
    if (tagInfo && tagInfo.description) ops.appendChild(h('p', { className: 'muted', text: tagInfo.description }))
    const sub = h('ul')
    for (const [path, m, op] of byTag.get(tag) ?? []) {
      const view = operationView(path, m, op)
      ops.appendChild(view)
      sub.appendChild(h('li', null, h('a', { href: '#' + view.id }, h('span', { className: 'method ' + m, text: m.toUpperCase() }), ' ', path)))
    }
    toc.appendChild(h('li', null, h('a', { href: '#' + tagId, text: tag }), sub))
  }
}

function renderComponents(): void {
  const comps = SPEC.components || {}
  const schemasBox = byId('schemas')
  for (const [name, schema] of Object.entries(comps.schemas || {})) {
    schemasBox.appendChild(h('section', { className: 'panel', id: 'schema-' + name, 'aria-labelledby': 'schema-' + name + '-h' },
      h('h3', { id: 'schema-' + name + '-h' }, h('code', { text: name })), schemaView(SPEC, schema, 0)))
  }
  const errBox = byId('errors')
  for (const [name, r] of Object.entries(comps.responses || {})) {
    const media = r.content && r.content['application/json']
    errBox.appendChild(h('section', { className: 'panel', id: 'response-' + name, 'aria-labelledby': 'response-' + name + '-h' },
      h('h3', { id: 'response-' + name + '-h' }, h('code', { text: name })), prose(r.description || ''),
      media && media.example ? h('pre', { text: JSON.stringify(media.example, null, 2) }) : null))
  }
}

function render(): void {
  renderIntro()
  const toc = byId('toc-list')
  renderOperations(toc)
  renderComponents()
  toc.appendChild(h('li', null, h('a', { href: '#errors-h', text: 'Errors' })))
  toc.appendChild(h('li', null, h('a', { href: '#schemas-h', text: 'Schemas' })))
  document.body.setAttribute('data-ready', 'true')
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView()
}

render()
