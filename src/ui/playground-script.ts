/**
 * @module ui/playground-script
 * The playground's browser code, as text (served inline by src/ui/playground-page.ts; no bundler,
 * no dependencies). Plain ES2020 in strict mode, no template literals (the text lives in one).
 *
 * Data flow: form → request body (the public rerank contract, shared/notes/interface.md) →
 * `POST /v1/rerank` → ranked list, or the error envelope shown at the control its `error.field`
 * names. Compare mode sends the same body twice with arm A's and arm B's instruction/template and
 * compares the two rankings with the functions of src/ui/rank-correlation.ts (embedded verbatim).
 * Every piece of response or user text reaches the page through `textContent`, never as HTML.
 */
import { RANK_CORRELATION_SOURCE } from './rank-correlation'

const CLIENT = String.raw`
var RC = (__RANK_CORRELATION__)();
var EXAMPLES = JSON.parse(document.getElementById('examples-data').textContent);
var state = { templates: null, busy: false };

function $(id) { return document.getElementById(id); }

function h(tag, props) {
  var node = document.createElement(tag);
  if (props) {
    Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'className') node.className = v;
      else if (k === 'hidden') node.hidden = true;
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    });
  }
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) c.forEach(function (x) { if (x) node.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); });
    else node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

function fmt(n, digits) { return typeof n === 'number' && isFinite(n) ? n.toFixed(digits) : 'n/a'; }

function ClientFieldError(control, message) { this.control = control; this.message = message; }

// ── Auth and cache headers (the key stays in this page's memory only) ──
function requestHeaders() {
  var headers = { 'content-type': 'application/json' };
  var key = $('api-key').value.trim();
  if (key) headers.authorization = 'Bearer ' + key;
  var mode = $('cache-mode').value;
  if (mode) headers['cache-control'] = mode;
  return headers;
}

// ── Templates ──
function templateList(json) {
  if (Array.isArray(json)) return json;
  if (json && Array.isArray(json.templates)) return json.templates;
  if (json && Array.isArray(json.data)) return json.data;
  return [];
}

function loadTemplates() {
  var headers = {};
  var key = $('api-key').value.trim();
  if (key) headers.authorization = 'Bearer ' + key;
  return fetch('/v1/templates', { headers: headers })
    .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then(function (json) {
      var list = templateList(json).filter(function (t) { return t && typeof t.id === 'string'; });
      if (list.length === 0) throw new Error('no templates');
      state.templates = list;
      ['a', 'b'].forEach(function (arm) {
        var select = $('template-' + arm);
        while (select.options.length > 1) select.remove(1);
        list.forEach(function (t) {
          var label = t.id + (t.version !== undefined ? ' v' + t.version : '') + (t.language ? ' · ' + t.language : '');
          select.appendChild(h('option', { value: t.id, text: label }));
        });
        $('template-field-' + arm).hidden = false;
      });
      document.body.setAttribute('data-templates', 'ready');
    })
    .catch(function () {
      // No registry on this deployment (404) or not reachable: the picker stays hidden.
      state.templates = null;
      $('template-field-a').hidden = true;
      $('template-field-b').hidden = true;
      document.body.setAttribute('data-templates', 'unavailable');
    });
}

function findTemplate(id) {
  if (!state.templates) return null;
  for (var i = 0; i < state.templates.length; i++) if (state.templates[i].id === id) return state.templates[i];
  return null;
}

function describeDefault(spec) {
  if (spec['default'] === undefined) return spec.required ? 'required' : '';
  var d = spec['default'];
  return 'default: ' + (Array.isArray(d) ? d.join(spec.separator || ', ') : String(d));
}

function variableControl(arm, name, spec) {
  var id = 'var-' + arm + '-' + name;
  var hintId = id + '-hint';
  var d = spec['default'];
  var control;
  var base = { id: id, name: name, 'data-var': name, 'data-type': spec.type, 'aria-describedby': hintId };
  if (spec.required) base['aria-required'] = 'true';
  if (spec.type === 'boolean') {
    base.type = 'checkbox';
    control = h('input', base);
    control.checked = d === true;
  } else if ((spec.type === 'string') && Array.isArray(spec['enum'])) {
    control = h('select', base, spec['enum'].map(function (v) { return h('option', { value: v, text: v }); }));
    if (typeof d === 'string') control.value = d;
  } else if (spec.type === 'string[]') {
    base.rows = 3;
    control = h('textarea', base);
    control.value = Array.isArray(d) ? d.join('\n') : '';
  } else if (spec.type === 'number' || spec.type === 'integer') {
    base.type = 'number';
    base.step = spec.type === 'integer' ? '1' : 'any';
    if (typeof spec.min === 'number') base.min = spec.min;
    if (typeof spec.max === 'number') base.max = spec.max;
    base.inputmode = spec.type === 'integer' ? 'numeric' : 'decimal';
    control = h('input', base);
    if (typeof d === 'number') control.value = String(d);
  } else {
    base.type = 'text';
    if (typeof spec.maxLength === 'number') base.maxlength = spec.maxLength;
    control = h('input', base);
    if (typeof d === 'string') control.value = d;
  }
  var typeText = spec.type + (spec.type === 'string[]' ? ', one per line' : '') + (spec.required ? ', required' : '');
  var hint = [spec.description || '', describeDefault(spec)].filter(Boolean).join(' · ');
  if (spec.type === 'boolean') {
    return h('div', { className: 'field var-field' },
      h('label', { 'for': id }, control, name + ' ', h('span', { className: 'hint', text: '(' + typeText + ')' })),
      h('p', { className: 'hint', id: hintId, text: hint }));
  }
  return h('div', { className: 'field var-field' },
    h('label', { 'for': id }, name + ' ', h('span', { className: 'hint', text: '(' + typeText + ')' })),
    control,
    h('p', { className: 'hint', id: hintId, text: hint }));
}

function renderTemplateVars(arm, presetVars) {
  var id = $('template-' + arm).value;
  var box = $('vars-' + arm);
  var desc = $('template-desc-' + arm);
  box.textContent = '';
  var t = findTemplate(id);
  $('instruction-' + arm).disabled = !!t;
  $('instruction-note-' + arm).hidden = !t;
  if (!t) { desc.textContent = ''; return; }
  desc.textContent = t.description || '';
  var vars = t.variables || {};
  Object.keys(vars).forEach(function (name) { box.appendChild(variableControl(arm, name, vars[name] || {})); });
  if (presetVars) {
    Object.keys(presetVars).forEach(function (name) {
      var c = $('var-' + arm + '-' + name);
      if (!c) return;
      var v = presetVars[name];
      if (c.type === 'checkbox') c.checked = v === true;
      else c.value = Array.isArray(v) ? v.join('\n') : String(v);
    });
  }
}

function collectVars(arm) {
  var out = {};
  var controls = $('vars-' + arm).querySelectorAll('[data-var]');
  for (var i = 0; i < controls.length; i++) {
    var c = controls[i];
    var name = c.getAttribute('data-var');
    var type = c.getAttribute('data-type');
    if (type === 'boolean') { out[name] = c.checked; continue; }
    var raw = c.value;
    if (type === 'string[]') {
      var items = raw.split('\n').map(function (s) { return s.trim(); }).filter(Boolean);
      if (items.length) out[name] = items;
    } else if (type === 'number' || type === 'integer') {
      // An empty box leaves the default to the server; text that is not a number is sent as is,
      // so the server's message (naming template_vars.<name>) explains what is expected.
      if (raw.trim() !== '') out[name] = isFinite(Number(raw)) ? Number(raw) : raw;
    } else if (raw.trim() !== '') {
      out[name] = raw;
    }
  }
  return out;
}

// ── Request body ──
function parseCandidates() {
  var raw = $('candidates').value;
  var trimmed = raw.trim();
  if (trimmed.charAt(0) === '[') {
    try {
      var parsed = JSON.parse(trimmed);
      if (!Array.isArray(parsed)) throw new Error('expected an array');
      return parsed;
    } catch (e) {
      throw new ClientFieldError('candidates', 'documents: not a valid JSON array (' + e.message + '); or give one candidate per line');
    }
  }
  return raw.split('\n').map(function (s) { return s.trim(); }).filter(Boolean);
}

function numberFrom(id) {
  var v = $(id).value.trim();
  if (v === '') return undefined;
  var n = Number(v);
  return isFinite(n) ? n : v;
}

function buildBody(arm, compare) {
  var body = { query: $('query').value, documents: parseCandidates(), return_documents: true };
  var t = findTemplate($('template-' + arm).value);
  if (t) {
    body.template = t.id;
    var vars = collectVars(arm);
    if (Object.keys(vars).length) body.template_vars = vars;
  } else {
    var instruction = $('instruction-' + arm).value.trim();
    if (instruction) body.instruction = instruction;
  }
  if ($('explain').checked) body.explain = true;
  if ($('td-on').checked) {
    var kind = $('td-kind').value;
    var td = { kind: kind };
    if (kind === 'exponential') td.half_life_days = numberFrom('td-half-life');
    else { td.after_days = numberFrom('td-after'); td.factor = numberFrom('td-factor'); }
    var missing = numberFrom('td-missing');
    if (missing !== undefined) td.missing = missing;
    body.time_decay = td;
  }
  var now = $('now').value.trim();
  if (now) body.now = now;
  if ($('fusion-on').checked) {
    var fusion = { weights: {} };
    ['semantic', 'business', 'time'].forEach(function (k) {
      var w = numberFrom('w-' + k);
      if (w !== undefined) fusion.weights[k] = w;
    });
    var boostsText = $('boosts').value.trim();
    if (boostsText) {
      try { fusion.boosts = JSON.parse(boostsText); }
      catch (e) { throw new ClientFieldError('boosts', 'fusion.boosts: not valid JSON (' + e.message + ')'); }
    }
    body.fusion = fusion;
  }
  var topN = numberFrom('top-n');
  if (topN !== undefined && !compare) body.top_n = topN;
  var experiment = $('experiment').value.trim();
  if (experiment) body.experiment = experiment;
  var user = $('user').value.trim();
  if (user) body.user = user;
  return body;
}

// ── Errors ──
function clearErrors() {
  var shown = document.querySelectorAll('.field-error[data-dynamic]');
  for (var i = 0; i < shown.length; i++) shown[i].remove();
  var invalid = document.querySelectorAll('[aria-invalid="true"]');
  for (var j = 0; j < invalid.length; j++) {
    invalid[j].removeAttribute('aria-invalid');
    var described = (invalid[j].getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x.slice(-6) !== '-error'; });
    if (described.length) invalid[j].setAttribute('aria-describedby', described.join(' '));
    else invalid[j].removeAttribute('aria-describedby');
  }
  $('form-error').hidden = true;
  $('form-error').textContent = '';
}

function controlForField(field, arm) {
  if (!field) return null;
  var head = field.split(/[.\[]/)[0];
  if (head === 'query') return 'query';
  if (head === 'documents') return 'candidates';
  if (head === 'instruction') return 'instruction-' + arm;
  if (head === 'template') return state.templates ? 'template-' + arm : 'instruction-' + arm;
  if (head === 'template_vars') {
    var name = field.split('.')[1];
    if (name) name = name.split('[')[0];
    return name && $('var-' + arm + '-' + name) ? 'var-' + arm + '-' + name : 'template-' + arm;
  }
  if (head === 'time_decay') {
    var sub = field.split('.')[1] || '';
    var map = { kind: 'td-kind', half_life_days: 'td-half-life', after_days: 'td-after', factor: 'td-factor', missing: 'td-missing', steps: 'td-after' };
    return map[sub] || 'td-kind';
  }
  if (head === 'fusion') {
    var part = field.split('.');
    if (part[1] === 'weights' && part[2]) return 'w-' + part[2];
    if (part[1] === 'boosts') return 'boosts';
    return 'w-semantic';
  }
  var direct = { now: 'now', explain: 'explain', top_n: 'top-n', top_k: 'top-n', experiment: 'experiment', user: 'user' };
  return direct[head] || null;
}

function showFieldError(controlId, message) {
  var control = $(controlId);
  if (!control) return false;
  var panel = control.closest('details');
  if (panel) panel.open = true;
  var errId = controlId + '-error';
  var p = h('p', { className: 'field-error', id: errId, 'data-dynamic': true, 'data-field-error-for': controlId, text: message });
  var field = control.closest('.field') || control.parentNode;
  field.appendChild(p);
  control.setAttribute('aria-invalid', 'true');
  var described = control.getAttribute('aria-describedby');
  control.setAttribute('aria-describedby', (described ? described + ' ' : '') + errId);
  return true;
}

function showError(summary, fieldMessage, controlId) {
  var box = $('form-error');
  box.textContent = '';
  box.appendChild(h('strong', { text: summary }));
  if (fieldMessage) box.appendChild(document.createTextNode(' ' + fieldMessage));
  box.hidden = false;
  var placed = controlId ? showFieldError(controlId, fieldMessage) : false;
  if (placed) $(controlId).focus();
  else box.focus();
}

function showApiError(res, arm, armLabel) {
  var err = res.json && res.json.error;
  if (!err) {
    showError((armLabel ? armLabel + ': ' : '') + 'HTTP ' + res.status, res.text ? res.text.slice(0, 300) : 'no response body', null);
    return;
  }
  var field = err.field;
  var message = String(err.message || err.code);
  if (field && message.indexOf(field) !== 0) message = field + ': ' + message;
  var summary = (armLabel ? armLabel + ' — ' : '') + 'Request rejected (' + res.status + ' ' + err.code + ')' + (field ? ', field "' + field + '":' : ':');
  showError(summary, message, controlForField(field, arm));
  if (res.json.request_id) $('form-error').appendChild(h('span', { className: 'muted', text: ' (request ' + res.json.request_id + ')' }));
}

// ── Calling the API ──
function callRerank(body) {
  var started = performance.now();
  return fetch('/v1/rerank', { method: 'POST', headers: requestHeaders(), body: JSON.stringify(body) })
    .then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = JSON.parse(text); } catch (e) { json = null; }
        return {
          ok: r.ok, status: r.status, json: json, text: text, body: body,
          cacheStatus: r.headers.get('Cache-Status'), serverTiming: r.headers.get('Server-Timing'),
          requestId: r.headers.get('X-Request-Id'), ms: performance.now() - started
        };
      });
    });
}

function serverTotal(header) {
  var m = /total;dur=([0-9.]+)/.exec(header || '');
  return m ? Number(m[1]) : null;
}

// ── Rendering ──
function metaBlock(res, label) {
  var j = res.json;
  var meta = j.meta || {};
  var backend = meta.backend || 'unknown';
  var items = [];
  items.push(backend === 'lexical'
    ? h('span', { className: 'badge warn', 'data-backend': backend, title: 'No GPU backend: the embedded BM25 scorer answered; it ignores instructions.', text: 'backend: lexical (fallback — instructions ignored)' })
    : h('span', { className: 'badge', 'data-backend': backend, text: 'backend: ' + backend }));
  items.push(h('span', { className: 'badge', text: 'model: ' + (j.model || meta.model || '?') }));
  items.push(h('span', { className: 'badge', 'data-cache-status': res.cacheStatus || '', text: 'Cache-Status: ' + (res.cacheStatus || '—') }));
  if (meta.cache) items.push(h('span', { className: 'badge', 'data-cache': meta.cache.hits + '/' + meta.cache.misses, text: 'cache: ' + meta.cache.hits + ' hit' + (meta.cache.hits === 1 ? '' : 's') + ', ' + meta.cache.misses + ' miss' + (meta.cache.misses === 1 ? '' : 'es') }));
  var total = serverTotal(res.serverTiming);
  items.push(h('span', { className: 'badge', text: (total !== null ? 'server ' + fmt(total, 1) + ' ms · ' : '') + 'round trip ' + fmt(res.ms, 0) + ' ms' }));
  var block = h('div', { className: 'meta' }, items);
  var out = [block];
  if (meta.instruction) {
    var src = meta.instruction_source ? ' (' + meta.instruction_source + (meta.template && meta.template.id ? ': ' + meta.template.id + (meta.template.version ? ' v' + meta.template.version : '') : '') + ')' : '';
    out.push(h('p', { className: 'instruction-used' }, h('span', { className: 'muted', text: (label ? label + ' instruction' : 'Instruction') + src + ': ' }), h('q', { text: meta.instruction })));
  }
  if (meta.experiment) out.push(h('p', { className: 'muted', text: 'Experiment: ' + JSON.stringify(meta.experiment) }));
  if (Array.isArray(meta.warnings) && meta.warnings.length) {
    out.push(h('ul', { className: 'warnings', 'aria-label': 'Warnings' }, meta.warnings.map(function (w) { return h('li', { text: w }); })));
  }
  return out;
}

function explanationView(e, id) {
  var box = h('div', { className: 'explanation', id: id, hidden: true });
  if (e && typeof e === 'object' && e.components && typeof e.components === 'object') {
    var w = e.weights || {};
    var rows = ['semantic', 'business', 'time'].map(function (k) {
      var v = e.components[k];
      var weight = w[k];
      var contribution = typeof v === 'number' && typeof weight === 'number' ? v * weight : null;
      return h('tr', null, h('th', { scope: 'row', text: k }), h('td', { text: v === null || v === undefined ? 'off' : fmt(v, 4) }),
        h('td', { text: typeof weight === 'number' ? fmt(weight, 3) : '—' }), h('td', { text: contribution === null ? '—' : fmt(contribution, 4) }));
    });
    box.appendChild(h('table', null,
      h('caption', { className: 'sr-only', text: 'Score components' }),
      h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'component' }), h('th', { scope: 'col', text: 'score' }), h('th', { scope: 'col', text: 'weight' }), h('th', { scope: 'col', text: 'contribution' }))),
      h('tbody', null, rows)));
    if (typeof e.final === 'number') box.appendChild(h('p', { text: 'final = Σ weight × score = ' + fmt(e.final, 4) }));
    if (Array.isArray(e.fired) && e.fired.length) {
      box.appendChild(h('p', { text: 'Rules fired: ' + e.fired.map(function (name, i) { var p = Array.isArray(e.points) ? e.points[i] : undefined; return name + (typeof p === 'number' ? ' (' + (p >= 0 ? '+' : '') + p + ')' : ''); }).join(', ') }));
    } else {
      box.appendChild(h('p', { className: 'muted', text: 'No boost rule fired.' }));
    }
    if (e.time && typeof e.time === 'object') {
      box.appendChild(h('p', { text: 'Time: ' + Object.keys(e.time).map(function (k) { var v = e.time[k]; return k + ' ' + (typeof v === 'number' ? fmt(v, 3) : String(v)); }).join(', ') }));
    }
  }
  box.appendChild(h('details', null, h('summary', { text: 'raw explanation' }), h('pre', { text: JSON.stringify(e, null, 2) })));
  return box;
}

function docText(res, r) {
  if (r.document && typeof r.document.text === 'string') return r.document.text;
  var d = res.body.documents[r.index];
  return typeof d === 'string' ? d : d && typeof d.text === 'string' ? d.text : JSON.stringify(d);
}

function docId(res, r) {
  if (r.document && r.document.id !== undefined) return String(r.document.id);
  var d = res.body.documents[r.index];
  return d && typeof d === 'object' && d.id !== undefined ? String(d.id) : '';
}

function rankingList(res, arm, changes) {
  var results = (res.json && res.json.results) || [];
  var ol = h('ol', { className: 'ranking', id: 'ranking-' + arm, 'data-arm': arm });
  results.forEach(function (r, pos) {
    var score = r.relevance_score;
    var expId = 'exp-' + arm + '-' + pos;
    var delta = changes ? changes[r.index] : undefined;
    var deltaNode = null;
    if (delta !== undefined) {
      var text = RC.formatRankChange(delta);
      var words = delta > 0 ? 'up ' + delta + ' from A' : delta < 0 ? 'down ' + -delta + ' from A' : 'same rank as A';
      deltaNode = h('span', { className: 'delta ' + (delta > 0 ? 'up' : delta < 0 ? 'down' : 'same'), 'data-delta': delta, title: words },
        h('span', { 'aria-hidden': 'true', text: text }), h('span', { className: 'sr-only', text: words }));
    }
    var fill = h('span', { className: 'fill' });
    fill.style.width = Math.max(0, Math.min(1, score)) * 100 + '%';
    var id = docId(res, r);
    var li = h('li', { className: 'result', 'data-index': r.index, 'data-score': score },
      h('div', { className: 'r-top' },
        h('span', { className: 'rank', 'aria-hidden': 'true', text: String(pos + 1) }),
        h('span', { className: 'score', text: fmt(score, 4) }),
        h('span', { className: 'bar', 'aria-hidden': 'true' }, fill),
        deltaNode),
      h('p', { className: 'doc', text: docText(res, r) }),
      h('p', { className: 'doc-meta muted', text: 'document #' + r.index + (id ? ' · id ' + id : '') }));
    if (r.explanation !== undefined) {
      var btn = h('button', { type: 'button', className: 'why', 'aria-expanded': 'false', 'aria-controls': expId, text: 'Why this score?' });
      var view = explanationView(r.explanation, expId);
      btn.addEventListener('click', function () {
        var open = btn.getAttribute('aria-expanded') === 'true';
        btn.setAttribute('aria-expanded', open ? 'false' : 'true');
        view.hidden = open;
      });
      li.appendChild(btn);
      li.appendChild(view);
    }
    ol.appendChild(li);
  });
  return ol;
}

function renderSingle(res) {
  var out = $('results');
  out.textContent = '';
  var results = res.json.results || [];
  out.appendChild(h('h2', { id: 'results-heading', tabindex: '-1', text: 'Results: ' + results.length + ' ranked' }));
  metaBlock(res, '').forEach(function (n) { out.appendChild(n); });
  if (results.length && results[0].explanation === undefined) out.appendChild(h('p', { className: 'muted', text: 'Tick "explain" to see each score\'s components.' }));
  out.appendChild(rankingList(res, 'a', null));
}

function scoresByIndex(res, n) {
  var s = new Array(n);
  (res.json.results || []).forEach(function (r) { s[r.index] = r.relevance_score; });
  return s;
}

function renderCompare(a, b) {
  var out = $('results');
  out.textContent = '';
  var n = a.body.documents.length;
  var sa = scoresByIndex(a, n);
  var sb = scoresByIndex(b, n);
  var x = [], y = [];
  for (var i = 0; i < n; i++) if (typeof sa[i] === 'number' && typeof sb[i] === 'number') { x.push(sa[i]); y.push(sb[i]); }
  var tau = RC.kendallTauB(x, y);
  var rho = RC.spearmanRho(x, y);
  var orderA = (a.json.results || []).map(function (r) { return r.index; });
  var orderB = (b.json.results || []).map(function (r) { return r.index; });
  var changes = {};
  var moved = 0;
  RC.rankChanges(orderA, orderB).forEach(function (c) { if (c.rankB > 0) { changes[c.index] = c.delta; if (c.delta !== 0) moved++; } });
  out.appendChild(h('h2', { id: 'results-heading', tabindex: '-1', text: 'Compare: A vs B' }));
  out.appendChild(h('p', { className: 'correlation', id: 'correlation' },
    'Kendall τ-b ', h('strong', { id: 'kendall-tau', 'data-value': String(tau), text: fmt(tau, 3) }),
    ' · Spearman ρ ', h('strong', { id: 'spearman-rho', 'data-value': String(rho), text: fmt(rho, 3) }),
    ' · ' + x.length + ' documents · ' + moved + ' moved',
    h('span', { className: 'muted', text: ' (1 = same order, −1 = reversed; computed on the scores, ties handled)' })));
  var cols = h('div', { className: 'compare-grid' });
  [['a', a, 'A', null], ['b', b, 'B', changes]].forEach(function (spec) {
    var col = h('section', { className: 'col', 'aria-labelledby': 'col-' + spec[0] + '-h' },
      h('h3', { id: 'col-' + spec[0] + '-h', text: 'Ranking ' + spec[2] + (spec[3] ? ' (arrows: change from A)' : '') }));
    metaBlock(spec[1], spec[2]).forEach(function (n) { col.appendChild(n); });
    col.appendChild(rankingList(spec[1], spec[0], spec[3]));
    cols.appendChild(col);
  });
  out.appendChild(cols);
}

// ── Running ──
function setBusy(busy, message) {
  state.busy = busy;
  $('submit').disabled = busy;
  $('results').setAttribute('aria-busy', busy ? 'true' : 'false');
  $('status').textContent = message || '';
}

function run() {
  if (state.busy) return;
  clearErrors();
  var compare = $('compare').checked;
  var bodies;
  try {
    bodies = compare ? [buildBody('a', true), buildBody('b', true)] : [buildBody('a', false)];
  } catch (e) {
    if (e instanceof ClientFieldError) { showError('Please fix:', e.message, e.control); return; }
    throw e;
  }
  setBusy(true, compare ? 'Ranking with A and B…' : 'Ranking…');
  Promise.all(bodies.map(callRerank)).then(function (res) {
    for (var i = 0; i < res.length; i++) {
      if (!res[i].ok || !res[i].json || !Array.isArray(res[i].json.results)) {
        setBusy(false, 'Request failed.');
        showApiError(res[i], i === 0 ? 'a' : 'b', compare ? (i === 0 ? 'A' : 'B') : '');
        return;
      }
    }
    if (compare) renderCompare(res[0], res[1]); else renderSingle(res[0]);
    setBusy(false, compare ? 'Compared: both rankings shown.' : 'Done: ' + res[0].json.results.length + ' results.');
  }).catch(function (e) {
    setBusy(false, 'Request failed.');
    showError('Network error:', String(e && e.message || e), null);
  });
}

function loadExample(id) {
  var ex = null;
  EXAMPLES.forEach(function (e) { if (e.id === id) ex = e; });
  if (!ex) return;
  clearErrors();
  $('query').value = ex.query;
  $('candidates').value = ex.candidates;
  $('instruction-a').value = ex.instructionA;
  $('instruction-b').value = ex.instructionB;
  var useTemplate = ex.template && findTemplate(ex.template.id);
  $('template-a').value = useTemplate ? ex.template.id : '';
  renderTemplateVars('a', useTemplate ? ex.template.vars : null);
  $('template-b').value = '';
  renderTemplateVars('b', null);
  $('fusion-on').checked = !!ex.fusion;
  var w = (ex.fusion && ex.fusion.weights) || { semantic: 0.6, business: 0.3, time: 0.1 };
  $('w-semantic').value = w.semantic !== undefined ? w.semantic : '';
  $('w-business').value = w.business !== undefined ? w.business : '';
  $('w-time').value = w.time !== undefined ? w.time : '';
  $('boosts').value = ex.fusion ? JSON.stringify(ex.fusion.boosts, null, 2) : '[]';
  run();
}

function syncCompare() {
  var on = $('compare').checked;
  $('arm-b').hidden = !on;
  $('arms').classList.toggle('compare', on);
  $('arm-a-tag').hidden = !on;
  $('submit').textContent = on ? 'Compare A and B' : 'Rerank';
}

function syncDecayKind() {
  var exp = $('td-kind').value === 'exponential';
  $('td-exp-fields').hidden = !exp;
  $('td-step-fields').hidden = exp;
}

// ── Wiring ──
$('rerank-form').addEventListener('submit', function (e) { e.preventDefault(); run(); });
['candidates', 'instruction-a', 'instruction-b', 'boosts'].forEach(function (id) {
  $(id).addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  });
});
$('compare').addEventListener('change', syncCompare);
$('td-kind').addEventListener('change', syncDecayKind);
$('template-a').addEventListener('change', function () { renderTemplateVars('a', null); });
$('template-b').addEventListener('change', function () { renderTemplateVars('b', null); });
var exampleButtons = document.querySelectorAll('[data-example]');
for (var i = 0; i < exampleButtons.length; i++) {
  exampleButtons[i].addEventListener('click', function (e) { loadExample(e.currentTarget.getAttribute('data-example')); });
}
$('report-form').addEventListener('submit', function (e) {
  e.preventDefault();
  var input = $('report-id');
  var id = input.value.trim();
  var err = $('report-id-error');
  if (!id) {
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  err.hidden = true;
  input.removeAttribute('aria-invalid');
  // The report page of the experiments API (routes/experiments.ts: ?format=html).
  location.assign('/v1/experiments/' + encodeURIComponent(id) + '/report?format=html');
});
syncCompare();
syncDecayKind();
loadTemplates();
document.body.setAttribute('data-ready', 'true');
`

/**
 * The script text. `__name` is esbuild's keep-names helper, which wrangler's build may insert into
 * the embedded correlation functions; outside the bundle it must exist, so it is defined here.
 */
export const PLAYGROUND_SCRIPT: string =
  '(function () {\n"use strict";\nvar __name = function (target, value) { try { Object.defineProperty(target, "name", { value: value, configurable: true }); } catch (e) {} return target; };\n' +
  CLIENT.replace('__RANK_CORRELATION__', () => RANK_CORRELATION_SOURCE) +
  '\n})();'
