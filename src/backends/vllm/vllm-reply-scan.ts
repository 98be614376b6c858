/**
 * @module vllm-reply-scan
 * A strict, allocation-light reader of a vLLM `/v1/rerank` reply for the one thing we use: each
 * result's `index` and `relevance_score`, and `usage.prompt_tokens` (or `total_tokens`). Pure.
 *
 * The reply echoes every document as sent (vLLM `vllm/entrypoints/pooling/score/protocol.py`
 * RerankResult.document), so for 1,000 passages it is ~1 MB of which we need a few KB. The reader
 * works on the reply's bytes, so the echoed documents are never decoded: decoding UTF-8 that holds
 * any non-ASCII text takes workerd's slow path, the largest single cost of reading a request body
 * of realistic passages (BENCHMARKS.md "Where the CPU goes"), and the reply is as large again.
 * Everything the reader uses is held to RFC 8259: the structure (objects, arrays, commas, colons,
 * nothing after the value), member names (§7 string grammar, on strictly decoded UTF-8), numbers
 * (§6), literals. The strings it does not use (the echoed documents) are delimited exactly,
 * escapes honoured (a quote ends the string unless an odd number of backslashes precedes it), and
 * skipped with `indexOf` on the bytes, never decoded or copied; their content is not checked for
 * §7 escape validity or for UTF-8 validity (a fault `text()` would have replaced with U+FFFD).
 * In workerd, over the 1.2 MB reply of 1,000 realistic passages (bench/lib/passages.ts, a loop of
 * 40 reads, 7 rounds): decoding it and scanning the text took 3.4–4.3 ms per reply, this scanner
 * on the bytes 1.6–1.7 ms (250-character passages: 1.8–2.0 vs 0.9–1.2 ms). Reading the text with
 * JSON.parse was ~2× slower than scanning the text in Node (0.56 vs 1.18 ms; a per-character
 * regexp check was slower than JSON.parse).
 * So one difference from `JSON.parse` is deliberate: a reply whose *echoed document* holds a raw
 * control character or a bad escape is read, not refused; its scores are as valid as any.
 *
 * Returns the scores only for a reply that passes every check of `parseVllmRerankReplyFully`
 * (count, each index an integer in range and seen once, each score finite in [0, 1]); anything
 * else, including duplicate member names (JSON.parse keeps the last one) and names written with
 * escapes, returns undefined, and the full reader reports the fault in its own words.
 */

export interface ScannedReply {
  scores: number[]
  promptTokens?: number
}

/** RFC 8259 §7 string, unrolled so the regexp engine does not backtrack per character. */
const STRING = /"[^"\\\u0000-\u001f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\u0000-\u001f]*)*"/y
/** RFC 8259 §6 number. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

/** Member names of vLLM 0.13's rerank reply (vllm/entrypoints/pooling/score/protocol.py). */
const KNOWN_KEYS = ['id', 'model', 'usage', 'total_tokens', 'prompt_tokens', 'results', 'index', 'document', 'text', 'multi_modal', 'relevance_score', 'object', 'created']

/** KNOWN_KEYS by length (all printable ASCII, no escapes). */
const KNOWN_BY_LENGTH: Array<readonly string[] | undefined> = []
for (const k of KNOWN_KEYS) KNOWN_BY_LENGTH[k.length] = [...(KNOWN_BY_LENGTH[k.length] ?? []), k]

class Bail extends Error {}
const BAIL = new Bail()

/** Nesting deeper than this inside a skipped value: leave it to JSON.parse. */
const MAX_DEPTH = 64

const UTF8 = new TextEncoder()
/** Member names the fast path cannot take are decoded strictly: a name that is not UTF-8 defers to JSON.parse. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Characters of RFC 8259 §6 numbers (the grammar itself is checked by NUMBER on the span). */
const isNumberByte = (c: number | undefined) => c !== undefined && ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)

/** ASCII bytes as a string (the caller has checked they are ASCII). */
function ascii(b: Uint8Array, from: number, to: number): string {
  let out = ''
  for (let i = from; i < to; i++) out += String.fromCharCode(b[i] as number)
  return out
}

class Scanner {
  i: number
  constructor(readonly b: Uint8Array) {
    // A UTF-8 byte order mark is not JSON; the Fetch standard's text() strips it (Encoding
    // Standard "UTF-8 decode"), so the full reader never sees one either.
    this.i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0
  }

  ws(): void {
    const b = this.b
    let i = this.i
    for (;;) {
      const c = b[i]
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++
      else break
    }
    this.i = i
  }

  expect(ch: number): void {
    this.ws()
    if (this.b[this.i] !== ch) throw BAIL
    this.i++
  }

  /** Whether the next non-space byte is `ch` (consumed if so). */
  take(ch: number): boolean {
    this.ws()
    if (this.b[this.i] !== ch) return false
    this.i++
    return true
  }

  /** A member name: only the short, escape-free names this reader looks for are returned as text. */
  key(): string {
    this.ws()
    const b = this.b
    const start = this.i
    if (b[start] !== 0x22) throw BAIL
    // The names vLLM writes: a name in KNOWN_KEYS is at most 32 bytes of printable ASCII with no
    // escape, so it is a valid string as it stands; read here byte by byte (a call of the typed
    // array's indexOf costs more than such a name). Anything else is read by the full grammar below.
    let end = start + 1
    while (end <= start + 33) {
      const c = b[end]
      if (c === 0x22 || c === undefined || c < 0x20 || c > 0x7e || c === 0x5c) break
      end++
    }
    if (b[end] === 0x22) {
      // Compared in place against the known names of that length: no string is built.
      const known = KNOWN_BY_LENGTH[end - start - 1]
      if (known !== undefined) {
        for (const k of known) {
          let same = true
          for (let j = 0; j < k.length; j++) {
            if (b[start + 1 + j] !== k.charCodeAt(j)) {
              same = false
              break
            }
          }
          if (same) {
            this.i = end + 1
            return k
          }
        }
      }
    }
    this.skipString()
    let text: string
    try {
      text = STRICT_UTF8.decode(b.subarray(start, this.i))
    } catch {
      throw BAIL
    }
    STRING.lastIndex = 0
    if (!STRING.test(text) || STRING.lastIndex !== text.length) throw BAIL
    const raw = text.slice(1, -1)
    return raw.length <= 32 && raw.indexOf('\\') < 0 ? raw : '\u0000other'
  }

  /**
   * Past a string whose content is not used: its end is the first quote not escaped (preceded by
   * an even number of backslashes), found with `indexOf` (the engine's fast search). UTF-8 never
   * uses the bytes of '"' or '\\' inside a multi-byte character, so the search needs no decoding;
   * the content is not checked further.
   */
  skipString(): void {
    const b = this.b
    if (b[this.i] !== 0x22) throw BAIL
    let from = this.i + 1
    for (;;) {
      const q = b.indexOf(0x22, from)
      if (q < 0) throw BAIL
      let k = q - 1
      while (b[k] === 0x5c) k--
      if ((q - 1 - k) % 2 === 0) {
        this.i = q + 1
        return
      }
      from = q + 1
    }
  }

  number(): number {
    this.ws()
    const b = this.b
    let end = this.i
    while (isNumberByte(b[end])) end++
    const span = ascii(b, this.i, end)
    NUMBER.lastIndex = 0
    if (!NUMBER.test(span)) throw BAIL
    const n = Number(span.slice(0, NUMBER.lastIndex))
    this.i += NUMBER.lastIndex
    return n
  }

  literal(word: string): void {
    const b = this.b
    for (let k = 0; k < word.length; k++) if (b[this.i + k] !== word.charCodeAt(k)) throw BAIL
    this.i += word.length
  }

  skipValue(depth = 0): void {
    if (depth > MAX_DEPTH) throw BAIL
    this.ws()
    const c = this.b[this.i]
    if (c === 0x22) this.skipString()
    else if (c === 0x7b) {
      this.i++
      if (this.take(0x7d)) return
      do {
        this.key()
        this.expect(0x3a)
        this.skipValue(depth + 1)
      } while (this.take(0x2c))
      this.expect(0x7d)
    } else if (c === 0x5b) {
      this.i++
      if (this.take(0x5d)) return
      do this.skipValue(depth + 1)
      while (this.take(0x2c))
      this.expect(0x5d)
    } else if (c === 0x74) this.literal('true')
    else if (c === 0x66) this.literal('false')
    else if (c === 0x6e) this.literal('null')
    else this.number()
  }
}

/**
 * `reply`: the body as received (bytes: never decoded, the echoed documents are skipped by byte
 * search), or as text (encoded to UTF-8 first).
 */
export function scanVllmRerankReply(reply: Uint8Array | string, documentCount: number): ScannedReply | undefined {
  try {
    return scan(new Scanner(typeof reply === 'string' ? UTF8.encode(reply) : reply), documentCount)
  } catch (e) {
    if (e === BAIL || e instanceof RangeError) return undefined
    throw e
  }
}

function scan(s: Scanner, n: number): ScannedReply | undefined {
  let scores: number[] | undefined
  let tokens: number | undefined
  let promptTokens: unknown
  let totalTokens: unknown
  let sawUsage = false
  s.expect(0x7b)
  if (!s.take(0x7d)) {
    do {
      const name = s.key()
      s.expect(0x3a)
      if (name === 'results') {
        if (scores !== undefined) return undefined
        scores = results(s, n)
      } else if (name === 'usage') {
        if (sawUsage) return undefined
        sawUsage = true
        s.ws()
        if (s.b[s.i] !== 0x7b) {
          s.skipValue()
          continue
        }
        s.i++
        let seenPrompt = false
        let seenTotal = false
        if (!s.take(0x7d)) {
          do {
            const k = s.key()
            s.expect(0x3a)
            if (k === '\u0000other') return undefined
            if (k === 'prompt_tokens' || k === 'total_tokens') {
              if (k === 'prompt_tokens' ? seenPrompt : seenTotal) return undefined
              const v = tokenValue(s)
              if (k === 'prompt_tokens') {
                seenPrompt = true
                promptTokens = v
              } else {
                seenTotal = true
                totalTokens = v
              }
            } else s.skipValue()
          } while (s.take(0x2c))
          s.expect(0x7d)
        }
      } else if (name === '\u0000other') {
        // A name with escapes might spell "results" or "usage": let JSON.parse decide.
        return undefined
      } else s.skipValue()
    } while (s.take(0x2c))
    s.expect(0x7d)
  }
  s.ws()
  if (s.i !== s.b.length || scores === undefined) return undefined
  // As the full reader: prompt_tokens, else total_tokens, when a token count (null is absent).
  const t = promptTokens ?? totalTokens
  if (isTokenCount(t)) tokens = t
  return tokens === undefined ? { scores } : { scores, promptTokens: tokens }
}

/** A usage count: the number, null for JSON null (so `??` falls through, as in the full reader), else a marker. */
function tokenValue(s: Scanner): unknown {
  s.ws()
  const c = s.b[s.i] ?? -1
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return s.number()
  if (c === 0x6e) {
    s.literal('null')
    return null
  }
  s.skipValue()
  return 'not a number'
}

function results(s: Scanner, n: number): number[] {
  const scores = new Array<number>(n).fill(Number.NaN)
  const seen = new Uint8Array(n)
  let count = 0
  s.expect(0x5b)
  if (s.take(0x5d)) {
    if (n !== 0) throw BAIL
    return scores
  }
  do {
    if (count >= n) throw BAIL
    s.expect(0x7b)
    let index: number | undefined
    let score: number | undefined
    if (!s.take(0x7d)) {
      do {
        const k = s.key()
        s.expect(0x3a)
        if (k === 'index') {
          if (index !== undefined) throw BAIL
          index = s.number()
        } else if (k === 'relevance_score') {
          if (score !== undefined) throw BAIL
          score = s.number()
        } else if (k === '\u0000other') throw BAIL
        else s.skipValue()
      } while (s.take(0x2c))
      s.expect(0x7d)
    }
    if (index === undefined || score === undefined) throw BAIL
    if (!Number.isInteger(index) || index < 0 || index >= n || seen[index]) throw BAIL
    if (!Number.isFinite(score) || score < 0 || score > 1) throw BAIL
    seen[index] = 1
    scores[index] = score
    count++
  } while (s.take(0x2c))
  s.expect(0x5d)
  if (count !== n) throw BAIL
  return scores
}

/**
 * Whether a reply's `usage` count can be a count of tokens: a non-negative safe integer (vLLM's
 * `UsageInfo` fields are ints). Anything else (1e300, -1000, 2.5) reads as no count, never as one:
 * the count is split among the pairs (lib/apportion-tokens.ts) and reported to the caller.
 */
export function isTokenCount(t: unknown): t is number {
  return typeof t === 'number' && Number.isSafeInteger(t) && t >= 0
}
