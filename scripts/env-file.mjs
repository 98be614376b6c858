/**
 * Reading `.dev.vars` and writing the env file that `npm start` hands to `wrangler dev --env-file`,
 * exactly as wrangler 4.164 reads them (node_modules/wrangler/wrangler-dist/cli.js):
 *
 * - `.dev.vars` is read with dotenv@16.3.1 `parse` and NOT expanded (src/dev/dev-vars.ts
 *   `tryLoadDotDevDotVars`). But wrangler only reads it when no `--env-file` is given
 *   (`getVarsForDev`: `if (!envFiles?.length)`), so `npm start` reads it itself (`parseDotenv`,
 *   the same parser) and merges it with the environment into one env file, the environment winning.
 * - An `--env-file` is read with dotenv@16.3.1 `config` (the same `parse`) and then expanded by
 *   dotenv-expand@12.0.2 (src/config/dot-env.ts `loadDotEnv`): `$NAME`/`${NAME}` are substituted
 *   unless preceded by a backslash, and every `\$` then becomes `$`. So each `$` is written `\$`.
 *
 * dotenv@16.3.1 quoting: '…' and `…` are literal; "…" turns the two characters `\n`/`\r` into a
 * newline/CR; unquoted values end at `#` or the line end and are trimmed. A CR anywhere in the file
 * becomes a newline before parsing. `encodeEnvValue` picks the first form that carries the value
 * unchanged, or returns undefined when none can (e.g. a value holding all of ' " and `).
 */

/** dotenv@16.3.1 lib/main.js `LINE`, verbatim. */
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm

/**
 * dotenv@16.3.1 lib/main.js `parse`, verbatim: how wrangler reads `.dev.vars`.
 * @param {string | Buffer} src the file's content (dotenv's own parameter type)
 * @returns {Record<string, string>}
 */
export function parseDotenv(src) {
  /** @type {Record<string, string>} */
  const obj = {}
  const lines = String(src).replace(/\r\n?/gm, '\n')
  let match
  LINE.lastIndex = 0
  while ((match = LINE.exec(lines)) != null) {
    // Group 1 is not optional in LINE: a match always has it.
    const key = /** @type {string} */ (match[1])
    let value = (match[2] || '').trim()
    const maybeQuote = value[0]
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2')
    if (maybeQuote === '"') {
      value = value.replace(/\\n/g, '\n')
      value = value.replace(/\\r/g, '\r')
    }
    obj[key] = value
  }
  return obj
}

/**
 * The 1-based numbers of the lines `parseDotenv` skips without a word: not blank, not a `#`
 * comment, and not part of any NAME=value it read (a quoted value may span lines). E.g. `NAME`
 * alone, `NAME value`, `API KEYS=…`. The caller reports the numbers, never the lines (a line may
 * hold a secret). Uses the same LINE pattern, so it agrees with what was read.
 * @param {string} src the file's content
 * @returns {number[]}
 */
export function unreadDotenvLines(src) {
  const text = String(src).replace(/\r\n?/gmu, '\n')
  const read = new Set()
  const lineOf = (/** @type {number} */ offset) => text.slice(0, offset).split('\n').length
  const re = new RegExp(LINE.source, LINE.flags)
  let match
  while ((match = re.exec(text)) != null) {
    // A match starts at a line start (or the blanks before one) and ends at a line end.
    const first = lineOf(match.index)
    const last = lineOf(match.index + match[0].length)
    for (let n = first; n <= last; n++) read.add(n)
  }
  /** @type {number[]} */
  const unread = []
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '' && !line.trimStart().startsWith('#') && !read.has(i + 1)) unread.push(i + 1)
  })
  return unread
}

/**
 * The text to put after `NAME=` so that wrangler's env-file reader yields `value` exactly, or
 * undefined when dotenv@16.3.1 has no form for it.
 * @param {string} value
 * @returns {string | undefined}
 */
export function encodeEnvValue(value) {
  const v = String(value).replace(/\$/gu, '\\$')
  const hasCr = v.includes('\r')
  if (!v.includes("'") && !hasCr) return `'${v}'`
  if (!v.includes('`') && !hasCr) return `\`${v}\``
  if (!v.includes('"') && !/\\[nr]/u.test(v)) return `"${v.replace(/\r/gu, '\\r')}"`
  if (v.length > 0 && !/[#\r\n]/u.test(v) && v.trim() === v && !/^['"`]/u.test(v)) return v
  return undefined
}

/**
 * The env file for `wrangler dev --env-file`: `.dev.vars` entries overridden by `fromEnv`.
 * Returns the text and the names that could not be encoded (the caller refuses to start).
 * @param {Record<string, string>} devVars
 * @param {Record<string, string>} fromEnv
 * @returns {{ text: string, names: string[], unencodable: string[] }}
 */
export function buildEnvFile(devVars, fromEnv) {
  const merged = { ...devVars, ...fromEnv }
  /** @type {string[]} */
  const lines = []
  /** @type {string[]} */
  const unencodable = []
  for (const [name, value] of Object.entries(merged)) {
    const encoded = encodeEnvValue(value)
    if (encoded === undefined) unencodable.push(name)
    else lines.push(`${name}=${encoded}`)
  }
  return { text: lines.join('\n') + '\n', names: Object.keys(merged), unencodable }
}
