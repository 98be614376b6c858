/**
 * @module templates/variables
 * Typed template variables: their declaration schema, value checking (with messages that say what is
 * expected) and deterministic rendering into instruction text.
 *
 * Value rules (so one meaning has one rendering, and cache keys stay stable):
 *  - `string`: a single line (control characters and Unicode line breaks, `\n` and U+2028 included,
 *    are refused, lib/single-line.ts: a line break could
 *    fake the reranker prompt's `<Query>:` / `<Document>:` lines); trimmed; not empty.
 *  - `number` / `integer`: finite; a plain decimal string ("2024", "0.5") is accepted and converted,
 *    for form-based clients; rendered with `String()` (no locale grouping).
 *  - `boolean`: true/false (or "true"/"false"); rendered as `true` / `false`.
 *  - `string[]`: a non-empty array of such strings, joined in the given order with the variable's
 *    `separator` (default ", ").
 */
import { z } from 'zod'
import { breaksLine } from '../lib/single-line'

export const VARIABLE_TYPES = ['string', 'number', 'integer', 'boolean', 'string[]'] as const
export type VariableType = (typeof VARIABLE_TYPES)[number]

/** A variable name: starts with a letter (so `__proto__` and friends can never be one). */
export const variableNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { error: 'expected a variable name: a letter, then up to 63 letters, digits or "_"' })

export type VariableValue = string | number | boolean | string[]

const variableValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])

export const variableSpecSchema = z.strictObject({
  type: z.enum(VARIABLE_TYPES, { error: `expected one of ${VARIABLE_TYPES.join(', ')}` }),
  description: z.string().min(1).max(300),
  default: variableValueSchema.optional(),
  required: z.boolean().optional(),
  /** number / integer: inclusive bounds. */
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
  /** string, and each item of string[]: the most characters (code points). */
  maxLength: z.number().int().min(1).max(2000).optional(),
  /** string[]: the most items. */
  maxItems: z.number().int().min(1).max(200).optional(),
  /** string, and each item of string[]: the allowed values. */
  enum: z.array(z.string().min(1)).min(1).max(100).optional(),
  /** string[]: what joins the items (", " by default; " > " for an authority order). */
  separator: z.string().max(10).optional(),
})

export type VariableSpec = z.output<typeof variableSpecSchema>

export type CheckResult = { ok: true; value: VariableValue } | { ok: false; message: string }

const DECIMAL_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/

/** Checks and normalises one value against its declaration (module doc rules). */
export function checkValue(spec: VariableSpec, value: unknown): CheckResult {
  const fail = (): CheckResult => ({ ok: false, message: `${describeExpected(spec)}, got ${describeGot(value)}` })
  switch (spec.type) {
    case 'string': {
      const s = checkString(spec, value)
      return s === undefined ? fail() : { ok: true, value: s }
    }
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL_RE.test(value) ? Number(value) : NaN
      if (!Number.isFinite(n)) return fail()
      if (spec.type === 'integer' && !Number.isInteger(n)) return fail()
      if (spec.min !== undefined && n < spec.min) return fail()
      if (spec.max !== undefined && n > spec.max) return fail()
      // -0 and 0 render the same; keep one value so normalised vars compare equal too.
      return { ok: true, value: n === 0 ? 0 : n }
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value }
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' }
      return fail()
    }
    case 'string[]': {
      if (!Array.isArray(value) || value.length === 0) return fail()
      if (spec.maxItems !== undefined && value.length > spec.maxItems) return fail()
      const out: string[] = []
      for (const item of value) {
        const s = checkString(spec, item)
        if (s === undefined) {
          return { ok: false, message: `${describeExpected(spec)}, got ${describeGot(item)} at item ${out.length}` }
        }
        out.push(s)
      }
      return { ok: true, value: out }
    }
  }
}

function checkString(spec: VariableSpec, value: unknown): string | undefined {
  if (typeof value !== 'string' || breaksLine(value)) return undefined
  const s = value.trim()
  if (s === '') return undefined
  if (spec.maxLength !== undefined && Array.from(s).length > spec.maxLength) return undefined
  if (spec.enum !== undefined && !spec.enum.includes(s)) return undefined
  return s
}

/** What a valid value looks like: "expected integer ≥ 0", "expected one of \"a\", \"b\"", … */
export function describeExpected(spec: VariableSpec): string {
  const range = (): string =>
    spec.min !== undefined && spec.max !== undefined
      ? ` between ${spec.min} and ${spec.max}`
      : spec.min !== undefined
        ? ` ≥ ${spec.min}`
        : spec.max !== undefined
          ? ` ≤ ${spec.max}`
          : ''
  switch (spec.type) {
    case 'string': {
      if (spec.enum !== undefined) return `expected one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}`
      const len = spec.maxLength !== undefined ? ` of at most ${spec.maxLength} characters` : ''
      return `expected non-empty single-line string${len}`
    }
    case 'number':
      return `expected number${range()}`
    case 'integer':
      return `expected integer${range()}`
    case 'boolean':
      return 'expected true or false'
    case 'string[]': {
      const rules: string[] = []
      if (spec.maxItems !== undefined) rules.push(`at most ${spec.maxItems} items`)
      if (spec.enum !== undefined) rules.push(`each one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}`)
      else if (spec.maxLength !== undefined) rules.push(`each single-line, 1–${spec.maxLength} characters`)
      else rules.push('each non-empty and single-line')
      return `expected non-empty array of strings (${rules.join('; ')})`
    }
  }
}

/** A short, safe rendering of a received value for an error message. */
function describeGot(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') {
    const chars = Array.from(value)
    return JSON.stringify(chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : value)
  }
  return String(value)
}

/** The text a checked value renders as (module doc). */
export function renderValue(spec: VariableSpec, value: VariableValue): string {
  if (Array.isArray(value)) return value.join(spec.separator ?? ', ')
  return String(value)
}
