/**
 * @module ui/client/playground
 * The playground's browser code (entry point; bundled by scripts/build-ui.mjs into the page that
 * src/ui/playground-page.ts serves at `GET /`). Data flow: form → request body → `POST /v1/rerank`
 * → ranked list, or the error envelope shown at the control its `error.field` names. Compare mode
 * sends the same body twice, with arm A's and arm B's instruction or template, and compares the two
 * rankings. Keyboard: Enter in the query, Ctrl/⌘+Enter in a text area, or the submit button.
 */
import type { PlaygroundExample } from '../playground-examples'
import { byId, checkbox, h, messageOf, readJsonBlock, valueControl, valueOf } from './dom'
import { clearErrors, showApiError, showError } from './playground-errors'
import { renderCompare, renderSingle } from './playground-render'
import { buildBody, callRerank, ClientFieldError } from './playground-request'
import { findTemplate, loadTemplates, renderTemplateVars, templatesProblem, templatesRefused, templatesSettled } from './playground-templates'
import type { RankedCall, RerankBody, RerankCall, RerankJson } from './rerank-types'

const EXAMPLES = readJsonBlock('examples-data') as PlaygroundExample[]
let busy = false

function setBusy(on: boolean, message: string): void {
  busy = on
  byId('submit', HTMLButtonElement).disabled = on
  byId('results').setAttribute('aria-busy', on ? 'true' : 'false')
  byId('status').textContent = message
}

function isRanked(res: RerankCall): res is RankedCall {
  return res.ok && !!res.json && Array.isArray(res.json.results)
}

async function run(): Promise<void> {
  if (busy) return
  clearErrors()
  const compare = checkbox('compare').checked
  let bodies: RerankBody[]
  try {
    bodies = compare ? [buildBody('a', true), buildBody('b', true)] : [buildBody('a', false)]
  } catch (e) {
    if (e instanceof ClientFieldError) {
      showError('Please fix:', e.message, e.control)
      return
    }
    throw e
  }
  setBusy(true, compare ? 'Ranking with A and B…' : 'Ranking…')
  try {
    const res = await Promise.all(bodies.map(callRerank))
    const ranked: RankedCall[] = []
    for (const [i, r] of res.entries()) {
      if (!isRanked(r)) {
        setBusy(false, 'Request failed.')
        showApiError(r, i === 0 ? 'a' : 'b', compare ? (i === 0 ? 'A' : 'B') : '')
        return
      }
      ranked.push(r)
    }
    const [first, second] = ranked
    if (!first) return
    if (compare && second) renderCompare(first, second)
    else renderSingle(first)
    setBusy(false, compare ? 'Compared: both rankings shown.' : 'Done: ' + first.json.results.length + ' results.')
  } catch (e) {
    setBusy(false, 'Request failed.')
    showError('Network error:', messageOf(e), null)
  }
}

/**
 * Fills the form with an example and runs it. An example whose template this page could not load
 * (with keys on: no key yet, or one refused) is filled but not run: without its template it would
 * rank differently from what the example describes, so the page says why instead.
 */
async function loadExample(id: string | null): Promise<void> {
  const ex = EXAMPLES.find((e) => e.id === id)
  if (!ex) return
  clearErrors()
  // A key typed since the last load (its change event may have started a load just now).
  await templatesSettled()
  if (ex.template && !findTemplate(ex.template.id) && templatesRefused() && valueOf('api-key').trim()) await loadTemplates()
  valueControl('query').value = ex.query
  valueControl('candidates').value = ex.candidates
  valueControl('instruction-a').value = ex.instructionA
  valueControl('instruction-b').value = ex.instructionB
  const template = ex.template && findTemplate(ex.template.id) ? ex.template : null
  valueControl('template-a').value = template ? template.id : ''
  renderTemplateVars('a', template ? template.vars : null)
  valueControl('template-b').value = ''
  renderTemplateVars('b', null)
  checkbox('fusion-on').checked = !!ex.fusion
  const w = ex.fusion?.weights || { semantic: 0.6, business: 0.3, time: 0.1 }
  for (const k of ['semantic', 'business', 'time']) valueControl('w-' + k).value = w[k] !== undefined ? String(w[k]) : ''
  valueControl('boosts').value = ex.fusion ? JSON.stringify(ex.fusion.boosts, null, 2) : '[]'
  if (ex.template && !template) {
    const refused = templatesRefused()
    showError(
      'Example not run:',
      'the "' + ex.label + '" example ranks with the template "' + ex.template.id + '", which this page could not load (' + templatesProblem() + ')' +
        (refused ? ': enter an API key in "API key" under More options, then choose the example again.' : '.'),
      refused ? 'api-key' : null
    )
    return
  }
  void run()
}

function syncCompare(): void {
  const on = checkbox('compare').checked
  byId('arm-b').hidden = !on
  byId('arms').classList.toggle('compare', on)
  byId('arm-a-tag').hidden = !on
  byId('submit').textContent = on ? 'Compare A and B' : 'Rerank'
}

function syncDecayKind(): void {
  const exp = valueOf('td-kind') === 'exponential'
  byId('td-exp-fields').hidden = !exp
  byId('td-step-fields').hidden = exp
}

function showReportError(input: HTMLInputElement, message: string): void {
  const err = byId('report-id-error')
  err.textContent = message
  err.hidden = false
  input.setAttribute('aria-invalid', 'true')
  input.focus()
}

/** The error envelope's message (src/errors.ts), else the status line. */
async function errorMessage(r: Response): Promise<string> {
  const text = await r.text()
  try {
    const message = (JSON.parse(text) as RerankJson | null)?.error?.message
    if (typeof message === 'string' && message) return message
  } catch {
    // Not JSON: say the status.
  }
  return 'HTTP ' + r.status + (r.statusText ? ' ' + r.statusText : '')
}

/** The report file offered last (an object URL), released when another replaces it. */
let reportFileUrl: string | null = null

/**
 * The report as a file to download, for a deployment with keys. A navigation cannot carry the
 * Authorization header (the page would be a 401), and a blob: page would inherit this page's CSP
 * (HTML Standard, "policy containers": a blob: URL's document gets its creator's), whose style hash
 * is not the report's, so the report's HTML (self-contained, no script) is saved as a file instead.
 * A <base> points its links (JSON, playground, API reference) back at this service.
 */
function offerReportFile(id: string, html: string): void {
  const base = '<base href="' + location.origin + '/v1/experiments/' + encodeURIComponent(id) + '/">'
  const file = new Blob([html.replace(/<head>/iu, '<head>\n' + base)], { type: 'text/html' })
  if (reportFileUrl) URL.revokeObjectURL(reportFileUrl)
  reportFileUrl = URL.createObjectURL(file)
  const name = 'experiment-' + id.replace(/[^A-Za-z0-9._-]+/gu, '_') + '-report.html'
  const link = h('a', { href: reportFileUrl, download: name, id: 'report-file', text: name })
  const note = byId('report-note')
  note.textContent = ''
  note.append('Report saved as ', link, ' (this deployment needs a key, so it opens from your downloads).')
  note.hidden = false
  link.click()
}

/**
 * Opens the experiments API's report page (src/routes/experiments.ts, `?format=html`). The report
 * is asked for first, so an id the API does not know is explained next to the box (the API's own
 * message) instead of replacing the playground with a raw JSON error. With a key in the API key
 * box the report is saved as a file (offerReportFile); without one, the browser goes to the page.
 */
async function openReport(e: Event): Promise<void> {
  e.preventDefault()
  const input = byId('report-id', HTMLInputElement)
  const button = byId('report-open', HTMLButtonElement)
  byId('report-note').hidden = true
  const id = input.value.trim()
  if (!id) {
    showReportError(input, 'Enter an experiment id.')
    return
  }
  const url = '/v1/experiments/' + encodeURIComponent(id) + '/report?format=html'
  const headers: Record<string, string> = {}
  const key = valueOf('api-key').trim()
  if (key) headers.authorization = 'Bearer ' + key
  let problem: string | null = null
  let html: string | null = null
  button.disabled = true
  try {
    const r = await fetch(url, { headers })
    if (r.ok) html = await r.text()
    else if (r.status === 401 || r.status === 403) {
      // The key box is in the collapsed "More options": opened, so the advice can be followed.
      byId('options-panel', HTMLDetailsElement).open = true
      problem =
        'No report: ' +
        (r.status === 403 ? 'this API key may not read reports (scope "experiments")' : key ? 'the API key was not accepted' : 'this deployment requires an API key') +
        '. Enter one in "API key" under More options, then open the report again.'
    } else problem = 'No report: ' + (await errorMessage(r))
  } catch (err) {
    problem = 'Network error: ' + messageOf(err)
  } finally {
    button.disabled = false
  }
  if (problem !== null || html === null) {
    showReportError(input, problem ?? 'No report.')
    return
  }
  byId('report-id-error').hidden = true
  input.removeAttribute('aria-invalid')
  if (key) offerReportFile(id, html)
  else location.assign(url)
}

byId('rerank-form').addEventListener('submit', (e) => {
  e.preventDefault()
  void run()
})
for (const id of ['candidates', 'instruction-a', 'instruction-b', 'boosts']) {
  byId(id).addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault()
      void run()
    }
  })
}
byId('compare').addEventListener('change', syncCompare)
byId('td-kind').addEventListener('change', syncDecayKind)
byId('template-a').addEventListener('change', () => renderTemplateVars('a', null))
byId('template-b').addEventListener('change', () => renderTemplateVars('b', null))
for (const button of document.querySelectorAll<HTMLElement>('[data-example]')) {
  button.addEventListener('click', () => void loadExample(button.getAttribute('data-example')))
}
byId('report-form').addEventListener('submit', (e) => void openReport(e))
// With keys on, the registry is only listed with a key: reload it for the key now in the box.
byId('api-key').addEventListener('change', () => void loadTemplates())
syncCompare()
syncDecayKind()
void loadTemplates()
document.body.setAttribute('data-ready', 'true')
