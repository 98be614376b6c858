/**
 * @module ui/docs-script
 * The API reference's browser code, as text (served inline by src/ui/docs-page.ts). It renders the
 * OpenAPI 3.1 document embedded in the page (the same object `GET /openapi.json` serves): a table of
 * contents, every operation with its parameters, request schema and responses, every component
 * schema, and a "try it" form per operation that sends the request from this origin and shows the
 * status, headers and body. Plain ES2020, no dependencies, text only through `textContent`.
 */

const CLIENT = String.raw`
var SPEC = JSON.parse(document.getElementById('openapi-data').textContent);
var METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function $(id) { return document.getElementById(id); }
function h(tag, props) {
  var node = document.createElement(tag);
  if (props) Object.keys(props).forEach(function (k) {
    var v = props[k];
    if (v === undefined || v === null || v === false) return;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'className') node.className = v;
    else if (k === 'hidden') node.hidden = true;
    else node.setAttribute(k, v === true ? '' : String(v));
  });
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) c.forEach(function (x) { if (x) node.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); });
    else node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/** Markdown-lite: paragraphs and backtick code spans, nothing else (no HTML from the document). */
function prose(text, className) {
  var box = h('div', { className: className || 'prose' });
  String(text || '').split(/\n\s*\n/).forEach(function (para) {
    var p = h('p');
    para.split('\n').forEach(function (line, li) {
      if (li > 0) p.appendChild(h('br'));
      line.split('\u0060').forEach(function (part, i) { p.appendChild(i % 2 ? h('code', { text: part }) : document.createTextNode(part)); });
    });
    box.appendChild(p);
  });
  return box;
}

function refName(ref) { return String(ref).split('/').pop(); }
function resolve(s) {
  var guard = 0;
  while (s && s.$ref && guard++ < 20) {
    var parts = s.$ref.replace(/^#\//, '').split('/');
    var node = SPEC;
    parts.forEach(function (p) { node = node && node[p.replace(/~1/g, '/').replace(/~0/g, '~')]; });
    s = node;
  }
  return s || {};
}

function typeLabel(s) {
  if (!s || typeof s !== 'object') return 'any';
  if (s.$ref) return refName(s.$ref);
  if (s['const'] !== undefined) return JSON.stringify(s['const']);
  if (Array.isArray(s['enum'])) return s['enum'].map(function (v) { return JSON.stringify(v); }).join(' | ');
  var alts = s.anyOf || s.oneOf;
  if (alts) return alts.map(typeLabel).join(' | ');
  if (s.allOf) return s.allOf.map(typeLabel).join(' & ');
  var t = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
  if (t === 'array') return 'array of ' + typeLabel(s.items || {});
  if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) return 'map of ' + typeLabel(s.additionalProperties);
  return t || 'any';
}

function constraints(s) {
  var out = [];
  var keys = [['minLength', 'min length'], ['maxLength', 'max length'], ['minimum', '≥'], ['maximum', '≤'], ['exclusiveMinimum', '>'], ['exclusiveMaximum', '<'],
    ['minItems', 'min items'], ['maxItems', 'max items'], ['pattern', 'pattern'], ['format', 'format'], ['default', 'default']];
  keys.forEach(function (k) {
    var v = s[k[0]];
    if (v === undefined) return;
    if ((k[0] === 'maximum' && v === 9007199254740991) || (k[0] === 'minimum' && v === -9007199254740991)) return;
    out.push(k[1] + ' ' + (typeof v === 'string' && k[0] !== 'pattern' && k[0] !== 'format' ? JSON.stringify(v) : String(v)));
  });
  if (s.additionalProperties === false) out.push('no other keys');
  return out.join(', ');
}

function childObject(s) {
  if (!s || typeof s !== 'object' || s.$ref) return null;
  if (s.properties) return s;
  if (s.type === 'array' && s.items && !s.items.$ref && (s.items.properties || s.items.anyOf || s.items.oneOf)) return s.items;
  if (s.anyOf || s.oneOf) return s;
  return null;
}

function schemaView(schema, depth) {
  depth = depth || 0;
  var s = schema || {};
  var box = h('div', { className: 'schema' });
  if (s.$ref) {
    box.appendChild(h('p', null, 'Schema: ', h('a', { href: '#schema-' + refName(s.$ref), text: refName(s.$ref) })));
    if (depth > 0) return box;
    s = resolve(s);
  }
  if (s.description && depth === 0) box.appendChild(prose(s.description, 'prose muted'));
  var alts = s.anyOf || s.oneOf;
  if (alts && !s.properties) {
    box.appendChild(h('p', { text: (s.oneOf ? 'Exactly one of:' : 'Any of:') }));
    var ul = h('ul');
    alts.forEach(function (a, i) {
      var li = h('li', null, h('code', { text: typeLabel(a) }));
      var inner = childObject(a);
      if (inner && depth < 6) li.appendChild(schemaView(inner, depth + 1));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  }
  if (s.allOf && !s.properties) {
    s.allOf.forEach(function (part) { box.appendChild(schemaView(part, depth + 1)); });
    return box;
  }
  if (!s.properties) {
    box.appendChild(h('p', null, h('code', { text: typeLabel(s) }), ' ', h('span', { className: 'muted', text: constraints(s) })));
    return box;
  }
  var required = s.required || [];
  var rows = Object.keys(s.properties).map(function (name) {
    var p = s.properties[name];
    var desc = h('td');
    if (p.description) desc.appendChild(prose(p.description, 'prose'));
    var c = constraints(p.$ref ? {} : p);
    if (c) desc.appendChild(h('p', { className: 'muted', text: c }));
    var inner = childObject(p);
    if (inner && depth < 6) desc.appendChild(h('details', null, h('summary', { text: 'fields of ' + name }), schemaView(inner, depth + 1)));
    var typeCell = p.$ref ? h('td', null, h('a', { href: '#schema-' + refName(p.$ref), text: refName(p.$ref) })) : h('td', null, h('code', { text: typeLabel(p) }));
    return h('tr', null, h('th', { scope: 'row' }, h('code', { text: name }), required.indexOf(name) >= 0 ? h('span', { className: 'req', title: 'required', text: ' required' }) : null), typeCell, desc);
  });
  box.appendChild(h('div', { className: 'table-wrap' }, h('table', null,
    h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'field' }), h('th', { scope: 'col', text: 'type' }), h('th', { scope: 'col', text: 'description and limits' }))),
    h('tbody', null, rows))));
  if (s.additionalProperties === false) box.appendChild(h('p', { className: 'muted', text: 'No other fields are accepted.' }));
  return box;
}

function exampleFor(op) {
  var rb = op.requestBody;
  if (!rb || !rb.content) return null;
  var media = rb.content['application/json'];
  if (!media) return null;
  if (media.example !== undefined) return media.example;
  if (media.examples) { var k = Object.keys(media.examples)[0]; if (k) return media.examples[k].value; }
  return {};
}

function tryItForm(path, method, op, id) {
  var form = h('form', { className: 'tryit', 'aria-labelledby': id + '-try-h', novalidate: true });
  form.appendChild(h('h4', { id: id + '-try-h', text: 'Try it' }));
  var inputs = [];
  (op.parameters || []).forEach(function (p) {
    if (p.$ref) p = resolve(p);
    var inputId = id + '-param-' + p['in'] + '-' + p.name;
    var input = h('input', { type: 'text', id: inputId, 'data-in': p['in'], 'data-name': p.name, autocomplete: 'off' });
    if (p.example !== undefined) input.value = String(p.example);
    inputs.push(input);
    form.appendChild(h('div', { className: 'field' },
      h('label', { 'for': inputId }, p.name + ' ', h('span', { className: 'hint', text: '(' + p['in'] + (p.required ? ', required' : '') + ')' })), input));
  });
  var authId = id + '-auth';
  var auth = h('input', { type: 'password', id: authId, autocomplete: 'off' });
  form.appendChild(h('div', { className: 'field' }, h('label', { 'for': authId }, 'API key ', h('span', { className: 'hint', text: '(optional; sent as Authorization: Bearer)' })), auth));
  var body = null;
  var example = exampleFor(op);
  if (example !== null) {
    var bodyId = id + '-body';
    body = h('textarea', { id: bodyId, className: 'mono', rows: 10, spellcheck: 'false' });
    body.value = JSON.stringify(example, null, 2);
    form.appendChild(h('div', { className: 'field' }, h('label', { 'for': bodyId, text: 'Request body (JSON)' }), body));
  }
  var button = h('button', { type: 'submit', className: 'primary', text: 'Send ' + method.toUpperCase() + ' ' + path });
  form.appendChild(button);
  var out = h('div', { className: 'response', 'aria-live': 'polite', id: id + '-response' });
  form.appendChild(out);
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var url = path;
    var query = [];
    var headers = {};
    for (var i = 0; i < inputs.length; i++) {
      var inp = inputs[i];
      var where = inp.getAttribute('data-in');
      var name = inp.getAttribute('data-name');
      var v = inp.value;
      if (where === 'path') url = url.replace('{' + name + '}', encodeURIComponent(v));
      else if (v === '') continue;
      else if (where === 'query') query.push(encodeURIComponent(name) + '=' + encodeURIComponent(v));
      else if (where === 'header') headers[name] = v;
    }
    if (query.length) url += '?' + query.join('&');
    if (auth.value.trim()) headers.authorization = 'Bearer ' + auth.value.trim();
    var init = { method: method.toUpperCase(), headers: headers };
    if (body) { init.body = body.value; headers['content-type'] = 'application/json'; }
    out.textContent = 'Sending…';
    button.disabled = true;
    var started = performance.now();
    fetch(url, init).then(function (r) {
      return r.text().then(function (text) {
        var pretty = text;
        try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (err) { pretty = text.length > 4000 ? text.slice(0, 4000) + '…' : text; }
        var shown = ['content-type', 'cache-status', 'server-timing', 'x-request-id', 'allow', 'retry-after'].filter(function (k) { return r.headers.get(k); })
          .map(function (k) { return k + ': ' + r.headers.get(k); }).join('\n');
        out.textContent = '';
        out.appendChild(h('p', null, h('strong', { className: 'status s' + String(r.status).charAt(0), 'data-status': r.status, text: r.status + ' ' + r.statusText }), ' ', h('span', { className: 'muted', text: Math.round(performance.now() - started) + ' ms' })));
        if (shown) out.appendChild(h('pre', { className: 'headers', text: shown }));
        out.appendChild(h('pre', { className: 'body', text: pretty }));
      });
    }).catch(function (err) {
      out.textContent = 'Network error: ' + (err && err.message || err);
    }).then(function () { button.disabled = false; });
  });
  return form;
}

function responsesView(op) {
  var dl = h('div', { className: 'responses' });
  Object.keys(op.responses || {}).forEach(function (status) {
    var r = op.responses[status];
    var ref = r.$ref ? refName(r.$ref) : null;
    var rr = resolve(r);
    var media = rr.content ? rr.content[Object.keys(rr.content)[0]] : null;
    var schema = media && media.schema;
    var schemaRef = schema && schema.$ref ? refName(schema.$ref) : schema && schema.allOf && schema.allOf[0].$ref ? refName(schema.allOf[0].$ref) : null;
    dl.appendChild(h('div', { className: 'resp' },
      h('code', { className: 'code s' + status.charAt(0), text: status }), ' ',
      ref ? h('a', { href: '#response-' + ref, text: ref }) : null, ref ? ' ' : null,
      h('span', { text: rr.description || '' }),
      schemaRef ? h('span', null, ' → ', h('a', { href: '#schema-' + schemaRef, text: schemaRef })) : null));
  });
  return dl;
}

function operationView(path, method, op) {
  var id = 'op-' + (op.operationId || (method + path).replace(/[^A-Za-z0-9]+/g, '-'));
  var sec = h('section', { className: 'op panel', id: id, 'aria-labelledby': id + '-h' });
  sec.appendChild(h('h3', { id: id + '-h' }, h('span', { className: 'method ' + method, text: method.toUpperCase() }), ' ', h('code', { className: 'path', text: path }), ' ', h('span', { className: 'summary', text: op.summary || '' })));
  if (op.description) sec.appendChild(prose(op.description));
  if (op.security && op.security.length) {
    var optional = op.security.some(function (s) { return Object.keys(s).length === 0; });
    sec.appendChild(h('p', { className: 'muted', text: optional ? 'Auth: none on open deployments; Authorization: Bearer <key> when API keys are configured.' : 'Auth: Authorization: Bearer <key> (admin).' }));
  }
  var params = (op.parameters || []).map(function (p) { return p.$ref ? resolve(p) : p; });
  if (params.length) {
    sec.appendChild(h('h4', { text: 'Parameters' }));
    sec.appendChild(h('div', { className: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'name' }), h('th', { scope: 'col', text: 'in' }), h('th', { scope: 'col', text: 'type' }), h('th', { scope: 'col', text: 'description' }))),
      h('tbody', null, params.map(function (p) {
        return h('tr', null, h('th', { scope: 'row' }, h('code', { text: p.name }), p.required ? h('span', { className: 'req', text: ' required' }) : null), h('td', { text: p['in'] }), h('td', null, h('code', { text: typeLabel(p.schema || {}) })), h('td', { text: p.description || '' }));
      })))));
  }
  if (op.requestBody) {
    sec.appendChild(h('h4', { text: 'Request body' + (op.requestBody.required ? ' (required)' : '') }));
    var media = op.requestBody.content && op.requestBody.content['application/json'];
    if (media) sec.appendChild(schemaView(media.schema, 0));
  }
  sec.appendChild(h('h4', { text: 'Responses' }));
  sec.appendChild(responsesView(op));
  sec.appendChild(h('details', { className: 'try' }, h('summary', { text: 'Try it' }), tryItForm(path, method, op, id)));
  return sec;
}

function render() {
  var info = SPEC.info || {};
  $('title').textContent = (info.title || 'API') + ' ' + (info.version || '');
  $('intro').appendChild(prose(info.description || ''));
  var limits = SPEC['x-limits'];
  if (limits) {
    $('intro').appendChild(h('div', { className: 'table-wrap' }, h('table', { className: 'limits' },
      h('caption', { text: 'Limits of this deployment' }),
      h('tbody', null, Object.keys(limits).map(function (k) { return h('tr', null, h('th', { scope: 'row' }, h('code', { text: k })), h('td', { text: String(limits[k]) })); })))));
  }
  var tags = {};
  var order = [];
  Object.keys(SPEC.paths || {}).forEach(function (path) {
    METHODS.forEach(function (m) {
      var op = SPEC.paths[path][m];
      if (!op) return;
      var tag = (op.tags && op.tags[0]) || 'Other';
      if (!tags[tag]) { tags[tag] = []; order.push(tag); }
      tags[tag].push([path, m, op]);
    });
  });
  var known = (SPEC.tags || []).map(function (t) { return t.name; });
  order.sort(function (a, b) { return (known.indexOf(a) + 1 || 99) - (known.indexOf(b) + 1 || 99); });
  var toc = $('toc-list');
  var ops = $('operations');
  order.forEach(function (tag) {
    var tagInfo = (SPEC.tags || []).filter(function (t) { return t.name === tag; })[0];
    var tagId = 'tag-' + tag.replace(/[^A-Za-z0-9]+/g, '-');
    ops.appendChild(h('h2', { id: tagId, text: tag }));
    if (tagInfo && tagInfo.description) ops.appendChild(h('p', { className: 'muted', text: tagInfo.description }));
    var sub = h('ul');
    tags[tag].forEach(function (e) {
      var view = operationView(e[0], e[1], e[2]);
      ops.appendChild(view);
      sub.appendChild(h('li', null, h('a', { href: '#' + view.id }, h('span', { className: 'method ' + e[1], text: e[1].toUpperCase() }), ' ', e[0])));
    });
    toc.appendChild(h('li', null, h('a', { href: '#' + tagId, text: tag }), sub));
  });
  var comps = SPEC.components || {};
  var schemasBox = $('schemas');
  Object.keys(comps.schemas || {}).forEach(function (name) {
    schemasBox.appendChild(h('section', { className: 'panel', id: 'schema-' + name, 'aria-labelledby': 'schema-' + name + '-h' },
      h('h3', { id: 'schema-' + name + '-h' }, h('code', { text: name })), schemaView(comps.schemas[name], 0)));
  });
  var errBox = $('errors');
  Object.keys(comps.responses || {}).forEach(function (name) {
    var r = comps.responses[name];
    var media = r.content && r.content['application/json'];
    errBox.appendChild(h('section', { className: 'panel', id: 'response-' + name, 'aria-labelledby': 'response-' + name + '-h' },
      h('h3', { id: 'response-' + name + '-h' }, h('code', { text: name })), prose(r.description || ''),
      media && media.example ? h('pre', { text: JSON.stringify(media.example, null, 2) }) : null));
  });
  toc.appendChild(h('li', null, h('a', { href: '#errors-h', text: 'Errors' })));
  toc.appendChild(h('li', null, h('a', { href: '#schemas-h', text: 'Schemas' })));
  document.body.setAttribute('data-ready', 'true');
  if (location.hash) { var target = document.getElementById(location.hash.slice(1)); if (target) target.scrollIntoView(); }
}
render();
`

export const DOCS_SCRIPT: string = '(function () {\n"use strict";\n' + CLIENT + '\n})();'
