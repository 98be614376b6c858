import { describe, expect, it } from 'vitest'
import { headerTextProblem } from './header-text'

describe('headerTextProblem', () => {
  it.each([
    ['ASCII', 'user-42'],
    ['decoded UTF-8', 'José'],
    ['CJK and emoji', '用户 🎉'],
    ['an inner tab (RFC 9110 allows HTAB)', 'a\tb'],
  ])('takes %s', (_name, value) => {
    expect(headerTextProblem(value)).toBeUndefined()
  })

  it.each([
    ['U+FFFD (a byte that was not UTF-8)', 'Jos\uFFFD', /U\+FFFD.*UTF-8/u],
    ['a C0 control', 'Jos\u0001', /control character/u],
    ['DEL', 'Jos\u007f', /control character/u],
    ['a line feed', 'a\nb', /control character/u],
  ])('refuses %s', (_name, value, message) => {
    expect(headerTextProblem(value)).toMatch(message)
  })
})
