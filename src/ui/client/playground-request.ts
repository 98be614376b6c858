/**
 * @module ui/client/playground-request
 * From the playground's form to `POST /v1/rerank`: the request body (the public rerank contract,
 * src/schemas/rerank-request.ts), the auth and cache headers, and the call itself. The page sends
 * what the user typed and lets the server validate it, except for JSON that does not parse, which
 * is caught here and named like the server would name it.
 */
import { checkbox, messageOf, valueOf } from './dom'
import { collectVars, findTemplate, type Arm } from './playground-templates'
import type { RerankBody, RerankCall, RerankJson } from './rerank-types'

/** A problem found before sending, shown at `control` (an element id). */
export class ClientFieldError extends Error {
  constructor(
    readonly control: string,
    message: string
  ) {
    super(message)
  }
}

/** Auth and cache headers (the key stays in this page's memory only). */
function requestHeaders(): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const key = valueOf('api-key').trim()
  if (key) headers.authorization = 'Bearer ' + key
  const mode = valueOf('cache-mode')
  if (mode) headers['cache-control'] = mode
  return headers
}

/** One candidate per line, or a JSON array when the text starts with `[`. */
function parseCandidates(): unknown[] {
  const raw = valueOf('candidates')
  const trimmed = raw.trim()
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed)
      if (!Array.isArray(parsed)) throw new Error('expected an array')
      return parsed
    } catch (e) {
      throw new ClientFieldError('candidates', 'documents: not a valid JSON array (' + messageOf(e) + '); or give one candidate per line')
    }
  }
  return raw.split('\n').map((s) => s.trim()).filter(Boolean)
}

/** The box's number; text that is not a number is sent as is (the server names the field). */
function numberFrom(id: string): number | string | undefined {
  const v = valueOf(id).trim()
  if (v === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : v
}

export function buildBody(arm: Arm, compare: boolean): RerankBody {
  const body: RerankBody = { query: valueOf('query'), documents: parseCandidates(), return_documents: true }
  const t = findTemplate(valueOf('template-' + arm))
  if (t) {
    body.template = t.id
    const vars = collectVars(arm)
    if (Object.keys(vars).length) body.template_vars = vars
  } else {
    const instruction = valueOf('instruction-' + arm).trim()
    if (instruction) body.instruction = instruction
  }
  if (checkbox('explain').checked) body.explain = true
  if (checkbox('td-on').checked) {
    const kind = valueOf('td-kind')
    const td: Record<string, unknown> = { kind }
    if (kind === 'exponential') {
      td.half_life_days = numberFrom('td-half-life')
    } else {
      td.after_days = numberFrom('td-after')
      td.factor = numberFrom('td-factor')
    }
    const missing = numberFrom('td-missing')
    if (missing !== undefined) td.missing = missing
    body.time_decay = td
  }
  const now = valueOf('now').trim()
  if (now) body.now = now
  if (checkbox('fusion-on').checked) {
    const fusion: NonNullable<RerankBody['fusion']> = { weights: {} }
    for (const k of ['semantic', 'business', 'time']) {
      const w = numberFrom('w-' + k)
      if (w !== undefined) fusion.weights[k] = w
    }
    const boostsText = valueOf('boosts').trim()
    if (boostsText) {
      try {
        fusion.boosts = JSON.parse(boostsText)
      } catch (e) {
        throw new ClientFieldError('boosts', 'fusion.boosts: not valid JSON (' + messageOf(e) + ')')
      }
    }
    body.fusion = fusion
  }
  const topN = numberFrom('top-n')
  if (topN !== undefined && !compare) body.top_n = topN
  const experiment = valueOf('experiment').trim()
  if (experiment) body.experiment = experiment
  const user = valueOf('user').trim()
  if (user) body.user = user
  return body
}

export async function callRerank(body: RerankBody): Promise<RerankCall> {
  const started = performance.now()
  const r = await fetch('/v1/rerank', { method: 'POST', headers: requestHeaders(), body: JSON.stringify(body) })
  const text = await r.text()
  let json: RerankJson | null = null
  try {
    json = JSON.parse(text) as RerankJson | null
  } catch {
    json = null
  }
  return {
    ok: r.ok,
    status: r.status,
    json,
    text,
    body,
    cacheStatus: r.headers.get('Cache-Status'),
    serverTiming: r.headers.get('Server-Timing'),
    requestId: r.headers.get('X-Request-Id'),
    ms: performance.now() - started,
  }
}

/** The `total` entry of a Server-Timing header (W3C Server Timing, `name;dur=ms`), in ms. */
export function serverTotal(header: string | null): number | null {
  const m = /total;dur=([0-9.]+)/u.exec(header || '')
  return m ? Number(m[1]) : null
}
