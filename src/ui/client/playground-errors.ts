/**
 * @module ui/client/playground-errors
 * Shows a rejected request where it can be fixed: the error envelope's `field` (src/errors.ts)
 * names a control, the message goes under that control (linked by aria-describedby, the control
 * marked aria-invalid and focused), and a summary goes in the alert box above the form. A refused
 * API key (401/403) is shown at the API key box.
 */
import { byId, h, maybeById, valueOf } from './dom'
import { templatesAvailable, type Arm } from './playground-templates'
import type { RerankCall } from './rerank-types'

export function clearErrors(): void {
  for (const shown of document.querySelectorAll('.field-error[data-dynamic]')) shown.remove()
  for (const invalid of document.querySelectorAll('[aria-invalid="true"]')) {
    invalid.removeAttribute('aria-invalid')
    const described = (invalid.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-error'))
    if (described.length) invalid.setAttribute('aria-describedby', described.join(' '))
    else invalid.removeAttribute('aria-describedby')
  }
  const box = byId('form-error')
  box.hidden = true
  box.textContent = ''
}

const TIME_DECAY_CONTROLS = new Map([
  ['kind', 'td-kind'],
  ['half_life_days', 'td-half-life'],
  ['after_days', 'td-after'],
  ['factor', 'td-factor'],
  ['missing', 'td-missing'],
  ['steps', 'td-after'],
])

const DIRECT_CONTROLS = new Map([
  ['now', 'now'],
  ['explain', 'explain'],
  ['top_n', 'top-n'],
  ['top_k', 'top-n'],
  ['experiment', 'experiment'],
  ['user', 'user'],
])

/** The id of the control that edits the request field `field` (e.g. `template_vars.year`). */
export function controlForField(field: string | undefined, arm: Arm): string | null {
  if (!field) return null
  const head = field.split(/[.\[]/u)[0] ?? ''
  if (head === 'query') return 'query'
  if (head === 'documents') return 'candidates'
  if (head === 'instruction') return 'instruction-' + arm
  if (head === 'template') return templatesAvailable() ? 'template-' + arm : 'instruction-' + arm
  if (head === 'template_vars') {
    const name = field.split('.')[1]?.split('[')[0]
    return name && maybeById('var-' + arm + '-' + name) ? 'var-' + arm + '-' + name : 'template-' + arm
  }
  if (head === 'time_decay') return TIME_DECAY_CONTROLS.get(field.split('.')[1] || '') ?? 'td-kind'
  if (head === 'fusion') {
    const part = field.split('.')
    if (part[1] === 'weights' && part[2]) return 'w-' + part[2]
    if (part[1] === 'boosts') return 'boosts'
    return 'w-semantic'
  }
  return DIRECT_CONTROLS.get(head) ?? null
}

function showFieldError(controlId: string, message: string): boolean {
  const control = maybeById(controlId)
  if (!control) return false
  const panel = control.closest('details')
  if (panel) panel.open = true
  const errId = controlId + '-error'
  const p = h('p', { className: 'field-error', id: errId, 'data-dynamic': true, 'data-field-error-for': controlId, text: message })
  const field = control.closest('.field') || control.parentNode
  field?.appendChild(p)
  control.setAttribute('aria-invalid', 'true')
  const described = control.getAttribute('aria-describedby')
  control.setAttribute('aria-describedby', (described ? described + ' ' : '') + errId)
  return true
}

/** Shows `summary` (and `fieldMessage`) in the alert box, and at `controlId` when there is one. */
export function showError(summary: string, fieldMessage: string, controlId: string | null): void {
  const box = byId('form-error')
  box.textContent = ''
  box.appendChild(h('strong', { text: summary }))
  if (fieldMessage) box.appendChild(document.createTextNode(' ' + fieldMessage))
  box.hidden = false
  const placed = controlId ? showFieldError(controlId, fieldMessage) : false
  if (placed && controlId) byId(controlId).focus()
  else box.focus()
}

/**
 * A refused key (401: missing or not accepted; 403: lacks the route's scope) is fixed in the API key
 * box, which sits in the collapsed "More options": the message goes there, the panel opens and the
 * box takes the focus. The server's own message speaks to API clients ("send Authorization: …"),
 * so it is given second.
 */
function showKeyError(res: RerankCall, armLabel: string): void {
  const err = res.json?.error
  const keyGiven = valueOf('api-key').trim() !== ''
  const summary = (armLabel ? armLabel + ' — ' : '') + 'API key ' + (res.status === 403 ? 'not allowed' : keyGiven ? 'not accepted' : 'needed') + ' (' + res.status + '):'
  const advice =
    res.status === 403
      ? 'this key may not do this; enter a key that may, in "API key" under More options.'
      : keyGiven
        ? 'check the key in "API key" under More options.'
        : 'this deployment requires an API key: enter it in "API key" under More options.'
  showError(summary, advice + (err?.message ? ' (server: ' + String(err.message) + ')' : ''), 'api-key')
}

/** A failed call: the error envelope at its field, or the status and the start of the body. */
export function showApiError(res: RerankCall, arm: Arm, armLabel: string): void {
  if (res.status === 401 || res.status === 403) {
    showKeyError(res, armLabel)
    return
  }
  const err = res.json?.error
  if (!err) {
    showError((armLabel ? armLabel + ': ' : '') + 'HTTP ' + res.status, res.text ? res.text.slice(0, 300) : 'no response body', null)
    return
  }
  const field = err.field
  let message = String(err.message || err.code)
  if (field && !message.startsWith(field)) message = field + ': ' + message
  // A 5xx is the service's failure, not something wrong in the request.
  const what = res.status >= 500 ? 'The service could not answer' : 'Request rejected'
  const summary =
    (armLabel ? armLabel + ' — ' : '') + what + ' (' + res.status + ' ' + String(err.code) + ')' + (field ? ', field "' + field + '":' : ':')
  showError(summary, message, controlForField(field, arm))
  if (res.json?.request_id) byId('form-error').appendChild(h('span', { className: 'muted', text: ' (request ' + res.json.request_id + ')' }))
}
