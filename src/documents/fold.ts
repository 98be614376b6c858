/**
 * @module documents/fold
 * Metadata folding: renders a structured document's `published_at`, `source` and `fields` into the
 * text the reranker reads, so instructions such as "prefer documents from 2024 on" or "stock above 50"
 * have something to act on (Qwen3-Reranker sees only the text of `<Document>: …`).
 *
 * Layout: `[2024-03] [Source: X] <text> [stock: 127] [price: 9.9]` (en) or
 * `[2024-03] [来源: X] <text>【库存: 127件】` (zh), every part optional.
 *
 * Deterministic by construction: no clock, no locale-dependent formatting (numbers via `String()`,
 * names compared by UTF-16 code units, not `localeCompare`, whose order depends on the ICU build);
 * fields are emitted by name (or in the operator's explicit `fields` list order), never in the input
 * object's key order. A string document, or an object with no foldable metadata, folds to its `text`
 * byte for byte, so the cache keys of plain documents do not change when folding is switched on.
 */
import { z } from 'zod'
import { fieldNameSchema, toStructured, type DocumentInput, type FieldValue } from './document'
import { parseIsoDate } from './iso-date'
import { isSingleLine, SINGLE_LINE_ERROR } from '../lib/single-line'

// Labels, units and boolean words are written into the prompt's document line as they are.
const labelSchema = z.string().min(1).max(40).refine(isSingleLine, SINGLE_LINE_ERROR)

export const fieldLabelSchema = z.strictObject({
  /** Shown instead of the field name (`stock` → `库存`). */
  label: labelSchema.optional(),
  /** Appended to the value verbatim: `件` → `127件`, ` USD` → `9.9 USD`. */
  unit: z.string().max(20).refine(isSingleLine, SINGLE_LINE_ERROR).optional(),
})

export const foldingOptionsSchema = z.strictObject({
  /** Picks the default source label (`Source` / `来源`), bracket style and boolean words. */
  language: z.enum(['en', 'zh']).default('en'),
  /** Date prefix precision; `off` omits it. Month is the default: enough for recency instructions. */
  date: z.enum(['off', 'year', 'month', 'day']).default('month'),
  /** Whether to prefix `[Source: …]`. */
  source: z.boolean().default(true),
  /** Overrides the language's source label. */
  source_label: labelSchema.optional(),
  /** `all` (sorted by name), `off`, or an explicit list of field names (emitted in that order). */
  fields: z
    .union([z.literal('all'), z.literal('off'), z.array(fieldNameSchema).max(64)], {
      error: 'expected "all", "off" or an array of field names',
    })
    .default('all'),
  /** Per-field label and unit. */
  field_labels: z.record(fieldNameSchema, fieldLabelSchema).default({}),
  /** Words for boolean values; default `yes`/`no` (en), `是`/`否` (zh). */
  boolean_text: z.strictObject({ true: labelSchema, false: labelSchema }).optional(),
  /** Longer metadata values are cut to this many characters (code points) and end in `…`. */
  max_value_chars: z.number().int().min(1).max(1000).default(100),
})

export type FoldingOptions = z.output<typeof foldingOptionsSchema>
export type FoldingOptionsInput = z.input<typeof foldingOptionsSchema>

/** English, month precision, source and all fields on. */
export const DEFAULT_FOLDING: FoldingOptions = Object.freeze(foldingOptionsSchema.parse({}))

const LANG = {
  en: { sourceLabel: 'Source', open: ' [', close: ']', yes: 'yes', no: 'no' },
  zh: { sourceLabel: '来源', open: '【', close: '】', yes: '是', no: '否' },
} as const

/**
 * The text the model reads for `doc` under `options` (see module doc). Pure and total: metadata that
 * is absent, empty or unparsable (an invalid `published_at`) is simply not folded.
 */
export function foldDocument(doc: DocumentInput, options: FoldingOptions = DEFAULT_FOLDING): string {
  const p = foldDocumentParts(doc, options)
  return p.head + p.body + p.tail
}

/**
 * A folded document in three parts, `head + body + tail` being exactly `foldDocument`'s text:
 * the metadata prefix (with its separating space), the caller's text, and the field suffix. The
 * scorer cuts only `body` when a document is over its token budget, so the metadata survives.
 */
export interface FoldedDocument {
  head: string
  body: string
  tail: string
}

export function foldDocumentParts(doc: DocumentInput, options: FoldingOptions = DEFAULT_FOLDING): FoldedDocument {
  const d = toStructured(doc)
  const lang = LANG[options.language]
  const prefixes: string[] = []

  if (options.date !== 'off' && d.published_at !== undefined) {
    const date = formatDate(d.published_at, options.date)
    if (date !== undefined) prefixes.push(`[${date}]`)
  }
  if (options.source && d.source !== undefined) {
    const source = cleanValue(d.source, options.max_value_chars)
    if (source !== '') prefixes.push(`[${options.source_label ?? lang.sourceLabel}: ${source}]`)
  }

  let suffix = ''
  if (options.fields !== 'off' && d.fields !== undefined) {
    const fields = d.fields
    const names =
      options.fields === 'all'
        ? Object.keys(fields).sort(compareCodeUnits)
        : options.fields.filter((n, i, all) => Object.hasOwn(fields, n) && all.indexOf(n) === i)
    for (const name of names) {
      const raw = fields[name]
      if (raw === undefined) continue
      const value = formatValue(raw, options, lang)
      if (value === '') continue
      const spec = options.field_labels[name]
      suffix += `${lang.open}${spec?.label ?? name}: ${value}${spec?.unit ?? ''}${lang.close}`
    }
  }

  if (prefixes.length === 0 && suffix === '') return { head: '', body: d.text, tail: '' }
  const head = prefixes.join(' ')
  // en suffixes start with a space; drop it when there is nothing before it to separate from.
  const tail = head === '' && d.text === '' ? suffix.trimStart() : suffix
  return { head: head !== '' && d.text !== '' ? `${head} ` : head, body: d.text, tail }
}

/** Code-unit order: the same on every runtime, unlike `localeCompare`. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The calendar date as written in the string (not converted to UTC), cut to `granularity`. */
function formatDate(publishedAt: string, granularity: 'year' | 'month' | 'day'): string | undefined {
  const p = parseIsoDate(publishedAt)
  if (p === undefined) return undefined
  let out = String(p.year).padStart(4, '0')
  if (granularity === 'year' || p.month === undefined) return out
  out += `-${String(p.month).padStart(2, '0')}`
  if (granularity === 'month' || p.day === undefined) return out
  return `${out}-${String(p.day).padStart(2, '0')}`
}

function formatValue(v: FieldValue, options: FoldingOptions, lang: (typeof LANG)[keyof typeof LANG]): string {
  if (typeof v === 'boolean') {
    const words = options.boolean_text ?? { true: lang.yes, false: lang.no }
    return v ? words.true : words.false
  }
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : ''
  return cleanValue(v, options.max_value_chars)
}

/** Collapses whitespace and control characters (a newline would break the prompt's layout), trims, cuts. */
function cleanValue(s: string, maxChars: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim()
  const chars = Array.from(flat)
  return chars.length <= maxChars ? flat : `${chars.slice(0, maxChars - 1).join('')}…`
}
