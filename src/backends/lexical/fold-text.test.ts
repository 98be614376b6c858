import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { foldText } from './fold-text'

/** The folding as the module comment specifies it, on the whole text at once. */
function reference(text: string): string {
  const folds: Record<string, string> = { ß: 'ss', ς: 'σ', ø: 'o', ł: 'l', đ: 'd', ħ: 'h', æ: 'ae', œ: 'oe' }
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[ßςøłđħæœ]/g, (ch) => folds[ch] ?? ch)
    .replace(/([\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}])\p{M}+/gu, '$1')
    .replace(/[\uFE0E\uFE0F]/g, '')
    .normalize('NFC')
}

describe('foldText', () => {
  it('folds case fully: ß and ẞ to ss, İ to i, final sigma to sigma', () => {
    expect(foldText('Straße')).toBe(foldText('STRASSE'))
    expect(foldText('GROẞ')).toBe('gross')
    expect(foldText('İstanbul')).toBe('istanbul')
    expect(foldText('ΟΔΟΣ Οδός οδοσ')).toBe('οδοσ οδοσ οδοσ')
  })

  it('removes accents from Latin, Greek and Cyrillic letters, and folds strokes and ligatures', () => {
    expect(foldText('Café au lait, résumé, NAÏVE, Việt Nam')).toBe('cafe au lait, resume, naive, viet nam')
    expect(foldText('Ёлка ΐ')).toBe('елка ι')
    expect(foldText('Søren Æsir Łódź Œuvre đ ħ')).toBe('soren aesir lodz oeuvre d h')
    expect(foldText('ＡＢＣ１２ ﬁne x𝐀y')).toBe('abc12 fine xay') // compatibility forms (NFKC)
  })

  it('keeps marks that are vowels of other scripts, and Hangul composed', () => {
    for (const w of ['नमस्ते', 'كَتَبَ', 'ภาษาไทย', '한국어', 'தமிழ்']) expect(foldText(w)).toBe(w.normalize('NFC'))
  })

  it('drops emoji variation selectors', () => {
    expect(foldText('I ❤️ 🍕\uFE0E')).toBe('i ❤ 🍕')
  })

  it('folding character by character equals folding the whole text (property)', () => {
    const alphabet = fc.constantFrom(...['a', 'E', 'é', 'e\u0301', '\u0308', 'İ', 'ı', 'ß', 'ẞ', 'Σ', 'ς', 'Ο', 'ø', 'Ł', 'Æ', 'ё', '한', 'ᄀ', 'ᅡ', 'ก', '\u0E31', 'न', '\u093F', 'ك', '\u064E', '❤', '\uFE0F', '😀', 'Ａ', 'ﬁ', ' ', '1', '.'])
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }), (chars) => {
        const text = chars.join('')
        expect(foldText(text)).toBe(reference(text))
      }),
      { numRuns: 3000 },
    )
  }, 30_000)
})
