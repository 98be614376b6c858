/**
 * @module ui/client/playground-render
 * Renders rerank responses: one ranking (score bar, document, "Why this score?" explanation), or
 * compare mode's two rankings side by side with each document's rank change from A to B and the
 * rank correlation of the two score lists (src/ui/rank-correlation.ts, the functions the unit tests
 * check). Response text reaches the page through `textContent` only.
 */
import { formatRankChange, kendallTauB, rankChanges, spearmanRho } from '../rank-correlation'
import { byId, fmt, h } from './dom'
import { serverTotal } from './playground-request'
import type { Explanation, RankedCall, RerankCall, RerankResult } from './rerank-types'

function plural(n: number, one: string, many: string): string {
  return n + ' ' + (n === 1 ? one : many)
}

function metaBlock(res: RankedCall, label: string): HTMLElement[] {
  const j = res.json
  const meta = j.meta || {}
  const backend = meta.backend || 'unknown'
  const items: HTMLElement[] = []
  items.push(
    backend === 'lexical'
      ? h('span', { className: 'badge warn', 'data-backend': backend, title: 'No GPU backend: the embedded BM25 scorer answered; it ignores instructions.', text: 'backend: lexical (fallback — instructions ignored)' })
      : h('span', { className: 'badge', 'data-backend': backend, text: 'backend: ' + backend })
  )
  items.push(h('span', { className: 'badge', text: 'model: ' + (j.model || meta.model || '?') }))
  items.push(h('span', { className: 'badge', 'data-cache-status': res.cacheStatus || '', text: 'Cache-Status: ' + (res.cacheStatus || '—') }))
  if (meta.cache) {
    const { hits, misses } = meta.cache
    items.push(h('span', { className: 'badge', 'data-cache': hits + '/' + misses, text: 'cache: ' + plural(hits, 'hit', 'hits') + ', ' + plural(misses, 'miss', 'misses') }))
  }
  const total = serverTotal(res.serverTiming)
  items.push(h('span', { className: 'badge', text: (total !== null ? 'server ' + fmt(total, 1) + ' ms · ' : '') + 'round trip ' + fmt(res.ms, 0) + ' ms' }))
  const out: HTMLElement[] = [h('div', { className: 'meta' }, items)]
  if (meta.instruction) {
    const template = meta.template && meta.template.id ? ': ' + meta.template.id + (meta.template.version ? ' v' + String(meta.template.version) : '') : ''
    const src = meta.instruction_source ? ' (' + meta.instruction_source + template + ')' : ''
    out.push(h('p', { className: 'instruction-used' }, h('span', { className: 'muted', text: (label ? label + ' instruction' : 'Instruction') + src + ': ' }), h('q', { text: meta.instruction })))
  }
  if (meta.experiment) out.push(h('p', { className: 'muted', text: 'Experiment: ' + JSON.stringify(meta.experiment) }))
  if (Array.isArray(meta.warnings) && meta.warnings.length) {
    out.push(h('ul', { className: 'warnings', 'aria-label': 'Warnings' }, meta.warnings.map((w) => h('li', { text: String(w) }))))
  }
  return out
}

function explanationTable(e: Explanation & { components: Record<string, unknown> }, box: HTMLElement): void {
  const w = e.weights || {}
  const rows = ['semantic', 'business', 'time'].map((k) => {
    const v = e.components[k]
    const weight = w[k]
    const contribution = typeof v === 'number' && typeof weight === 'number' ? v * weight : null
    return h('tr', null,
      h('th', { scope: 'row', text: k }),
      h('td', { text: v === null || v === undefined ? 'off' : fmt(v, 4) }),
      h('td', { text: typeof weight === 'number' ? fmt(weight, 3) : '—' }),
      h('td', { text: contribution === null ? '—' : fmt(contribution, 4) }))
  })
  box.appendChild(h('table', null,
    h('caption', { className: 'sr-only', text: 'Score components' }),
    h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'component' }), h('th', { scope: 'col', text: 'score' }), h('th', { scope: 'col', text: 'weight' }), h('th', { scope: 'col', text: 'contribution' }))),
    h('tbody', null, rows)))
  if (typeof e.final === 'number') box.appendChild(h('p', { text: 'final = Σ weight × score = ' + fmt(e.final, 4) }))
  if (Array.isArray(e.fired) && e.fired.length) {
    const points = e.points
    const fired = e.fired.map((name, i) => {
      const p = Array.isArray(points) ? points[i] : undefined
      return String(name) + (typeof p === 'number' ? ' (' + (p >= 0 ? '+' : '') + p + ')' : '')
    })
    box.appendChild(h('p', { text: 'Rules fired: ' + fired.join(', ') }))
  } else {
    box.appendChild(h('p', { className: 'muted', text: 'No boost rule fired.' }))
  }
  const time = e.time
  if (time && typeof time === 'object') {
    const parts = Object.keys(time).map((k) => {
      const v = time[k]
      return k + ' ' + (typeof v === 'number' ? fmt(v, 3) : String(v))
    })
    box.appendChild(h('p', { text: 'Time: ' + parts.join(', ') }))
  }
}

function explanationView(e: unknown, id: string): HTMLElement {
  const box = h('div', { className: 'explanation', id, hidden: true })
  if (e && typeof e === 'object') {
    const ex = e as Explanation
    if (ex.components && typeof ex.components === 'object') explanationTable({ ...ex, components: ex.components }, box)
  }
  box.appendChild(h('details', null, h('summary', { text: 'raw explanation' }), h('pre', { text: JSON.stringify(e, null, 2) })))
  return box
}

/** The document as the call sent it (a string or an object). */
function sentDocument(res: RerankCall, r: RerankResult): unknown {
  return res.body.documents[r.index]
}

/** `d[key]` when `d` is an object, else undefined. */
function prop(d: unknown, key: string): unknown {
  return d && typeof d === 'object' ? (d as Record<string, unknown>)[key] : undefined
}

function docText(res: RerankCall, r: RerankResult): string {
  if (r.document && typeof r.document.text === 'string') return r.document.text
  const d = sentDocument(res, r)
  if (typeof d === 'string') return d
  const text = prop(d, 'text')
  return typeof text === 'string' ? text : JSON.stringify(d)
}

function docId(res: RerankCall, r: RerankResult): string {
  if (r.document && r.document.id !== undefined) return String(r.document.id)
  const id = prop(sentDocument(res, r), 'id')
  return id !== undefined ? String(id) : ''
}

function deltaView(delta: number): HTMLElement {
  const words = delta > 0 ? 'up ' + delta + ' from A' : delta < 0 ? 'down ' + -delta + ' from A' : 'same rank as A'
  return h('span', { className: 'delta ' + (delta > 0 ? 'up' : delta < 0 ? 'down' : 'same'), 'data-delta': delta, title: words },
    h('span', { 'aria-hidden': 'true', text: formatRankChange(delta) }), h('span', { className: 'sr-only', text: words }))
}

function rankingList(res: RankedCall, arm: string, changes: Map<number, number> | null): HTMLElement {
  const ol = h('ol', { className: 'ranking', id: 'ranking-' + arm, 'data-arm': arm })
  res.json.results.forEach((r, pos) => {
    const score = r.relevance_score
    const expId = 'exp-' + arm + '-' + pos
    const delta = changes?.get(r.index)
    const fill = h('span', { className: 'fill' })
    fill.style.width = Math.max(0, Math.min(1, score)) * 100 + '%'
    const id = docId(res, r)
    const li = h('li', { className: 'result', 'data-index': r.index, 'data-score': score },
      h('div', { className: 'r-top' },
        h('span', { className: 'rank', 'aria-hidden': 'true', text: String(pos + 1) }),
        h('span', { className: 'score', text: fmt(score, 4) }),
        h('span', { className: 'bar', 'aria-hidden': 'true' }, fill),
        delta !== undefined ? deltaView(delta) : null),
      h('p', { className: 'doc', text: docText(res, r) }),
      h('p', { className: 'doc-meta muted', text: 'document #' + r.index + (id ? ' · id ' + id : '') }))
    if (r.explanation !== undefined) {
      const btn = h('button', { type: 'button', className: 'why', 'aria-expanded': 'false', 'aria-controls': expId, text: 'Why this score?' })
      const view = explanationView(r.explanation, expId)
      btn.addEventListener('click', () => {
        const open = btn.getAttribute('aria-expanded') === 'true'
        btn.setAttribute('aria-expanded', open ? 'false' : 'true')
        view.hidden = open
      })
      li.appendChild(btn)
      li.appendChild(view)
    }
    ol.appendChild(li)
  })
  return ol
}

export function renderSingle(res: RankedCall): void {
  const out = byId('results')
  out.textContent = ''
  const results = res.json.results
  out.appendChild(h('h2', { id: 'results-heading', tabindex: '-1', text: 'Results: ' + results.length + ' ranked' }))
  for (const n of metaBlock(res, '')) out.appendChild(n)
  if (results.length && results[0]?.explanation === undefined) out.appendChild(h('p', { className: 'muted', text: 'Tick "explain" to see each score\'s components.' }))
  out.appendChild(rankingList(res, 'a', null))
}

function scoresByIndex(res: RankedCall, n: number): Array<number | undefined> {
  const s = new Array<number | undefined>(n)
  for (const r of res.json.results) s[r.index] = r.relevance_score
  return s
}

export function renderCompare(a: RankedCall, b: RankedCall): void {
  const out = byId('results')
  out.textContent = ''
  const n = a.body.documents.length
  const sa = scoresByIndex(a, n)
  const sb = scoresByIndex(b, n)
  const x: number[] = []
  const y: number[] = []
  for (let i = 0; i < n; i++) {
    const va = sa[i]
    const vb = sb[i]
    if (typeof va === 'number' && typeof vb === 'number') {
      x.push(va)
      y.push(vb)
    }
  }
  const tau = kendallTauB(x, y)
  const rho = spearmanRho(x, y)
  const changes = new Map<number, number>()
  let moved = 0
  for (const c of rankChanges(a.json.results.map((r) => r.index), b.json.results.map((r) => r.index))) {
    if (c.rankB > 0) {
      changes.set(c.index, c.delta)
      if (c.delta !== 0) moved++
    }
  }
  out.appendChild(h('h2', { id: 'results-heading', tabindex: '-1', text: 'Compare: A vs B' }))
  out.appendChild(h('p', { className: 'correlation', id: 'correlation' },
    'Kendall τ-b ', h('strong', { id: 'kendall-tau', 'data-value': String(tau), text: fmt(tau, 3) }),
    ' · Spearman ρ ', h('strong', { id: 'spearman-rho', 'data-value': String(rho), text: fmt(rho, 3) }),
    ' · ' + x.length + ' documents · ' + moved + ' moved',
    h('span', { className: 'muted', text: ' (1 = same order, −1 = reversed; computed on the scores, ties handled)' })))
  const cols = h('div', { className: 'compare-grid' })
  const arms: Array<[string, RankedCall, string, Map<number, number> | null]> = [['a', a, 'A', null], ['b', b, 'B', changes]]
  for (const [arm, res, label, armChanges] of arms) {
    const col = h('section', { className: 'col', 'aria-labelledby': 'col-' + arm + '-h' },
      h('h3', { id: 'col-' + arm + '-h', text: 'Ranking ' + label + (armChanges ? ' (arrows: change from A)' : '') }))
    for (const node of metaBlock(res, label)) col.appendChild(node)
    col.appendChild(rankingList(res, arm, armChanges))
    cols.appendChild(col)
  }
  out.appendChild(cols)
}
