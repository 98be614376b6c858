/**
 * @module fold-text
 * Case and accent folding of non-ASCII text for the lexical scorer, in the manner of Lucene's
 * ICUFoldingFilter (Unicode TR #30, "Character Foldings": case folding, diacritic removal,
 * compatibility and width folding), so that "Café" matches "cafe", "STRASSE" "Straße", "İstanbul"
 * "istanbul" and full-width letters ASCII ones:
 * 1. NFKC, then `toLowerCase`: compatibility forms (full-width, ligatures, 𝐀) become plain letters;
 * 2. each run of non-ASCII characters, with the character before it (the base of a leading mark),
 *    is decomposed (NFD: é → e + U+0301). "İ" lowercases to i + U+0307;
 * 3. the full case folds `toLowerCase` leaves (Unicode CaseFolding.txt, status F and C: ß → ss,
 *    final ς → σ), and letters with a stroke and ligatures that no decomposition reaches, as
 *    Lucene's ASCIIFoldingFilter folds them (ø → o, ł → l, đ → d, ħ → h, æ → ae, œ → oe);
 * 4. combining marks removed from Latin, Greek and Cyrillic letters only (café → cafe, résumé →
 *    resume, ё → е, the dot of i + U+0307), as ASCIIFoldingFilter does for Latin. In Thai,
 *    Devanagari, Arabic and other scripts a mark is often a vowel of the word, and stays;
 *    emoji variation selectors go too ("❤️" is "❤" drawn in colour);
 * 5. NFC, so what remains is composed again (Hangul syllables, which NFD splits into jamo).
 * Steps 2–5 on the non-ASCII runs alone give the same text as on the whole (NFD and NFC act within
 * a base letter and its marks) at a fraction of the cost: most non-ASCII passages are mostly ASCII.
 * Folding loses distinctions (Spanish "año"/"ano"), as any accent-insensitive search does; the
 * scorer only ranks the request's own documents, so a looser match costs little.
 */

const FOLDS: Readonly<Record<string, string>> = { ß: 'ss', ς: 'σ', ø: 'o', ł: 'l', đ: 'd', ħ: 'h', æ: 'ae', œ: 'oe' }
const FOLDED = /[ßςøłđħæœ]/
const FOLDED_ALL = /[ßςøłđħæœ]/g
const NON_ASCII_RUN = /[\x00-\x7f]?[^\x00-\x7f]+/g
const MARKS = /\p{M}+/gu
const ACCENTED_SCRIPT = /^[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}]$/u
const VARIATION_SELECTORS = /[\uFE0E\uFE0F]/g
/**
 * What the mark and NFC passes act on: a combining mark (variation selectors are marks too), or a
 * Hangul conjoining jamo (letters, not marks, that NFC recomposes).
 */
const COMPOSABLE = /[\p{M}\u1100-\u11FF]/u

/** The marks at `offset` of `s` if their base letter is Latin, Greek or Cyrillic: dropped. */
function dropAccents(marks: string, offset: number, s: string): string {
  if (offset === 0) return marks
  const unit = s.charCodeAt(offset - 1)
  const base = unit >= 0xdc00 && unit <= 0xdfff && offset >= 2 ? s.slice(offset - 2, offset) : s.charAt(offset - 1)
  return ACCENTED_SCRIPT.test(base) ? '' : marks
}

function foldRun(run: string): string {
  let r = run.normalize('NFD')
  if (FOLDED.test(r)) r = r.replace(FOLDED_ALL, (ch) => FOLDS[ch] ?? ch)
  if (COMPOSABLE.test(r)) r = r.replace(MARKS, dropAccents).replace(VARIATION_SELECTORS, '').normalize('NFC')
  return r
}

/** Folded, lowercased `text` (see the module comment); ASCII text needs only `toLowerCase`. */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(NON_ASCII_RUN, foldRun)
}
