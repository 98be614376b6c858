/**
 * @module ui/client/docs-try-it
 * The API reference's "try it" form for one operation: one box per parameter, the example
 * request body, and the page's one API key box (optional); it sends the request from this origin (the page's CSP allows
 * `connect-src 'self'` only) and shows the status, the headers that explain a response and the
 * body, pretty-printed when it is JSON.
 */
import { h, messageOf, valueOf } from './dom'
import { resolve } from './docs-schema'
import type { OpenApiDoc, OperationObject } from './openapi-types'

/** Response headers worth showing: what the cache, timing, tracing and error contracts set. */
const SHOWN_HEADERS = ['content-type', 'cache-status', 'server-timing', 'x-request-id', 'allow', 'retry-after']

/** The request body example of a JSON operation: `example`, else the first of `examples`, else {}. */
function exampleFor(op: OperationObject): unknown {
  const media = op.requestBody?.content?.['application/json']
  if (!media) return null
  if (media.example !== undefined) return media.example
  if (media.examples) {
    const k = Object.keys(media.examples)[0]
    if (k) return media.examples[k]?.value
  }
  return {}
}

async function showResponse(out: HTMLElement, r: Response, started: number): Promise<void> {
  const text = await r.text()
  let pretty = text
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    pretty = text.length > 4000 ? text.slice(0, 4000) + '…' : text
  }
  const shown = SHOWN_HEADERS.filter((k) => r.headers.get(k)).map((k) => k + ': ' + r.headers.get(k)).join('\n')
  out.textContent = ''
  out.appendChild(h('p', null,
    h('strong', { className: 'status s' + String(r.status).charAt(0), 'data-status': r.status, text: r.status + ' ' + r.statusText }), ' ',
    h('span', { className: 'muted', text: Math.round(performance.now() - started) + ' ms' })))
  if (shown) out.appendChild(h('pre', { className: 'headers', text: shown }))
  out.appendChild(h('pre', { className: 'body', text: pretty }))
}

export function tryItForm(spec: OpenApiDoc, path: string, method: string, op: OperationObject, id: string): HTMLFormElement {
  const form = h('form', { className: 'tryit', 'aria-labelledby': id + '-try-h', novalidate: true })
  form.appendChild(h('h4', { id: id + '-try-h', text: 'Try it' }))
  const inputs: HTMLInputElement[] = []
  for (const raw of op.parameters || []) {
    const p = raw.$ref ? resolve(spec, raw) : raw
    const inputId = id + '-param-' + String(p.in) + '-' + String(p.name)
    const input = h('input', { type: 'text', id: inputId, 'data-in': p.in, 'data-name': p.name, autocomplete: 'off' })
    if (p.example !== undefined) input.value = String(p.example)
    inputs.push(input)
    form.appendChild(h('div', { className: 'field' },
      h('label', { for: inputId }, String(p.name) + ' ', h('span', { className: 'hint', text: '(' + String(p.in) + (p.required ? ', required' : '') + ')' })), input))
  }
  // One key box for the whole page (src/ui/docs-page.tsx), read when the form is sent.
  form.appendChild(h('p', { className: 'hint' }, 'API key: the one in ', h('a', { href: '#docs-api-key', text: 'the box at the top' }), ', if any.'))
  let body: HTMLTextAreaElement | null = null
  const example = exampleFor(op)
  if (example !== null) {
    const bodyId = id + '-body'
    body = h('textarea', { id: bodyId, className: 'mono', rows: 10, spellcheck: 'false' })
    body.value = JSON.stringify(example, null, 2)
    form.appendChild(h('div', { className: 'field' }, h('label', { for: bodyId, text: 'Request body (JSON)' }), body))
  }
  const button = h('button', { type: 'submit', className: 'primary', text: 'Send ' + method.toUpperCase() + ' ' + path })
  form.appendChild(button)
  const out = h('div', { className: 'response', 'aria-live': 'polite', id: id + '-response' })
  form.appendChild(out)
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    let url = path
    const query: string[] = []
    const headers: Record<string, string> = {}
    for (const inp of inputs) {
      const where = inp.getAttribute('data-in')
      const name = inp.getAttribute('data-name') ?? ''
      const v = inp.value
      if (where === 'path') url = url.replace('{' + name + '}', encodeURIComponent(v))
      else if (v === '') continue
      else if (where === 'query') query.push(encodeURIComponent(name) + '=' + encodeURIComponent(v))
      else if (where === 'header') headers[name] = v
    }
    if (query.length) url += '?' + query.join('&')
    const key = valueOf('docs-api-key').trim()
    if (key) headers.authorization = 'Bearer ' + key
    const init: RequestInit = { method: method.toUpperCase(), headers }
    if (body) {
      init.body = body.value
      headers['content-type'] = 'application/json'
    }
    out.textContent = 'Sending…'
    button.disabled = true
    const started = performance.now()
    fetch(url, init)
      .then((r) => showResponse(out, r, started))
      .catch((err: unknown) => {
        out.textContent = 'Network error: ' + messageOf(err)
      })
      .finally(() => {
        button.disabled = false
      })
  })
  return form
}
