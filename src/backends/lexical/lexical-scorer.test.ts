import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HALF_SCORE, rawLexicalScores, scoreLexical, toUnit } from './lexical-scorer'

const FRANCE = [
  'Bananas are yellow fruit rich in potassium.',
  'The Eiffel Tower is in Paris, the capital of France.',
  'Paris is the capital and largest city of France.',
  'Tokyo is the capital of Japan.',
  'A recipe for banana bread.',
]

function argmax(xs: readonly number[]): number {
  return xs.reduce((best, x, i) => (x > (xs[best] ?? -1) ? i : best), 0)
}

describe('scoreLexical', () => {
  it('ranks the documents that match the query first', () => {
    const s = scoreLexical('capital of France', FRANCE)
    expect([1, 2]).toContain(argmax(s))
    expect(s[3]).toBeLessThan(Math.min(s[1] ?? 0, s[2] ?? 0)) // "capital" alone
    expect(s[0]).toBe(0)
    expect(s[4]).toBe(0)
  })

  it('matches across inflections (stemming) and ignores case', () => {
    const s = scoreLexical('Running shoes', ['He runs in his new shoe.', 'A pair of boots.'])
    expect(s[0]).toBeGreaterThan(0)
    expect(s[1]).toBe(0)
  })

  it('prefers a document holding the query words together', () => {
    const s = scoreLexical('solar panel efficiency', [
      'Solar panel efficiency depends on temperature and angle.',
      'The panel discussed efficiency targets; solar power was not mentioned until later in the day.',
    ])
    expect(s[0]).toBeGreaterThan(s[1] ?? 1)
  })

  it('down-weights question words against topic words', () => {
    const s = scoreLexical('what is a flea', ['What is this? What is that?', 'A flea is a small insect.'])
    expect(s[1]).toBeGreaterThan(s[0] ?? 1)
  })

  it('matches across case and accents: cafe/café, resume/résumé, Straße/STRASSE, İstanbul/istanbul', () => {
    for (const [query, match] of [
      ['cafe', 'Café au lait'],
      ['resume', 'Send your résumé'],
      ['Straße', 'STRASSE 12'],
      ['İstanbul', 'flights to istanbul'],
      ['ΟΔΟΣ', 'μια οδός'],
    ] as const) {
      const s = scoreLexical(query, [match, 'nothing in common'])
      expect(s[0], `${query} vs ${match}`).toBeGreaterThan(0)
      expect(s[1]).toBe(0)
    }
  })

  it('matches an emoji', () => {
    const s = scoreLexical('🍕', ['🍕 tonight?', 'pizza tonight?'])
    expect(s[0]).toBeGreaterThan(0)
    expect(s[1]).toBe(0)
  })

  it('ranks Chinese by segmented words', () => {
    const s = scoreLexical('中国的首都是哪里', ['北京是中国的首都。', '今天的天气很好。', '上海是一个大城市。'])
    expect(argmax(s)).toBe(0)
  })

  it('scores 0 for an empty query, an empty document, and returns [] for no documents', () => {
    expect(scoreLexical('', ['anything'])).toEqual([0])
    expect(scoreLexical('   !!! ', ['anything'])).toEqual([0])
    expect(scoreLexical('query', [''])).toEqual([0])
    expect(scoreLexical('query', [])).toEqual([])
  })

  it('falls back to stopwords when the query has nothing else', () => {
    const s = scoreLexical('to be or not to be', ['To be, or not to be, that is the question.', 'A skull.'])
    expect(s[0]).toBeGreaterThan(0)
    expect(s[1]).toBe(0)
  })

  it('is monotone in the raw score, with the fixed map s/(s + HALF_SCORE)', () => {
    const docs = ['flea flea flea', 'a flea', 'flea life cycle', 'dog']
    const raw = rawLexicalScores('flea life cycle', docs)
    const unit = scoreLexical('flea life cycle', docs)
    unit.forEach((u, i) => expect(u).toBeCloseTo((raw[i] ?? 0) / ((raw[i] ?? 0) + HALF_SCORE), 15))
    expect(toUnit(HALF_SCORE)).toBe(0.5)
    expect(toUnit(0)).toBe(0)
    expect(toUnit(-1)).toBe(0)
    expect(toUnit(Number.NaN)).toBe(0)
    expect(toUnit(Number.POSITIVE_INFINITY)).toBe(1)
    expect(toUnit(1e300)).toBeLessThanOrEqual(1)
    expect(toUnit(2)).toBeLessThan(toUnit(3))
  })

  it('any strings → finite scores in [0, 1], one per document, deterministic (property)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.array(fc.constantFrom('flea', 'life', 'the', 'cycle', '北京', '的', 'ß', "'s", '3.5', ' ', '.'), { maxLength: 12 }).map((w) => w.join(' ')),
    )
    fc.assert(
      fc.property(text, fc.array(text, { maxLength: 8 }), (query, docs) => {
        const a = scoreLexical(query, docs)
        expect(a).toHaveLength(docs.length)
        for (const s of a) {
          expect(Number.isFinite(s)).toBe(true)
          expect(s).toBeGreaterThanOrEqual(0)
          expect(s).toBeLessThanOrEqual(1)
        }
        expect(scoreLexical(query, docs)).toEqual(a)
      }),
      { numRuns: 300 },
    )
  }, 30_000)

  it('does not depend on document order beyond the permutation', () => {
    const q = 'life cycle of a flea'
    const docs = ['A flea lives a year.', 'The life cycle of a flea has four stages.', 'Cats get fleas.']
    const s = scoreLexical(q, docs)
    const r = scoreLexical(q, [...docs].reverse())
    expect(r).toEqual([...s].reverse())
  })

  it('scores 1,000 documents of ~1 KB: one score each, in [0, 1], the same whatever the order', () => {
    const words = ['flea', 'life', 'cycle', 'egg', 'larva', 'pupa', 'adult', 'host', 'pet', 'dog', 'cat', 'the', 'of', 'and']
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed
    }
    const docs = Array.from({ length: 1000 }, () => {
      let d = ''
      while (d.length < 1000) d += `${words[next() % words.length]}${next() % 5 === 0 ? '. ' : ' '}`
      return d
    })
    // Speed is measured by a script (scripts/lexical-ndcg.ts), never by a timed test.
    const q = 'how long is the life cycle of a flea'
    const scores = scoreLexical(q, docs)
    expect(scores).toHaveLength(1000)
    for (const s of scores) {
      expect(Number.isFinite(s)).toBe(true)
      expect(s).toBeGreaterThanOrEqual(0)
      expect(s).toBeLessThanOrEqual(1)
    }
    expect(scoreLexical(q, [...docs].reverse())).toEqual([...scores].reverse())
    // The scores tell the documents apart (a constant scorer would pass the checks above).
    expect(new Set(scores).size).toBeGreaterThan(1)
  })
})
