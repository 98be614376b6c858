import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { foldText } from './fold-text'
import { WORD_TOKEN, analyze, forEachTokenSpan, termOf, tokenize } from './tokenize'

describe('tokenize', () => {
  it('splits English into lowercase words, keeping apostrophes and number punctuation inside', () => {
    expect(tokenize("The Flea's life-cycle: 3.5 days, 1,000 eggs.Part of it; don't!")).toEqual([
      'the', "flea's", 'life', 'cycle', '3.5', 'days', '1,000', 'eggs', 'part', 'of', 'it', "don't",
    ])
  })

  it('segments Chinese into words with Intl.Segmenter', () => {
    expect(tokenize('我们喜欢北京的天气')).toEqual(['我们', '喜欢', '北京', '的', '天气'])
  })

  it('segments Japanese (kana present) and keeps mixed-script text apart', () => {
    const words = tokenize('私は東京でコーヒーを飲みました')
    expect(words).toContain('東京')
    expect(words).toContain('コーヒー')
    expect(tokenize('Visit 北京 now')).toEqual(['visit', '北京', 'now'])
  })

  it('folds case and accents (fold-text.ts), full-width forms and astral characters', () => {
    expect(tokenize('Café NAÏVE ＡＢＣ１２ Straße İstanbul')).toEqual(['cafe', 'naive', 'abc12', 'strasse', 'istanbul'])
    expect(tokenize('😀 x𝐀y')).toEqual(['😀', 'xay']) // 𝐀 (U+1D400) is NFKC-folded to "A"
  })

  it('makes each emoji (Extended_Pictographic) a token; selectors, ZWJ and skin tones are not', () => {
    expect(tokenize('I ❤️ 🍕! 👩‍💻 👍🏽')).toEqual(['i', '❤', '🍕', '👩', '💻', '👍'])
    expect(tokenize('pizza🍕party')).toEqual(['pizza', '🍕', 'party'])
  })

  it('returns nothing for empty or punctuation-only text', () => {
    expect(tokenize('')).toEqual([])
    expect(tokenize(' \n\t—…!?')).toEqual([])
  })

  it('the scanner agrees with the WORD_TOKEN specification on scripts written with spaces', () => {
    const alphabet = fc.constantFrom(...'aZé9 0.,\'’-_\nßΩж١'.split(''), '🍕', '❤', '\uFE0F', '\u200D', '🏽')
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        const text = chars.join('')
        const expected = [...foldText(text).matchAll(WORD_TOKEN)].map((m) => m[0])
        expect(tokenize(text)).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  }, 30_000)

  it('reports spans that slice to the tokens', () => {
    const spans: string[] = []
    forEachTokenSpan('Hello, World', (s, start, end) => spans.push(s.slice(start, end)))
    expect(spans).toEqual(['hello', 'world'])
  })
})

describe('analyze', () => {
  it('drops possessives and stopwords, then Porter-stems', () => {
    expect(analyze("How long is the life cycle of a flea's eggs?")).toEqual(['how', 'long', 'life', 'cycl', 'flea', 'egg'])
  })

  it('keeps stopwords when asked', () => {
    expect(analyze('to be or not to be', new Map(), { keepStopwords: true })).toEqual(['to', 'be', 'or', 'not', 'to', 'be'])
    expect(analyze('to be or not to be')).toEqual([])
  })

  it('leaves Chinese words unstemmed', () => {
    expect(analyze('我们喜欢北京的天气')).toEqual(['我们', '喜欢', '北京', '的', '天气'])
  })

  it('termOf maps a stopword to the empty term', () => {
    expect(termOf('the')).toBe('')
    expect(termOf("it's")).toBe('')
    expect(termOf('running')).toBe('run')
  })
})
