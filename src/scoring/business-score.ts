/**
 * @module scoring/business-score
 * The business component of fusion: declared boost rules over a document's `fields` and `source`,
 * folded into one score in [0, 1] plus the names of the rules that fired (for `explain`).
 *
 * Rules (request `fusion.boosts`, or a template's `boosts`):
 *  - condition rule: `{ name?, when: { field, <ops> }, add }`; `add` may be negative (a demotion).
 *    Ops, all of which must hold (AND): `equals`, `not_equals`, `in` (strict `===` on the JSON value,
 *    so the string "1" ≠ the number 1), `gt`/`gte`/`lt`/`lte` (numbers only: a string never compares),
 *    `exists` (true: the field is present; false: absent). A field that is absent fails every op
 *    except `exists: false`. `field: "$source"` tests the document's `source` instead of a field.
 *  - authority order: `{ name?, source_order: [most, …, least], add? }`: a document whose `source`
 *    is the i-th (0-based) of n entries earns `add × (n − i) / n`, so the order maps to descending
 *    points and a listed source always beats an unlisted one (0). `add` defaults to 0.1.
 *    Sources match exactly (case-sensitive): they are operator-controlled identifiers.
 *
 * Normalisation ("scores normalised so weights mean what they say"): raw = Σ points of the rules that
 * fired; the score is (raw − min) / (max − min), where max = Σ of positive `add`s and min = Σ of
 * negative ones (every boost fired, every demotion fired), then clamped to [0, 1] against rounding.
 * The bounds come from the rules alone, never from the other documents of the batch, so a document's
 * business score does not depend on what it is ranked with (reordering or adding documents cannot
 * change it). When no rule can move the score (no rules, or all `add` = 0) the component is inactive
 * and fusion gives its weight to the other components (see fusion.ts).
 */
import { z } from 'zod'
import { fieldNameSchema, fieldValueSchema, type FieldValue, type StructuredDocument } from '../documents/document'

/** The pseudo-field naming the document's `source` in a condition. */
const SOURCE_FIELD = '$source'

const ruleNameSchema = z
  .string()
  .min(1, { error: 'expected a rule name of 1–64 characters' })
  .max(64, { error: 'expected a rule name of 1–64 characters' })

const addSchema = z
  .number({ error: 'expected a number between -1 and 1' })
  .min(-1, { error: 'expected a number between -1 and 1' })
  .max(1, { error: 'expected a number between -1 and 1' })

const CONDITION_OPS = ['equals', 'not_equals', 'in', 'gt', 'gte', 'lt', 'lte', 'exists'] as const

const numberOp = z.number({ error: 'expected a finite number' }).finite({ error: 'expected a finite number' })

const boostConditionSchema = z
  .strictObject({
    field: z.union([fieldNameSchema, z.literal(SOURCE_FIELD)], {
      error: `expected a field name or "${SOURCE_FIELD}"`,
    }),
    equals: fieldValueSchema.optional(),
    not_equals: fieldValueSchema.optional(),
    in: z.array(fieldValueSchema).min(1, { error: 'expected a non-empty array' }).max(100).optional(),
    gt: numberOp.optional(),
    gte: numberOp.optional(),
    lt: numberOp.optional(),
    lte: numberOp.optional(),
    exists: z.boolean({ error: 'expected true or false' }).optional(),
  })
  .refine((c) => CONDITION_OPS.some((op) => c[op] !== undefined), {
    error: `expected at least one of ${CONDITION_OPS.join(', ')}`,
  })


/**
 * One boost rule: either a condition rule (`when` + `add`) or an authority order (`source_order`).
 * A single object schema (not a union) so a wrong rule gets a field-level error
 * (`fusion.boosts[0].when.gte: expected a finite number`) rather than zod's generic "invalid union".
 */
export const boostRuleSchema = z
  .strictObject({
    name: ruleNameSchema.optional(),
    when: boostConditionSchema.optional(),
    add: addSchema.optional(),
    source_order: z
      .array(z.string().min(1, { error: 'expected a non-empty source name' }))
      .min(1, { error: 'expected a non-empty array of sources, most authoritative first' })
      .max(64, { error: 'expected at most 64 sources' })
      .refine((a) => new Set(a).size === a.length, { error: 'expected each source once' })
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.when !== undefined && r.source_order !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['source_order'], message: 'give either "when" + "add" or "source_order", not both' })
    } else if (r.when === undefined && r.source_order === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'expected a rule { "when": { "field", … }, "add" } or { "source_order": [most, …, least] }',
      })
    } else if (r.when !== undefined && r.add === undefined) {
      ctx.addIssue({ code: 'custom', path: ['add'], message: 'expected a number between -1 and 1 (points added when the rule fires)' })
    }
  })

export const boostRulesSchema = z.array(boostRuleSchema).max(50, { error: 'expected at most 50 boost rules' })

export type BoostRule = z.output<typeof boostRuleSchema>
export type BoostCondition = z.output<typeof boostConditionSchema>

/** Default points of an authority order's first source. */
const DEFAULT_SOURCE_ORDER_ADD = 0.1

export interface BusinessScore {
  /** In [0, 1] (see module doc); 0 when inactive. */
  score: number
  /** False when the rules cannot move the score (no rules, or all `add` = 0): fusion then ignores it. */
  active: boolean
  /** Names of the rules that fired, in rule order. */
  fired: string[]
  /** Points each fired rule contributed (before normalisation), parallel to `fired`. */
  points: number[]
}

/** The business score of one document under `rules` (module doc). Pure; rules must be validated. */
export function businessScore(doc: StructuredDocument, rules: readonly BoostRule[]): BusinessScore {
  const { min, max } = businessBounds(rules)
  const fired: string[] = []
  const points: number[] = []
  let raw = 0
  for (const rule of rules) {
    const p = rulePoints(doc, rule)
    if (p === undefined) continue
    fired.push(ruleName(rule))
    points.push(p)
    raw += p
  }
  if (!(max > min)) return { score: 0, active: false, fired, points }
  const score = (raw - min) / (max - min)
  return { score: score > 1 ? 1 : score >= 0 ? score : 0, active: true, fired, points }
}

/** The lowest and highest raw sums the rules allow (every demotion / every boost firing). */
export function businessBounds(rules: readonly BoostRule[]): { min: number; max: number } {
  let min = 0
  let max = 0
  for (const rule of rules) {
    const add = ruleAdd(rule)
    if (add > 0) max += add
    else min += add
  }
  return { min, max }
}

/** The rule's name, or a readable one derived from it (`sales >= 1000`, `$source in [court, ministry]`). */
export function ruleName(rule: BoostRule): string {
  if (rule.name !== undefined) return rule.name
  if (rule.source_order !== undefined) return 'source_order'
  const c = rule.when
  if (c === undefined) return 'rule'
  const parts: string[] = []
  const show = (v: FieldValue): string => (typeof v === 'string' ? JSON.stringify(v) : String(v))
  if (c.equals !== undefined) parts.push(`= ${show(c.equals)}`)
  if (c.not_equals !== undefined) parts.push(`!= ${show(c.not_equals)}`)
  if (c.in !== undefined) parts.push(`in [${c.in.map(show).join(', ')}]`)
  if (c.gt !== undefined) parts.push(`> ${c.gt}`)
  if (c.gte !== undefined) parts.push(`>= ${c.gte}`)
  if (c.lt !== undefined) parts.push(`< ${c.lt}`)
  if (c.lte !== undefined) parts.push(`<= ${c.lte}`)
  if (c.exists !== undefined) parts.push(c.exists ? 'exists' : 'is absent')
  return `${c.field} ${parts.join(' and ')}`
}

function ruleAdd(rule: BoostRule): number {
  return rule.source_order !== undefined ? (rule.add ?? DEFAULT_SOURCE_ORDER_ADD) : (rule.add ?? 0)
}

/** Points the rule gives `doc`, or `undefined` when it does not fire. */
function rulePoints(doc: StructuredDocument, rule: BoostRule): number | undefined {
  const add = ruleAdd(rule)
  if (rule.source_order !== undefined) {
    if (doc.source === undefined) return undefined
    const i = rule.source_order.indexOf(doc.source)
    if (i < 0) return undefined
    const n = rule.source_order.length
    return (add * (n - i)) / n
  }
  if (rule.when === undefined) return undefined
  return conditionHolds(doc, rule.when) ? add : undefined
}

/** Whether every op of the condition holds for `doc` (module doc semantics). */
function conditionHolds(doc: StructuredDocument, c: BoostCondition): boolean {
  const value: FieldValue | undefined =
    c.field === SOURCE_FIELD
      ? doc.source
      : doc.fields !== undefined && Object.hasOwn(doc.fields, c.field)
        ? doc.fields[c.field]
        : undefined
  if (value === undefined) return c.exists === false && CONDITION_OPS.every((op) => op === 'exists' || c[op] === undefined)
  if (c.exists === false) return false
  if (c.equals !== undefined && value !== c.equals) return false
  if (c.not_equals !== undefined && value === c.not_equals) return false
  if (c.in !== undefined && !c.in.includes(value)) return false
  const isNum = typeof value === 'number'
  if (c.gt !== undefined && !(isNum && value > c.gt)) return false
  if (c.gte !== undefined && !(isNum && value >= c.gte)) return false
  if (c.lt !== undefined && !(isNum && value < c.lt)) return false
  if (c.lte !== undefined && !(isNum && value <= c.lte)) return false
  return true
}
