/**
 * @module fold-documents
 * Metadata folding in the pipeline: each structured document's `published_at`, `source` and
 * `fields` are written into the text the model reads (documents/fold.ts: "[2024-03] [Source: X]
 * text [stock: 127]", or "[2024-03] [来源: X] text【库存: 127件】"), under the operator's `FOLDING`
 * options merged with the call's own `folding`. Runs before truncation and scoring, so the score
 * cache keys the folded text (a folding change is a new key, never a stale score). Plain strings,
 * and objects without metadata, fold to their text byte for byte. Pure.
 *
 * Truncation keeps the metadata: when a folded document is over the token budget, its *body* text
 * is cut, not the folded string's tail, so "…【库存: 127件】" survives on a long product page.
 */
import { z } from 'zod'
import { zodFieldErrors } from '../scoring/field-error'
import { badField } from '../errors'
import { DEFAULT_FOLDING, foldDocument, foldingOptionsSchema, type FoldingOptions } from '../documents/fold'
import { estimateTokens, truncateToTokens } from './token-budget'
import type { NormalizedDocument } from './normalize-documents'

const shape = foldingOptionsSchema.shape

/**
 * The request's `folding`: any subset of the FOLDING options (documents/fold.ts), merged over the
 * operator's configuration key by key (`field_labels` name by name).
 */
export const foldingOverrideSchema = z.strictObject({
  language: shape.language.removeDefault().optional(),
  date: shape.date.removeDefault().optional(),
  source: shape.source.removeDefault().optional(),
  source_label: shape.source_label,
  fields: shape.fields.removeDefault().optional(),
  field_labels: shape.field_labels.removeDefault().optional(),
  boolean_text: shape.boolean_text,
  max_value_chars: shape.max_value_chars.removeDefault().optional(),
})

export type FoldingOverride = z.output<typeof foldingOverrideSchema>

/** The options a call folds with: the call's `folding` over the configured ones. */
export function resolveFolding(configured: FoldingOptions, call: FoldingOverride | undefined): FoldingOptions {
  if (call === undefined) return configured
  const merged = {
    ...configured,
    ...stripUndefined(call),
    field_labels: { ...configured.field_labels, ...(call.field_labels ?? {}) },
  }
  const parsed = foldingOptionsSchema.safeParse(merged)
  if (!parsed.success) {
    const first = zodFieldErrors(parsed.error, 'folding')[0]
    throw badField(first?.field ?? 'folding', first?.message ?? 'invalid folding options')
  }
  return parsed.data
}

export interface FoldedDocuments {
  /** What the model reads, per document, before the final truncation pass. */
  texts: string[]
  /** Documents whose body text was cut here to keep their metadata within the budget. */
  truncated: number
  /** Documents whose text changed by folding (carried metadata that was folded in). */
  folded: number
}

/**
 * Folds every document. With `budget` (document tokens, render-documents.ts), a folded document over
 * it has its body text cut so that the whole folded string fits (module doc); documents without
 * metadata are left to the ordinary truncation pass.
 */
export function foldDocuments(documents: readonly NormalizedDocument[], options: FoldingOptions, budget?: number): FoldedDocuments {
  let truncated = 0
  let folded = 0
  const texts = documents.map((d) => {
    const text = foldDocument(d, options)
    if (text === d.text) return text
    folded++
    if (budget === undefined || estimateTokens(text) <= budget) return text
    const fitted = fitBody(d, options, budget)
    if (fitted === undefined) return text
    truncated++
    return fitted
  })
  return { texts, truncated, folded }
}

/** The folded text with the body cut to fit `budget`, or undefined when the metadata alone does not fit. */
function fitBody(d: NormalizedDocument, options: FoldingOptions, budget: number): string | undefined {
  const metadataOnly = estimateTokens(foldDocument({ ...d, text: 'x' }, options))
  let bodyBudget = budget - metadataOnly
  // The estimate is not additive across the join (ceil per run of non-CJK text), so check and shrink.
  for (let attempt = 0; attempt < 8 && bodyBudget > 0; attempt++) {
    const body = truncateToTokens(d.text, bodyBudget).text
    const out = foldDocument({ ...d, text: body }, options)
    const over = estimateTokens(out) - budget
    if (over <= 0) return out
    bodyBudget -= over
  }
  return undefined
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

/**
 * The `FOLDING` config var: JSON (text, or an object in wrangler `[vars]`) of FOLDING options
 * (documents/fold.ts `foldingOptionsSchema`); unset: DEFAULT_FOLDING (English, month dates, source
 * and all fields). A bad value fails the configuration with the bad option named.
 */
export const foldingVar = z
  .union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a JSON object of folding options' })
  .optional()
  .transform((raw, ctx): FoldingOptions => {
    if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return DEFAULT_FOLDING
    let value: unknown = raw
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw)
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object of folding options' })
        return z.NEVER
      }
    }
    const parsed = foldingOptionsSchema.safeParse(value)
    if (!parsed.success) {
      const first = zodFieldErrors(parsed.error, '')[0]
      ctx.addIssue({ code: 'custom', message: first === undefined ? 'invalid folding options' : first.field === '' ? first.message : `${first.field}: ${first.message}` })
      return z.NEVER
    }
    return parsed.data
  })
