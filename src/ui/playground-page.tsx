/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * @module ui/playground-page
 * The playground served at `GET /`: markup (hono/jsx), page-specific styles and the inline script
 * (the typed browser code in src/ui/client/playground.ts, bundled by scripts/build-ui.mjs). Every control has a visible label; the form works by keyboard alone
 * (Enter in the query, Ctrl/⌘+Enter in a text area, or the submit button); results are announced
 * through an `aria-live` region.
 */
import { BASE_CSS } from './base-styles'
import { PLAYGROUND_SCRIPT } from './generated/client-scripts'
import { buildPage, type BuiltPage } from './html'
import { PLAYGROUND_EXAMPLES } from './playground-examples'
import { renderStatic } from './render-static'

const CSS =
  BASE_CSS +
  `
.examples{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
.examples .lead{font-weight:600;margin-right:.25rem}
.grid{display:grid;gap:1rem;grid-template-columns:minmax(0,1fr)}
@media (min-width:900px){.grid.two{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
.arms{display:grid;gap:0 1rem;grid-template-columns:minmax(0,1fr)}
@media (min-width:900px){.arms.compare{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.25rem;margin-top:.25rem}
.inline-check{display:inline-flex;align-items:center;font-weight:600}
.arm-tag{display:inline-block;background:var(--accent);color:var(--accent-text);border-radius:4px;padding:0 .35rem;margin-left:.25rem;font-size:.8rem}
#report-form{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem}
#report-form input{width:11rem}
#report-form label{font-weight:400}
.meta{display:flex;flex-wrap:wrap;gap:.35rem;margin:.25rem 0 .5rem}
.instruction-used{margin:.25rem 0 .5rem;word-break:break-word}
.warnings{margin:.25rem 0 .75rem;padding-left:1.2rem;color:var(--muted);font-size:.9rem}
.ranking{list-style:none;margin:0;padding:0;counter-reset:none}
.result{border:1px solid var(--line);border-radius:8px;padding:.55rem .7rem;margin:0 0 .5rem;background:var(--panel)}
.r-top{display:flex;align-items:center;gap:.6rem}
.rank{font-weight:800;min-width:1.6rem;text-align:center;border-radius:50%;background:var(--bg);border:1px solid var(--line);line-height:1.6rem;height:1.6rem}
.score{font:700 .95rem var(--mono);min-width:4.2rem}
.bar{flex:1;height:.6rem;background:var(--bg);border:1px solid var(--line);border-radius:999px;overflow:hidden;min-width:3rem}
.bar .fill{display:block;height:100%;background:var(--bar);min-width:2px}
#ranking-b .bar .fill{background:var(--bar-b)}
.delta{font:700 .9rem var(--mono);min-width:2.6rem;text-align:right}
.delta.up{color:var(--good)}.delta.down{color:var(--bad)}.delta.same{color:var(--muted)}
.doc{margin:.35rem 0 .1rem;word-break:break-word}
.doc-meta{margin:0;font-size:.82rem}
.why{margin-top:.35rem;font-size:.85rem;min-height:2rem;padding:.2rem .6rem}
.explanation{margin-top:.4rem;border-top:1px dashed var(--line);padding-top:.4rem;font-size:.9rem}
.explanation table{max-width:28rem}
.correlation{font-size:1.02rem;background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:.5rem .7rem}
.compare-grid{display:grid;gap:1rem;grid-template-columns:minmax(0,1fr)}
@media (min-width:800px){.compare-grid{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
.col h3{margin-top:.2rem}
#results:empty::before{content:"Results appear here.";color:var(--muted)}
#results:focus{outline:none}
.vars{margin-top:.5rem}
.var-field{padding-left:.6rem;border-left:3px solid var(--line)}
`

type Arm = 'a' | 'b'

/** One arm of the request: a template (with its variables) or a free instruction. */
function ArmFieldset({ arm }: { arm: Arm }) {
  return (
    <fieldset id={`arm-${arm}`} class="arm" hidden={arm === 'b'}>
      <legend>
        Instruction {arm === 'a' ? <span class="arm-tag" id="arm-a-tag">A</span> : <span class="arm-tag">B</span>}
      </legend>
      <div class="field template-field" id={`template-field-${arm}`} hidden>
        <label for={`template-${arm}`}>Template</label>
        <select id={`template-${arm}`} aria-describedby={`template-desc-${arm}`}><option value="">None: use the free instruction</option></select>
        <p class="hint" id={`template-desc-${arm}`}></p>
        <div class="vars" id={`vars-${arm}`}></div>
      </div>
      <div class="field">
        <label for={`instruction-${arm}`}>Free instruction <span class="hint">(optional; what the reranker should prefer)</span></label>
        <textarea id={`instruction-${arm}`} rows={2} placeholder={arm === 'a' ? 'e.g. prefer documents with code examples' : 'a second instruction to compare'}></textarea>
        <p class="hint" id={`instruction-note-${arm}`} hidden>A template is selected: its rendered text is the instruction.</p>
      </div>
    </fieldset>
  )
}

/** A labelled number box in a `.row`. */
function NumberField(props: { id: string; label: string; value?: string; min?: string; max?: string; step?: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input type="number" id={props.id} min={props.min} max={props.max} step={props.step ?? 'any'} value={props.value} />
    </div>
  )
}

const TimeDecayPanel = () => (
  <details id="time-decay-panel">
    <summary>Time decay</summary>
    <p class="field"><label class="inline-check" for="td-on"><input type="checkbox" id="td-on" />Apply time decay (needs "published_at" on documents)</label></p>
    <div class="row">
      <div class="field"><label for="td-kind">Kind</label>
        <select id="td-kind"><option value="exponential">exponential (half-life)</option><option value="step">step</option></select></div>
      <div class="field" id="td-exp-fields"><label for="td-half-life">Half-life (days)</label><input type="number" id="td-half-life" min="0" step="any" value="30" /></div>
      <div class="field" id="td-step-fields" hidden>
        <div class="row">
          <NumberField id="td-after" label="After (days)" min="0" value="30" />
          <NumberField id="td-factor" label="Factor" min="0" max="1" value="0.8" />
        </div>
      </div>
      <NumberField id="td-missing" label="Score without a date" min="0" max="1" value="0.5" />
    </div>
    <div class="field"><label for="now">Now <span class="hint">(ISO-8601 clock for decay, e.g. 2025-01-01T00:00:00Z; empty: the request time)</span></label>
      <input type="text" id="now" autocomplete="off" placeholder="2025-01-01T00:00:00Z" /></div>
  </details>
)

const FusionPanel = () => (
  <details id="fusion-panel">
    <summary>Fusion</summary>
    <p class="field"><label class="inline-check" for="fusion-on"><input type="checkbox" id="fusion-on" />Apply fusion: final = w·model + w·business + w·time (weights are normalised)</label></p>
    <div class="row">
      <NumberField id="w-semantic" label="Semantic weight" min="0" value="0.6" />
      <NumberField id="w-business" label="Business weight" min="0" value="0.3" />
      <NumberField id="w-time" label="Time weight" min="0" value="0.1" />
    </div>
    <div class="field"><label for="boosts">Boost rules <span class="hint" id="boosts-hint">{'JSON array, e.g. [{"name": "new", "when": {"field": "new_arrival", "equals": true}, "add": 0.1}] or [{"source_order": ["court", "ministry", "blog"]}]'}</span></label>
      <textarea id="boosts" class="mono" rows={4} aria-describedby="boosts-hint" spellcheck={false}>[]</textarea></div>
  </details>
)

const OptionsPanel = () => (
  <details id="options-panel">
    <summary>More options</summary>
    <div class="row">
      <div class="field"><label for="top-n">Top N <span class="hint">(empty: all; ignored when comparing)</span></label><input type="number" id="top-n" min="0" step="1" /></div>
      <div class="field"><label for="cache-mode">Cache</label>
        <select id="cache-mode"><option value="">use the cache</option><option value="no-cache">no-cache: recompute and refresh</option><option value="no-store">no-store: bypass</option></select></div>
    </div>
    <div class="row">
      <div class="field"><label for="experiment">Experiment id</label><input type="text" id="experiment" autocomplete="off" /></div>
      <div class="field"><label for="user">User (experiment unit)</label><input type="text" id="user" autocomplete="off" /></div>
    </div>
    <div class="field"><label for="api-key">API key <span class="hint">(only if this deployment requires one; kept in this page only)</span></label><input type="password" id="api-key" autocomplete="off" /></div>
  </details>
)

/** The page's markup; src/ui/client/playground.ts wires it up. */
const BODY = renderStatic(
  <>
    <a class="skip" href="#query">Skip to the query</a>
    <header class="top">
      <h1>rerank-edge <span>playground</span></h1>
      <nav aria-label="Links">
        <a href="/docs">API reference</a>
        <a href="/openapi.json">OpenAPI JSON</a>
        <form id="report-form" novalidate>
          <label for="report-id">Experiment report</label>
          <input type="text" id="report-id" placeholder="experiment id" autocomplete="off" aria-describedby="report-id-error" />
          <button type="submit" id="report-open">Open report</button>
          <span class="field-error" id="report-id-error" hidden>Enter an experiment id.</span>
          <span class="muted" id="report-note" role="status" hidden></span>
        </form>
      </nav>
    </header>
    <main>
      <section class="panel" aria-labelledby="examples-h">
        <div class="examples">
          <h2 id="examples-h" class="lead">Try an example:</h2>
          {PLAYGROUND_EXAMPLES.map((e) => <button type="button" data-example={e.id}>{e.label}</button>)}
        </div>
      </section>
      <div class="grid">
        <section class="panel" aria-labelledby="input-h">
          <h2 id="input-h">Input</h2>
          <div id="form-error" class="alert" role="alert" tabindex={-1} hidden></div>
          <form id="rerank-form" novalidate>
            <div class="field">
              <label for="query">Query</label>
              <input type="search" id="query" name="query" autocomplete="off" enterkeyhint="search" placeholder="what the user searched for" />
            </div>
            <div class="field">
              <label for="candidates">Candidates <span class="hint" id="candidates-hint">{'one per line, or a JSON array of strings and objects {"text", "id", "published_at", "source", "fields"}'}</span></label>
              <textarea id="candidates" class="mono" rows={8} aria-describedby="candidates-hint" spellcheck={false}></textarea>
            </div>
            <div class="arms" id="arms">
              <ArmFieldset arm="a" />
              <ArmFieldset arm="b" />
            </div>
            <TimeDecayPanel />
            <FusionPanel />
            <OptionsPanel />
            <div class="actions">
              <label class="inline-check" for="explain"><input type="checkbox" id="explain" />explain (show why each result scored what it did)</label>
              <label class="inline-check" for="compare"><input type="checkbox" id="compare" />Compare A and B (two instructions or templates)</label>
              <button type="submit" class="primary" id="submit">Rerank</button>
              <span id="status" role="status" class="muted"></span>
            </div>
          </form>
        </section>
        <section class="panel" aria-labelledby="results-title">
          <h2 id="results-title" class="sr-only">Output</h2>
          <div id="results" aria-live="polite" aria-busy="false" tabindex={-1}></div>
        </section>
      </div>
    </main>
  </>
)

/**
 * The page (async: its CSP hashes need WebCrypto). The isolate builds it once and keeps it
 * (src/services.ts `pages`).
 */
export function playgroundPage(): Promise<BuiltPage> {
  return buildPage({
    title: 'rerank-edge playground',
    description: 'Try the rerank API: query, candidates, instructions, templates, time decay, fusion, explain and compare.',
    css: CSS,
    body: BODY,
    script: PLAYGROUND_SCRIPT,
    data: { 'examples-data': PLAYGROUND_EXAMPLES },
  })
}
