/**
 * Pure helpers of `npm run deploy` (scripts/deploy.mjs): read the resources wrangler.toml declares,
 * find them in `wrangler kv namespace list` / `wrangler d1 list --json` output, and write a deploy
 * config (a copy of wrangler.toml with the real ids and the operator's vars). No I/O here.
 *
 * wrangler.toml is read line by line (tables `[x]` / `[[x]]`, `key = "value"` lines): enough for
 * this repository's file, whose resource blocks are flat; anything else is copied unchanged.
 */

const TABLE = /^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(?:#.*)?$/u
const STRING_KEY = /^\s*([A-Za-z0-9_-]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/u

/** Sections of a TOML file: `{ table, array, start, end, values: { key: { value, line } } }`. */
/** @typedef {{ table: string, array: boolean, start: number, end: number, values: Record<string, { value: string, line: number }> }} TomlSection */

/**
 * A KV namespace wrangler.toml declares (`[[kv_namespaces]]`): its binding, the title this script
 * gives it, its id and the line of that id (both absent when the table has no `id = "…"`).
 * @typedef {{ binding: string, title: string, id: string | undefined, idLine: number | undefined }} DeclaredKv
 */
/**
 * A D1 database wrangler.toml declares (`[[d1_databases]]`): binding, `database_name`,
 * `database_id` and the line of that id (each absent when the table lacks it).
 * @typedef {{ binding: string, name: string | undefined, id: string | undefined, idLine: number | undefined }} DeclaredD1
 */
/** An entry of `wrangler kv namespace list` (Cloudflare API: a namespace's `{ id, title, … }`). @typedef {{ id: string, title: string }} KvNamespaceListed */
/** An entry of `wrangler d1 list --json` (Cloudflare API: a database's `{ uuid, name, … }`). @typedef {{ uuid: string, name: string }} D1DatabaseListed */
/** An entry of `wrangler secret list` (`{ name, type }`). @typedef {{ name: string, type: string }} SecretListed */

/** @param {string} text @returns {{ lines: string[], sections: TomlSection[] }} */
export function tomlSections(text) {
  const lines = text.split('\n')
  /** @type {TomlSection[]} */
  const sections = [{ table: '', array: false, start: 0, end: lines.length, values: {} }]
  let current = /** @type {TomlSection} */ (sections[0])
  lines.forEach((line, i) => {
    const t = TABLE.exec(line)
    if (t) {
      current.end = i
      current = { table: t[2] ?? '', array: t[1] === '[[', start: i, end: lines.length, values: {} }
      sections.push(current)
      return
    }
    const kv = STRING_KEY.exec(line)
    if (kv && kv[1] !== undefined) current.values[kv[1]] = { value: JSON.parse(`"${kv[2]}"`), line: i }
  })
  return { lines, sections }
}

/**
 * What wrangler.toml declares: the worker name, KV namespaces (binding, id, line of the id) and D1
 * databases (binding, name, id, line of the id). The KV title this script uses is
 * `<worker>-<binding>`, the title `wrangler kv namespace create <worker>-<binding>` gives.
 * @param {string} text wrangler.toml
 * @returns {{ worker: string, kv: DeclaredKv[], d1: DeclaredD1[] }}
 */
export function declaredResources(text) {
  const { sections } = tomlSections(text)
  const top = sections[0]?.values ?? {}
  const worker = top.name?.value
  if (!worker) throw new Error('wrangler.toml has no top-level name = "…"')
  const kv = sections.flatMap((s) => {
    const binding = s.values.binding?.value
    if (!s.array || s.table !== 'kv_namespaces' || binding === undefined) return []
    return [{ binding, title: `${worker}-${binding}`, id: s.values.id?.value, idLine: s.values.id?.line }]
  })
  const d1 = sections.flatMap((s) => {
    const binding = s.values.binding?.value
    if (!s.array || s.table !== 'd1_databases' || binding === undefined) return []
    return [{ binding, name: s.values.database_name?.value, id: s.values.database_id?.value, idLine: s.values.database_id?.line }]
  })
  return { worker, kv, d1 }
}

/**
 * The JSON array in a wrangler command's stdout (it may print a banner or warnings around it).
 * Its entries are as wrangler printed them, unchecked: the caller says what it expects.
 * @param {string} stdout
 * @returns {unknown[]}
 */
export function jsonArrayIn(stdout) {
  const start = stdout.indexOf('[')
  const end = stdout.lastIndexOf(']')
  if (start < 0 || end < start) throw new Error(`expected a JSON array from wrangler, got: ${stdout.slice(0, 300)}`)
  const value = JSON.parse(stdout.slice(start, end + 1))
  if (!Array.isArray(value)) throw new Error('expected a JSON array from wrangler')
  return value
}

/**
 * `wrangler kv namespace list` → id of the namespace titled `title` (Cloudflare API `{id, title}`).
 * @param {ReadonlyArray<KvNamespaceListed | null | undefined>} listed
 * @param {string} title
 * @returns {string | undefined}
 */
export function kvIdByTitle(listed, title) {
  return listed.find((n) => n && n.title === title)?.id
}

/**
 * `wrangler d1 list --json` → uuid of the database named `name` (Cloudflare API `{uuid, name}`).
 * @param {ReadonlyArray<D1DatabaseListed | null | undefined>} listed
 * @param {string | undefined} name `database_name` as wrangler.toml declares it (absent when it has none)
 * @returns {string | undefined}
 */
export function d1IdByName(listed, name) {
  return listed.find((d) => d && d.name === name)?.uuid
}

/** TOML basic string: JSON's escapes are TOML's (TOML 1.0 "Basic strings"), minus `\/` which JSON.stringify never emits. */
/** @param {string} s */
const tomlString = (s) => JSON.stringify(s)

/**
 * The deploy config: wrangler.toml with each resource id replaced (`ids`: binding → id) and the
 * given `[vars]` values set (only keys already in `[vars]`; others are appended to it).
 * @param {string} text wrangler.toml
 * @param {Record<string, string>} ids
 * @param {Record<string, string>} [vars]
 * @returns {string}
 */
export function deployConfigText(text, ids, vars = {}) {
  const { lines, sections } = tomlSections(text)
  const out = [...lines]
  for (const s of sections) {
    const binding = s.values.binding?.value
    if (!s.array || binding === undefined || !(binding in ids)) continue
    const key = s.table === 'd1_databases' ? 'database_id' : s.table === 'kv_namespaces' ? 'id' : undefined
    const at = key ? s.values[key]?.line : undefined
    if (at === undefined) throw new Error(`wrangler.toml: [[${s.table}]] ${binding} has no ${key}`)
    out[at] = `${key} = ${tomlString(/** @type {string} */ (ids[binding]))}` // `binding in ids` above
  }
  const varsSection = sections.find((s) => !s.array && s.table === 'vars')
  /** @type {string[]} */
  const extra = []
  for (const [k, v] of Object.entries(vars)) {
    const existing = varsSection?.values[k]
    if (existing) out[existing.line] = `${k} = ${tomlString(v)}`
    else extra.push(`${k} = ${tomlString(v)}`)
  }
  if (extra.length > 0) {
    if (!varsSection) throw new Error('wrangler.toml has no [vars] table')
    out.splice(varsSection.start + 1, 0, ...extra)
  }
  return [
    '# Generated by `npm run deploy` (scripts/deploy.mjs) from wrangler.toml: this account\'s resource ids.',
    '# Do not edit; edit wrangler.toml and run `npm run deploy` again.',
    ...out,
  ].join('\n')
}

/**
 * The secrets the worker reads (src/config.ts), each with what it is for.
 * @type {Array<[name: string, purpose: string]>}
 */
export const SECRETS = [
  ['VLLM_API_KEY', 'bearer token of the vLLM servers (the --api-key they were started with)'],
  ['API_KEYS', 'hashed client keys, a JSON array of the entries `npm run hash-key -- <key>` prints; unset = open access (npm run deploy refuses that without --allow-open)'],
  ['VLLM_ACCESS_CLIENT_ID', 'Cloudflare Access service token id, only when the vLLM origin is behind Access'],
  ['VLLM_ACCESS_CLIENT_SECRET', 'Cloudflare Access service token secret (with VLLM_ACCESS_CLIENT_ID)'],
]

/**
 * The string values of a config's top-level `[vars]` table.
 * @param {string} text
 * @returns {Record<string, string>}
 */
function varsOf(text) {
  const section = tomlSections(text).sections.find((s) => !s.array && s.table === 'vars')
  return Object.fromEntries(Object.entries(section?.values ?? {}).map(([k, v]) => [k, v.value]))
}

/**
 * The `[vars]` a deploy sets: those the last deploy config (`previous`, its text, or undefined)
 * set away from wrangler.toml's defaults, kept (`kept` names them), then `given` (this
 * environment's config vars) over them. So a redeploy without VLLM_URLS keeps the backend.
 * @param {string} source wrangler.toml
 * @param {string | undefined} previous
 * @param {Record<string, string>} given
 * @returns {{ vars: Record<string, string>, kept: string[] }}
 */
export function deployVars(source, previous, given) {
  const defaults = varsOf(source)
  const last = previous === undefined ? {} : varsOf(previous)
  /** @type {Record<string, string>} */
  const vars = {}
  /** @type {string[]} */
  const kept = []
  for (const [k, v] of Object.entries(last)) {
    if (v !== defaults[k] && !Object.hasOwn(given, k)) {
      vars[k] = v
      kept.push(k)
    }
  }
  Object.assign(vars, given)
  return { vars, kept: kept.sort() }
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0|\[::\])$/iu

/**
 * What is wrong with VLLM_URLS for a deployed worker: a loopback address it cannot reach (an error),
 * plain http that would carry the VLLM_API_KEY bearer token in clear (a warning). Entries are
 * named by position and host only (a URL may carry a token).
 * @param {string} csv VLLM_URLS
 * @returns {{ errors: string[], warnings: string[] }}
 */
export function backendUrlProblems(csv) {
  /** @type {string[]} */
  const errors = []
  /** @type {string[]} */
  const warnings = []
  const urls = csv.split(',').map((u) => u.trim()).filter((u) => u !== '')
  urls.forEach((u, i) => {
    let url
    try {
      url = new URL(u)
    } catch {
      errors.push(`VLLM_URLS entry ${i + 1} is not a URL`)
      return
    }
    const which = `VLLM_URLS entry ${i + 1} (${url.host})`
    if (LOOPBACK.test(url.hostname)) errors.push(`${which} is a loopback address: a deployed worker cannot reach it`)
    else if (url.protocol === 'http:') warnings.push(`${which} is plain http: the VLLM_API_KEY bearer token would cross the network in clear; use https (a TLS proxy, gpu-backend/compose.tls.yaml, or a Cloudflare Tunnel)`)
  })
  return { errors, warnings }
}
