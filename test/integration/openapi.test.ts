/**
 * GET /openapi.json is a well-formed OpenAPI 3.1 document that lists every route the worker serves,
 * with this deployment's limits; real responses match its response schemas; GET / and GET /docs are
 * self-contained HTML pages (no external resource, CSP pinned to their inline code).
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { hashApiKey } from '../../src/auth/key-digest'
import { checkOpenApiDocument } from '../support/openapi/check-document'
import { asObject, validateJson, valueAt as at } from '../support/openapi/json-schema-check'
import { collectPaths } from '../../src/openapi/route-paths'
import { callWorker, rerank } from './helpers'

const quiet = { VLLM_URLS: '', LOG_REQUESTS: 'false' }

async function openapi(vars: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await callWorker('/openapi.json', undefined, { vars: { ...quiet, ...vars } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/application\/json/u)
  return asObject(await res.json())
}

describe('GET /openapi.json', () => {
  it('is a structurally valid OpenAPI 3.1 document', async () => {
    const doc = await openapi()
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/u)
    expect(checkOpenApiDocument(doc)).toEqual([])
    expect(Object.keys(asObject(at(doc, 'components', 'schemas')))).toEqual(expect.arrayContaining(['RerankRequest', 'RerankResponse', 'ErrorEnvelope']))
  })

  it("lists every route in the app's route table, and only those", async () => {
    const doc = await openapi()
    const served = collectPaths(createApp().routes)
    expect(served.length).toBeGreaterThanOrEqual(7)
    for (const entry of served) {
      for (const method of entry.methods) expect(at(doc, 'paths', entry.path, method), `${method} ${entry.path}`).toBeDefined()
    }
    const documented = Object.entries(asObject(doc.paths)).flatMap(([path, item]) => Object.keys(asObject(item)).map((m) => `${m} ${path}`))
    expect(documented.sort()).toEqual(served.flatMap((e) => e.methods.map((m) => `${m} ${e.path}`)).sort())
    for (const must of ['post /v1/rerank', 'post /v2/rerank', 'post /rerank', 'get /healthz', 'get /', 'get /docs', 'get /openapi.json']) {
      expect(documented).toContain(must)
    }
  })

  it('describes every field and the error envelope with the contract statuses', async () => {
    const doc = await openapi()
    const body = asObject(at(doc, 'components', 'schemas', 'RerankRequest'))
    for (const field of ['query', 'documents', 'model', 'top_n', 'return_documents', 'max_tokens_per_doc', 'instruction', 'template', 'template_vars', 'experiment', 'user', 'time_decay', 'fusion', 'explain', 'now']) {
      expect(at(body, 'properties', field), field).toBeDefined()
      expect(at(body, 'properties', field, 'description'), `${field} description`).toEqual(expect.any(String))
    }
    expect(body.required).toEqual(['query', 'documents'])
    const rerankResponses = asObject(at(doc, 'paths', '/v1/rerank', 'post', 'responses'))
    for (const status of ['200', '400', '401', '413', '429', '502', '503', '504', '405']) expect(rerankResponses[status], status).toBeDefined()
    for (const status of [400, 401, 404, 405, 413, 429, 502, 503, 504]) {
      const named = Object.values(asObject(at(doc, 'components', 'responses'))).find((r) => String(at(r, 'description')).startsWith(`${status}:`))
      expect(named, String(status)).toBeDefined()
      expect(at(named, 'content', 'application/json', 'schema', 'allOf', 0, '$ref')).toBe('#/components/schemas/ErrorEnvelope')
    }
    expect(at(doc, 'components', 'schemas', 'ErrorEnvelope', 'required')).toEqual(['error', 'message', 'detail', 'request_id'])
    expect(at(doc, 'components', 'responses', 'TooManyRequests', 'headers', 'Retry-After')).toBeDefined()
    expect(at(doc, 'components', 'responses', 'MethodNotAllowed', 'headers', 'Allow')).toBeDefined()
  })

  it("states this deployment's limits, generated from its config", async () => {
    const vars = { MAX_DOCUMENTS: '7', MAX_QUERY_CHARS: '33', MAX_INSTRUCTION_CHARS: '44', MAX_DOCUMENT_CHARS: '55', MAX_BODY_BYTES: '4096', BACKEND_TIMEOUT_MS: '1234' }
    const doc = await openapi(vars)
    const p = at(doc, 'components', 'schemas', 'RerankRequest', 'properties')
    expect(at(p, 'query', 'maxLength')).toBe(33)
    expect(at(p, 'instruction', 'maxLength')).toBe(44)
    expect(at(p, 'documents', 'maxItems')).toBe(7)
    expect(at(p, 'documents', 'items', 'anyOf', 0, 'maxLength')).toBe(55)
    expect(at(p, 'documents', 'items', 'anyOf', 1, 'properties', 'text', 'maxLength')).toBe(55)
    expect(doc['x-limits']).toMatchObject({ MAX_DOCUMENTS: 7, MAX_BODY_BYTES: 4096, BACKEND_TIMEOUT_MS: 1234 })
    expect(at(doc, 'components', 'responses', 'PayloadTooLarge', 'description')).toContain('4096 bytes')
    expect(at(doc, 'components', 'responses', 'GatewayTimeout', 'description')).toContain('1234 ms')
    // The defaults are different, so the document really follows the config.
    expect(at(await openapi(), 'components', 'schemas', 'RerankRequest', 'properties', 'query', 'maxLength')).toBe(8000)
  })

  it('real responses match the documented response schemas', async () => {
    const doc = await openapi()
    const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` })
    const ok = await rerank({ query: 'json parse', documents: ['parse json with json.loads', 'unrelated text'], explain: true }, { vars: quiet })
    expect(ok.status).toBe(200)
    expect(validateJson(schema('RerankResponse'), ok.json, doc)).toEqual([])
    const v2 = await rerank({ query: 'q', documents: ['a'] }, { vars: quiet, path: '/v2/rerank' })
    expect(validateJson(schema('RerankResponse'), v2.json, doc)).toEqual([])
    for (const [body, path, method] of [[{ query: '' , documents: ['a'] }, '/v1/rerank', 'POST'], [undefined, '/v1/rerank', 'GET'], [undefined, '/nope', 'GET']] as const) {
      const res = await rerank(body, { vars: quiet, path, method })
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(validateJson(schema('ErrorEnvelope'), res.json, doc), `${method} ${path}`).toEqual([])
    }
    const health = await callWorker('/healthz', undefined, { vars: quiet })
    expect(validateJson(schema('Health'), await health.json(), doc)).toEqual([])
    // And a response that breaks the schema is caught (the check can fail).
    expect(validateJson(schema('RerankResponse'), { ...ok.json, results: [{ index: -1, relevance_score: 2 }] }, doc).length).toBeGreaterThan(0)
  })

  it('every example in the document is valid against the schema it illustrates', async () => {
    const doc = await openapi()
    let checked = 0
    const check = (media: unknown, where: string) => {
      const m = asObject(media)
      const schema = m.schema as Record<string, unknown>
      const examples = [...(m.example === undefined ? [] : [m.example]), ...Object.values(asObject(m.examples ?? {})).map((e) => asObject(e).value)]
      for (const example of examples) {
        expect(validateJson(schema, example, doc), where).toEqual([])
        checked++
      }
    }
    for (const [name, response] of Object.entries(asObject(at(doc, 'components', 'responses')))) check(at(response, 'content', 'application/json'), `components.responses.${name}`)
    for (const [path, item] of Object.entries(asObject(doc.paths))) {
      for (const [method, op] of Object.entries(asObject(item))) {
        const media = at(op, 'requestBody', 'content', 'application/json')
        if (media !== undefined) check(media, `${method} ${path} requestBody`)
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15)
  })

  it('real answers of every kind have a documented status and match its schema', async () => {
    const doc = await openapi()
    /** The schema the document gives (method, path template) for `status`; fails when the status is undocumented. */
    const documented = (method: string, path: string, status: number): Record<string, unknown> => {
      const responses = asObject(at(doc, 'paths', path, method, 'responses'), `${method} ${path} responses`)
      expect(Object.keys(responses), `${method} ${path} documents ${status}`).toContain(String(status))
      let r = asObject(responses[String(status)])
      if (typeof r.$ref === 'string') r = asObject(at(doc, ...r.$ref.slice(2).split('/')))
      const media = asObject(r.content ?? {})
      return asObject(asObject(media['application/json'] ?? media['text/html'] ?? {}).schema ?? {})
    }
    const keyed = { ...quiet, API_KEYS: JSON.stringify([{ id: 'docs-rerank-only', hash: await hashApiKey('docs-rerank-only-key'), tenant: 'docs', scopes: ['rerank'] }]) }
    const onlyRerank = { authorization: 'Bearer docs-rerank-only-key' }
    const cases: Array<{ method: string; path: string; url: string; vars?: Record<string, string>; headers?: Record<string, string>; status: number }> = [
      { method: 'get', path: '/openapi.json', url: '/openapi.json', status: 200 },
      { method: 'get', path: '/healthz', url: '/healthz?probe=1&probe_timeout_ms=300', vars: { ...quiet, VLLM_URLS: 'http://127.0.0.1:9' }, status: 503 },
      { method: 'get', path: '/healthz', url: '/healthz?detail=1', vars: keyed, headers: onlyRerank, status: 403 },
      { method: 'get', path: '/healthz', url: '/healthz?detail=1', vars: keyed, status: 401 },
      { method: 'get', path: '/v1/experiments', url: '/v1/experiments?limit=0', status: 400 },
      { method: 'get', path: '/v1/experiments', url: '/v1/experiments?status=draft', status: 200 },
      { method: 'get', path: '/v1/experiments/{id}/report', url: '/v1/experiments/x/report', vars: keyed, status: 401 },
      { method: 'get', path: '/v1/experiments/{id}/report.html', url: '/v1/experiments/x/report.html', vars: keyed, status: 401 },
      { method: 'post', path: '/v1/rerank', url: '/v1/rerank', vars: keyed, headers: { ...onlyRerank, 'x-cache-namespace': 'bad namespace!' }, status: 400 },
    ]
    for (const c of cases) {
      const body = c.method === 'post' ? { query: 'q', documents: ['a'] } : undefined
      const res = await callWorker(c.url, body, { vars: c.vars ?? quiet, headers: c.headers ?? {} })
      expect(res.status, c.url).toBe(c.status)
      const schema = documented(c.method, c.path, c.status)
      expect(validateJson(schema, await res.json(), doc), `${c.method} ${c.url} ${c.status}`).toEqual([])
    }
    // The check can fail: a status no operation lists.
    expect(Object.keys(asObject(at(doc, 'paths', '/healthz', 'get', 'responses')))).not.toContain('418')
  })

  it('says who may call each operation on this deployment, as access control decides it', async () => {
    const keyed = { ...quiet, API_KEYS: JSON.stringify([{ id: 'docs-all', hash: await hashApiKey('docs-all-key'), tenant: 'docs', scopes: ['rerank', 'experiments', 'feedback', 'stats'] }]) }
    const open = asObject(at(await openapi(), 'paths'))
    const closed = asObject(at(await openapi(keyed), 'paths'))
    const operations = Object.entries(closed).flatMap(([path, item]) => Object.keys(asObject(item)).map((method) => ({ path, method })))
    expect(operations.length).toBeGreaterThan(15)
    const checked = { keyed: 0, public: 0 }
    for (const { path, method } of operations) {
      const security = at(closed, path, method, 'security') as Array<Record<string, string[]>>
      const openSecurity = at(open, path, method, 'security') as Array<Record<string, string[]>>
      expect(Array.isArray(security), `${method} ${path}`).toBe(true)
      // Open: nothing needs a key (an empty requirement object, or no requirement at all).
      expect(openSecurity.length === 0 || openSecurity.some((r) => Object.keys(r).length === 0), `open ${method} ${path}`).toBe(true)
      if (method === 'head' || method === 'options') continue
      const url = path.replace(/\{[^}]+\}/gu, 'x')
      const res = await callWorker(url, method === 'get' || method === 'delete' ? undefined : {}, { method: method.toUpperCase(), vars: keyed })
      if (security.length === 0) {
        checked.public++
        expect(res.status, `keyed ${method} ${path}: documented as public`).not.toBe(401)
      } else {
        checked.keyed++
        expect(security.some((r) => Object.keys(r).length === 0), `keyed ${method} ${path}: a key is required`).toBe(false)
        expect(res.status, `keyed ${method} ${path}: documented as needing a key`).toBe(401)
      }
    }
    expect(checked.keyed).toBeGreaterThan(10)
    expect(checked.public).toBeGreaterThan(3)
    // The role names the scope the route needs (auth/route-access.ts).
    expect(at(closed, '/v1/experiments', 'post', 'security')).toEqual([{ bearerAuth: ['experiments'] }, { apiKeyHeader: ['experiments'] }])
    expect(at(closed, '/v1/rerank', 'post', 'security')).toEqual([{ bearerAuth: ['rerank'] }, { apiKeyHeader: ['rerank'] }])
    expect(at(closed, '/v1/feedback', 'post', 'security')).toEqual([{ bearerAuth: ['feedback'] }, { apiKeyHeader: ['feedback'] }])
    expect(at(open, '/v1/experiments', 'post', 'security')).toEqual([{}, { bearerAuth: ['experiments'] }, { apiKeyHeader: ['experiments'] }])
  })

  it('answers 405 with Allow for other methods', async () => {
    const res = await callWorker('/openapi.json', {}, { method: 'POST', vars: quiet })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })
})

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return btoa(String.fromCharCode(...digest))
}

/** Every URL the page would load or navigate to: attributes, CSS url()/@import, script fetches. */
function externalReferences(html: string): string[] {
  const found: string[] = []
  for (const m of html.matchAll(/\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"'\s>]+)/giu)) {
    const url = m[1] as string
    if (/^(?:[a-z][a-z0-9+.-]*:)?\/\//iu.test(url) && !url.startsWith('data:')) found.push(url)
  }
  // CSS url(): not the tail of a longer name (the playground's `URL.createObjectURL(blob)`).
  for (const m of html.matchAll(/(?<![\w$])url\(\s*["']?([^"')]+)|@import\s+["']?([^"';\s]+)/giu)) {
    const url = (m[1] ?? m[2]) as string
    if (!url.startsWith('data:')) found.push(url)
  }
  for (const m of html.matchAll(/fetch\(\s*["']([^"']+)/gu)) if (!(m[1] as string).startsWith('/')) found.push(m[1] as string)
  return found
}

describe.each([
  ['/', 'rerank-edge playground'],
  ['/docs', 'rerank-edge API reference'],
])('GET %s', (path, title) => {
  it('is a self-contained HTML page, built once and then served from memory', async () => {
    const first = await (await callWorker(path, undefined, { vars: quiet })).text() // builds and memoises the page
    const res = await callWorker(path, undefined, { vars: quiet })
    const html = await res.text()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    // The same bytes: the memoised page (how fast it is served is a bench's business, not a test's).
    expect(html).toBe(first)
    expect(html).toContain(`<title>${title}</title>`)
    expect(html.length).toBeLessThan(path === '/' ? 120_000 : 400_000)
    expect(externalReferences(html)).toEqual([])
    // Outside the embedded OpenAPI data, no absolute URL appears at all.
    const outsideData = html.replace(/<script type="application\/json"[^>]*>[\s\S]*?<\/script>/gu, '')
    expect(outsideData).not.toMatch(/https?:\/\//u)
    // Nothing is loaded from another origin even by mistake: the CSP allows only this origin and
    // the page's own inline script and style, by hash.
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("connect-src 'self'")
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/gu)].map((m) => m[1] as string)
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/gu)].map((m) => m[1] as string)
    expect(scripts).toHaveLength(1)
    expect(styles).toHaveLength(1)
    expect(csp).toContain(`'sha256-${await sha256Base64(scripts[0] as string)}'`)
    expect(csp).toContain(`'sha256-${await sha256Base64(styles[0] as string)}'`)
    // The inline script parses.
    expect(() => new Function(scripts[0] as string)).not.toThrow()
  })
})

describe('page content', () => {
  it('the playground has a label for every control and the example buttons', async () => {
    const html = await (await callWorker('/', undefined, { vars: quiet })).text()
    const ids = [...html.matchAll(/<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"/gu)].map((m) => m[1] as string)
    expect(ids.length).toBeGreaterThan(15)
    for (const id of ids) expect(html, `label for #${id}`).toContain(`for="${id}"`)
    for (const label of ['Code search', 'E-commerce', 'Legal authority', '中文查询']) expect(html).toContain(`>${label}</button>`)
    expect(html).toMatch(/id="results" aria-live="polite"/u)
    expect(html).toContain('href="/docs"')
  })

  it('the reference embeds the same document /openapi.json serves', async () => {
    const html = await (await callWorker('/docs', undefined, { vars: quiet })).text()
    const m = /<script type="application\/json" id="openapi-data">([\s\S]*?)<\/script>/u.exec(html)
    expect(m).not.toBeNull()
    expect(JSON.parse((m as RegExpExecArray)[1] as string)).toEqual(await openapi())
  })
})
