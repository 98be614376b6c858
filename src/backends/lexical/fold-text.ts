/**
 * @module fold-text
 * Case and accent folding of non-ASCII text for the lexical scorer, in the manner of Lucene's
 * ICUFoldingFilter (Unicode TR #30, "Character Foldings": case folding, diacritic removal,
 * compatibility and width folding), so that "Café" matches "cafe", "STRASSE" "Straße", "İstanbul"
 * "istanbul" and full-width letters ASCII ones:
 * 1. NFKC, then `toLowerCase`: compatibility forms (full-width, ligatures, 𝐀) become plain letters;
 * 2. each non-ASCII character is decomposed (NFD: é → e + U+0301). "İ" lowercases to i + U+0307;
 * 3. the full case folds `toLowerCase` leaves (Unicode CaseFolding.txt, status F and C: ß → ss,
 *    final ς → σ), and letters with a stroke and ligatures that no decomposition reaches, as
 *    Lucene's ASCIIFoldingFilter folds them (ø → o, ł → l, đ → d, ħ → h, æ → ae, œ → oe);
 * 4. combining marks removed from Latin, Greek and Cyrillic letters only (café → cafe, résumé →
 *    resume, ё → е, the dot of i + U+0307), as ASCIIFoldingFilter does for Latin. In Thai,
 *    Devanagari, Arabic and other scripts a mark is often a vowel of the word, and stays;
 *    emoji variation selectors go too ("❤️" is "❤" drawn in colour);
 * 5. NFC, so what remains is composed again (Hangul syllables, which NFD splits into jamo).
 * Steps 2–5 character by character give the same text as on the whole (NFD and NFC act within a
 * base letter and its marks; the tests check it on random text), and each character's fold is
 * computed once (`foldOf`).
 * Folding loses distinctions (Spanish "año"/"ano"), as any accent-insensitive search does; the
 * scorer only ranks the request's own documents, so a looser match costs little.
 */

const FOLDS: Readonly<Record<string, string>> = { ß: 'ss', ς: 'σ', ø: 'o', ł: 'l', đ: 'd', ħ: 'h', æ: 'ae', œ: 'oe' }
const FOLDED_ALL = /[ßςøłđħæœ]/g
const MARK = /^\p{M}$/u
const MARKS = /\p{M}+/gu
const ACCENTED_SCRIPT = /^[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}]$/u
const VARIATION_SELECTORS = /[\uFE0E\uFE0F]/g

/** The marks at `offset` of `s` if their base letter is Latin, Greek or Cyrillic: dropped. */
function dropAccents(marks: string, offset: number, s: string): string {
  if (offset === 0) return marks
  const unit = s.charCodeAt(offset - 1)
  const base = unit >= 0xdc00 && unit <= 0xdfff && offset >= 2 ? s.slice(offset - 2, offset) : s.charAt(offset - 1)
  return ACCENTED_SCRIPT.test(base) ? '' : marks
}

/** Steps 2–5 on one character that is not a mark (a precomposed letter folds to its base). */
function foldCharacter(ch: string): string {
  return ch
    .normalize('NFD')
    .replace(FOLDED_ALL, (c) => FOLDS[c] ?? c)
    .replace(MARKS, dropAccents)
    .replace(VARIATION_SELECTORS, '')
    .normalize('NFC')
}

const isAsciiLetter = (u: number): boolean => (u >= 0x61 && u <= 0x7a) || (u >= 0x41 && u <= 0x5a)
const isVariationSelector = (cp: number): boolean => cp === 0xfe0e || cp === 0xfe0f

// A code point's fold as one number: its kind, whether it is Latin, Greek or Cyrillic (a mark
// after it is an accent), and for KIND_ONE the code point it folds to (bits 0–20).
const KIND_SAME = 1 << 21
const KIND_ONE = 2 << 21
const KIND_OTHER = 3 << 21 // folds to several code points: OTHER_FOLDS
const KIND_MARK = 4 << 21
const KIND_MASK = 7 << 21
const ACCENTED = 1 << 24
const CODE_POINT = 0x1fffff

function computeFold(cp: number, otherFolds: Map<number, string>): number {
  const ch = String.fromCodePoint(cp)
  const accented = ACCENTED_SCRIPT.test(ch) ? ACCENTED : 0
  if (MARK.test(ch)) return KIND_MARK | accented
  const folded = foldCharacter(ch)
  if (folded === ch) return KIND_SAME | accented
  const first = folded.codePointAt(0) ?? 0
  if (folded.length === (first > 0xffff ? 2 : 1)) return KIND_ONE | accented | first
  otherFolds.set(cp, folded)
  return KIND_OTHER | accented
}

// Memos of a pure function, filled on first sight and kept for the isolate's life, like the
// tokenizer's character classes: folding then costs one lookup per character, where normalising
// and matching each run of non-ASCII text cost ten times the old NFKC pass on accented text and
// twice it on Chinese. BMP in a typed array (0: not yet), astral in a map of numbers (as
// tokenize.ts's ASTRAL_CLASS), multi-character folds (a fixed, small set: ß, æ…) as strings.
const BMP_FOLDS = new Uint32Array(0x10000)
const ASTRAL_FOLDS = new Map<number, number>()
const OTHER_FOLDS = new Map<number, string>()

function foldOf(cp: number): number {
  if (cp <= 0xffff) {
    let v = BMP_FOLDS[cp] ?? 0
    if (v === 0) {
      v = computeFold(cp, OTHER_FOLDS)
      BMP_FOLDS[cp] = v
    }
    return v
  }
  let v = ASTRAL_FOLDS.get(cp)
  if (v === undefined) {
    v = computeFold(cp, OTHER_FOLDS)
    ASTRAL_FOLDS.set(cp, v)
  }
  return v
}

/** Folded, lowercased `text` (see the module comment); ASCII text needs only `toLowerCase`. */
export function foldText(text: string): string {
  const s = text.normalize('NFKC').toLowerCase()
  const n = s.length
  // Most text has nothing to fold (ASCII, Chinese, plain letters): find the first unit that does.
  let i = 0
  let afterAccented = false // the last character that is not a mark was Latin, Greek or Cyrillic
  for (; i < n; i++) {
    const u = s.charCodeAt(i)
    if (u < 0x80) afterAccented = isAsciiLetter(u)
    else if (u >= 0xd800 && u <= 0xdfff) break // astral: the general loop below
    else {
      const v = foldOf(u)
      const kind = v & KIND_MASK
      if (kind === KIND_SAME) afterAccented = (v & ACCENTED) !== 0
      else if (kind !== KIND_MARK || afterAccented || isVariationSelector(u)) break
    }
  }
  if (i === n) return s
  const units: number[] = []
  // A variation selector dropped from between two characters may let them compose (Hangul jamo).
  let composeAgain = false
  for (let k = 0; k < i; k++) units.push(s.charCodeAt(k))
  while (i < n) {
    const u = s.charCodeAt(i)
    if (u < 0x80) {
      afterAccented = isAsciiLetter(u)
      units.push(u)
      i++
      continue
    }
    const cp = u >= 0xd800 && u <= 0xdbff ? (s.codePointAt(i) ?? u) : u
    const width = cp > 0xffff ? 2 : 1
    const v = foldOf(cp)
    const kind = v & KIND_MASK
    if (kind === KIND_MARK) {
      if (!afterAccented && !isVariationSelector(cp)) for (let k = i; k < i + width; k++) units.push(s.charCodeAt(k))
      else if (!afterAccented) composeAgain = true
    } else {
      afterAccented = (v & ACCENTED) !== 0
      const out = kind === KIND_ONE ? String.fromCodePoint(v & CODE_POINT) : kind === KIND_OTHER ? (OTHER_FOLDS.get(cp) ?? '') : s.slice(i, i + width)
      for (let k = 0; k < out.length; k++) units.push(out.charCodeAt(k))
    }
    i += width
  }
  const chunks: string[] = []
  for (let k = 0; k < units.length; k += 4096) chunks.push(String.fromCharCode(...units.slice(k, k + 4096)))
  const folded = chunks.join('')
  return composeAgain ? folded.normalize('NFC') : folded
}
