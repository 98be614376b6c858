/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * @module ui/docs-page
 * The API reference served at `GET /docs`: the OpenAPI document is embedded as a JSON data block
 * (so the page needs no second request and works offline) and rendered in the browser by
 * src/ui/client/docs.ts (bundled by scripts/build-ui.mjs).
 */
import { accessRuleFor } from '../auth/route-access'
import { BASE_CSS } from './base-styles'
import { DOCS_SCRIPT } from './generated/client-scripts'
import { buildPage, type BuiltPage } from './html'
import { renderStatic } from './render-static'

const CSS =
  BASE_CSS +
  `
.layout{display:grid;gap:1.25rem;grid-template-columns:minmax(0,1fr)}
@media (min-width:960px){.layout{grid-template-columns:15rem minmax(0,1fr)}nav.toc{position:sticky;top:1rem;align-self:start;max-height:calc(100vh - 2rem);overflow:auto}}
nav.toc ul{list-style:none;margin:0;padding:0}
nav.toc ul ul{padding-left:.6rem;margin:.2rem 0 .6rem}
nav.toc li{margin:.15rem 0}
nav.toc a{text-decoration:none;font-size:.9rem;word-break:break-all}
nav.toc .method{min-width:3.4rem;font-size:.7rem}
.op h3{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem;font-size:1rem}
.op .path{font-size:.95rem;word-break:break-all}
.op .summary{color:var(--muted);font-weight:400}
h4{margin:.9rem 0 .35rem;font-size:.92rem}
.prose p{margin:.3rem 0}
.table-wrap{overflow-x:auto}
.schema table th{white-space:nowrap}
.schema td .prose p{margin:0 0 .2rem}
.req{color:var(--bad);font-size:.75rem;font-weight:700}
.resp{margin:.2rem 0}
.code{font-weight:700;padding:0 .3rem;border-radius:4px;border:1px solid var(--line)}
.s2{color:var(--good)}.s4,.s5{color:var(--bad)}
details.try{margin-top:.8rem}
.tryit textarea{min-height:8rem}
.response pre.headers{max-height:8rem}
table.limits{max-width:28rem;margin:.5rem 0}
table.limits caption{text-align:left;font-weight:700;padding:.2rem 0}
`

/** The page's markup; src/ui/client/docs.ts fills the empty containers from the document. */
const BODY = renderStatic(
  <>
    <a class="skip" href="#operations">Skip to the endpoints</a>
    <header class="top">
      <h1><span id="title">rerank-edge</span> <span>API reference</span></h1>
      <nav aria-label="Links"><a href="/">Playground</a><a href="/openapi.json">OpenAPI JSON</a></nav>
    </header>
    <main>
      <div class="layout">
        <nav class="toc panel" aria-label="Contents"><ul id="toc-list"></ul></nav>
        <div>
          <section class="panel" id="intro" aria-label="Introduction"></section>
          <section class="panel" aria-labelledby="key-h">
            <h2 id="key-h">API key</h2>
            <div class="field"><label for="docs-api-key">Key for every "Try it" form <span class="hint">(only if this deployment requires one; sent as Authorization: Bearer; kept in this page only)</span></label>
              <input type="password" id="docs-api-key" autocomplete="off" /></div>
          </section>
          <div id="operations"></div>
          <h2 id="errors-h">Errors</h2>
          <p class="muted">Every error uses the envelope <code>{'{ "error": { "code", "message", "field"? }, "request_id" }'}</code>.</p>
          <div id="errors"></div>
          <h2 id="schemas-h">Schemas</h2>
          <div id="schemas"></div>
        </div>
      </div>
    </main>
  </>
)

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

/**
 * What each documented operation needs when API keys are configured, from the table access control
 * enforces (auth/route-access.ts), keyed "method path" (e.g. "post /v1/feedback" → "feedback"):
 * a scope, "authenticated" (any valid key) or "public".
 */
export function accessByOperation(openapi: { paths?: Record<string, object> }): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [path, item] of Object.entries(openapi.paths ?? {})) {
    for (const method of METHODS) {
      if (!(method in item)) continue
      const rule = accessRuleFor(method.toUpperCase(), path)
      out[`${method} ${path}`] = rule.kind === 'scope' ? rule.scope : rule.kind
    }
  }
  return out
}

/** The page for one OpenAPI document (the isolate keeps one per document: src/services.ts `pages`). */
export function docsPage(openapi: { paths?: Record<string, object> }): Promise<BuiltPage> {
  return buildPage({
    title: 'rerank-edge API reference',
    description: 'The rerank-edge API: endpoints, fields, limits and errors, with a "try it" form.',
    css: CSS,
    body: BODY,
    script: DOCS_SCRIPT,
    data: { 'openapi-data': openapi, 'access-data': accessByOperation(openapi) },
  })
}
