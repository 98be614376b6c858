/**
 * README: "each template also in Chinese". Every English built-in has a `-zh` twin in Chinese
 * wording that takes the same variables, so switching language never changes a call's shape.
 */
import { describe, expect, it } from 'vitest'
import { BUILTIN_TEMPLATE_DEFINITIONS } from './builtins'

describe('built-in templates in Chinese', () => {
  it('every English template has a -zh twin with the same variables', () => {
    const byId = new Map(BUILTIN_TEMPLATE_DEFINITIONS.map((t) => [t.id, t]))
    const english = BUILTIN_TEMPLATE_DEFINITIONS.filter((t) => t.language === 'en')
    expect(english.length).toBeGreaterThanOrEqual(9)
    const missing = english.filter((t) => byId.get(`${t.id}-zh`)?.language !== 'zh').map((t) => t.id)
    expect(missing).toEqual([])
    for (const t of english) {
      const zh = byId.get(`${t.id}-zh`)
      expect(Object.keys(zh?.variables ?? {}).sort(), t.id).toEqual(Object.keys(t.variables ?? {}).sort())
      expect(zh?.text, t.id).toMatch(/[\u4e00-\u9fff]/u)
    }
  })
})
