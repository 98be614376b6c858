/**
 * @module tokenize
 * Text → terms for the lexical scorer.
 *
 * `tokenize` splits lowercased text into words, Unicode-aware:
 * - scripts written with spaces: runs of letters, marks and digits; an apostrophe between two of
 *   them stays inside the word ("don't", "flea's"), and "." or "," between two digits stays inside
 *   a number ("3.5", "1,000"), as in Unicode word segmentation (UAX #29, rules WB6/7 and WB11/12).
 *   Unlike UAX #29, "." between letters splits ("control.Part" → control, part): MS MARCO-style
 *   text is full of sentences glued at a full stop, and "e.g"-style abbreviations lose little;
 * - Chinese/Japanese (Han, Hiragana, Katakana) and Thai/Lao/Khmer/Myanmar, written without spaces:
 *   `Intl.Segmenter(lang, { granularity: 'word' })`, ICU's dictionary-based word breaker, available
 *   in workerd and Node. Japanese is chosen when the text has kana, else Chinese.
 * - an emoji (a character of Unicode's Extended_Pictographic property, UTS #51 and UAX #29's
 *   WB3c) is a token of its own: a query "🍕" matches a document "🍕". A ZWJ sequence or a skin
 *   tone gives its pictographs as separate tokens (👩‍💻 → 👩, 💻), so they match the plain ones.
 * Non-ASCII text is folded first (`foldText`): case and accents, and compatibility forms, so
 * "Café" matches "cafe", "STRASSE" "Straße" and full-width letters and digits ASCII ones.
 *
 * `analyze` then does what Lucene's EnglishAnalyzer (Anserini's default) does after tokenising:
 * drops the possessive "'s", removes English stopwords, and Porter-stems.
 */
import { foldText } from './fold-text'
import { porterStem } from './porter-stemmer'
import { ENGLISH_STOPWORDS } from './stopwords'

const NO_SPACE_EXCEPT_CJ = '\\p{sc=Thai}\\p{sc=Lao}\\p{sc=Khmer}\\p{sc=Myanmar}'
// U+30FC (ー) and U+3005 (々) have script Common/Han but live inside Japanese words.
const CJ = '\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}\\u30FC\\u3005'
const WORD_CHAR = `[[\\p{L}\\p{M}\\p{N}]--[${CJ}${NO_SPACE_EXCEPT_CJ}]]`

/**
 * The word rule as one regular expression, for scripts written with spaces. It is the
 * specification `forEachToken`'s scanner implements (the tests check they agree); the scanner is
 * used because `matchAll` is several times slower on the 1 MB batches a request can carry.
 * Built with the constructor: the `v` flag (set subtraction) is newer than the project's TS target.
 */
export const WORD_TOKEN = new RegExp(`${WORD_CHAR}+(?:(?:['\\u2019]|(?<=\\p{N})[.,](?=\\p{N}))${WORD_CHAR}+)*|\\p{Extended_Pictographic}`, 'gv')

const NON_ASCII = /[^\x00-\x7f]/

const KANA = /[\p{sc=Hiragana}\p{sc=Katakana}]/u

// Character classes, as bits.
const WORD = 1
const DIGIT = 2
const CJ_CHAR = 4
const SEA_CHAR = 8
const EMOJI = 16
const UNKNOWN = 0xff

const IS_WORD_CHAR = new RegExp(`^${WORD_CHAR}$`, 'v')
const IS_DIGIT = /^\p{N}$/u
const IS_CJ = new RegExp(`^[${CJ}]$`, 'u')
const IS_SEA = new RegExp(`^[${NO_SPACE_EXCEPT_CJ}]$`, 'u')
const IS_EMOJI = /^\p{Extended_Pictographic}$/u

function classify(ch: string): number {
  if (IS_CJ.test(ch)) return CJ_CHAR
  if (IS_SEA.test(ch)) return SEA_CHAR
  if (IS_EMOJI.test(ch)) return EMOJI
  if (IS_WORD_CHAR.test(ch)) return IS_DIGIT.test(ch) ? WORD | DIGIT : WORD
  return 0
}

/** Class of each BMP code unit, filled on first sight (regex tests are slow, text repeats). */
const BMP_CLASS = new Uint8Array(0x10000).fill(UNKNOWN)
for (let c = 0; c < 0x80; c++) BMP_CLASS[c] = classify(String.fromCharCode(c))
const ASTRAL_CLASS = new Map<number, number>()

/** Class of the character at `i` (a code point: astral characters take two units). */
function classAt(s: string, i: number): number {
  const unit = s.charCodeAt(i)
  if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
    const cp = s.codePointAt(i) ?? unit
    let c = ASTRAL_CLASS.get(cp)
    if (c === undefined) {
      c = classify(String.fromCodePoint(cp))
      ASTRAL_CLASS.set(cp, c)
    }
    return c
  }
  let c = BMP_CLASS[unit] ?? 0
  if (c === UNKNOWN) {
    c = classify(String.fromCharCode(unit))
    BMP_CLASS[unit] = c
  }
  return c
}

function widthAt(s: string, i: number): number {
  const unit = s.charCodeAt(i)
  return unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length ? 2 : 1
}

const SEA_LANG: ReadonlyArray<readonly [RegExp, string]> = [
  [/\p{sc=Thai}/u, 'th'],
  [/\p{sc=Lao}/u, 'lo'],
  [/\p{sc=Khmer}/u, 'km'],
  [/\p{sc=Myanmar}/u, 'my'],
]

const segmenters = new Map<string, Intl.Segmenter | null>()

/** One segmenter per language for the isolate's life: constructing one costs far more than using it. */
function segmenterFor(lang: string): Intl.Segmenter | null {
  let s = segmenters.get(lang)
  if (s === undefined) {
    s = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(lang, { granularity: 'word' }) : null
    segmenters.set(lang, s)
  }
  return s
}

/** Words of a run written without spaces; one word per character if no segmenter exists. */
function segmentRun(run: string, lang: string, visit: (token: string) => void): void {
  const segmenter = segmenterFor(lang)
  if (segmenter === null) {
    for (const ch of run) visit(ch)
    return
  }
  for (const s of segmenter.segment(run)) if (s.isWordLike) visit(s.segment)
}

const APOSTROPHE = 0x27
const RIGHT_SINGLE_QUOTE = 0x2019
const FULL_STOP = 0x2e
const COMMA = 0x2c

/** Receives each token as `s.slice(start, end)` of the lowercased, normalised text `s`. */
export type TokenVisitor = (s: string, start: number, end: number) => void

/** Scans lowercased, normalised text; see the module comment for the rules. */
function scan(s: string, cjLang: string, visit: TokenVisitor): void {
  const n = s.length
  let i = 0
  while (i < n) {
    // ASCII is looked up inline: this loop runs once per character of every document.
    const u = s.charCodeAt(i)
    const cls = u < 0x80 ? (BMP_CLASS[u] ?? 0) : classAt(s, i)
    if (cls & WORD) {
      const start = i
      let last = cls
      for (;;) {
        while (i < n) {
          const v = s.charCodeAt(i)
          const c = v < 0x80 ? (BMP_CLASS[v] ?? 0) : classAt(s, i)
          if (!(c & WORD)) break
          last = c
          i += v < 0xd800 || v > 0xdbff ? 1 : widthAt(s, i)
        }
        if (i + 1 >= n) break
        const joiner = s.charCodeAt(i)
        if (joiner !== APOSTROPHE && joiner !== RIGHT_SINGLE_QUOTE && joiner !== FULL_STOP && joiner !== COMMA) break
        const next = classAt(s, i + 1)
        if ((joiner === APOSTROPHE || joiner === RIGHT_SINGLE_QUOTE) && next & WORD) i++
        else if ((joiner === FULL_STOP || joiner === COMMA) && last & DIGIT && next & DIGIT) i++
        else break
      }
      visit(s, start, i)
    } else if (cls & (CJ_CHAR | SEA_CHAR)) {
      const start = i
      while (i < n && classAt(s, i) & cls) i += widthAt(s, i)
      const run = s.slice(start, i)
      const lang = cls & CJ_CHAR ? cjLang : (SEA_LANG.find(([re]) => re.test(run))?.[1] ?? 'th')
      segmentRun(run, lang, (word) => visit(word, 0, word.length))
    } else if (cls & EMOJI) {
      const start = i
      i += widthAt(s, i)
      visit(s, start, i)
    } else i += u < 0xd800 || u > 0xdbff ? 1 : widthAt(s, i)
  }
}

/**
 * Calls `visit` with the position of each lowercased word of `text`, in order, without
 * allocating the words (the scorer only needs a few of them as strings).
 */
export function forEachTokenSpan(text: string, visit: TokenVisitor): void {
  if (!NON_ASCII.test(text)) {
    scan(text.toLowerCase(), 'zh', visit)
    return
  }
  const normalized = foldText(text)
  scan(normalized, KANA.test(normalized) ? 'ja' : 'zh', visit)
}

/** Calls `visit` with each lowercased word of `text`, in order (see the module comment). */
export function forEachToken(text: string, visit: (token: string) => void): void {
  forEachTokenSpan(text, (s, start, end) => visit(s.slice(start, end)))
}

/** Lowercased words of `text`, in order. */
export function tokenize(text: string): string[] {
  const out: string[] = []
  forEachToken(text, (t) => out.push(t))
  return out
}

export interface AnalyzeOptions {
  /** Keep English stopwords (used when a query has nothing else). */
  readonly keepStopwords?: boolean
}

/** A token's term: possessive dropped, stemmed; `''` for a stopword unless kept. */
export function termOf(token: string, options: AnalyzeOptions = {}): string {
  let t = token
  if (t.endsWith("'s") || t.endsWith('\u2019s')) t = t.slice(0, -2)
  if (t === '' || (!options.keepStopwords && ENGLISH_STOPWORDS.has(t))) return ''
  return porterStem(t)
}

/**
 * Index terms of `text`: tokens → possessive removed → stopwords removed → Porter stems.
 * `memo` (token → term) may be shared across the texts of one request, with the same options:
 * a batch of documents repeats the same words, and stemming dominates the cost otherwise.
 */
export function analyze(text: string, memo: Map<string, string> = new Map(), options: AnalyzeOptions = {}): string[] {
  const terms: string[] = []
  forEachToken(text, (token) => {
    let term = memo.get(token)
    if (term === undefined) {
      term = termOf(token, options)
      memo.set(token, term)
    }
    if (term !== '') terms.push(term)
  })
  return terms
}
