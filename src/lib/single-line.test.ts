import { describe, expect, it } from 'vitest'
import { breaksLine, isSingleLine } from './single-line'

describe('single-line text', () => {
  it.each([
    ['a newline', 'a\nb'],
    ['a carriage return', 'a\rb'],
    ['a tab', 'a\tb'],
    ['NUL', 'a\u0000'],
    ['DEL', 'a\u007f'],
    ['NEL (U+0085)', 'a\u0085b'],
    ['another C1 control (U+009F)', 'a\u009fb'],
    ['LINE SEPARATOR (U+2028)', 'a\u2028b'],
    ['PARAGRAPH SEPARATOR (U+2029)', 'a\u2029b'],
  ])('%s breaks the line', (_name, s) => {
    expect(breaksLine(s)).toBe(true)
    expect(isSingleLine(s)).toBe(false)
  })

  it.each([['plain', 'in stock'], ['Chinese', '库存'], ['accents and symbols', 'prix (€) ≥ 10 · Ünïcode'], ['an emoji', 'new 🎉'], ['empty', '']])('%s stays on one line', (_name, s) => {
    expect(breaksLine(s)).toBe(false)
    expect(isSingleLine(s)).toBe(true)
  })
})
