/**
 * @module fold-documents
 * Metadata folding in the pipeline: each structured document's `published_at`, `source` and
 * `fields` are written into the text the model reads (documents/fold.ts: "[2024-03] [Source: X]
 * text [stock: 127]", or "[2024-03] [来源: X] text【库存: 127件】"), under the operator's `FOLDING`
 * options merged with the call's own `folding`. Runs before the scorer prepares and scores, so
 * the score cache keys the folded text (a folding change is a new key, never a stale score). Plain
 * strings, and objects without metadata, fold to their text byte for byte. Pure.
 *
 * Each document stays in three parts (head, body, tail) so that the scorer, when a document is over
 * its model's budget, cuts the *body* and keeps the metadata: "…【库存: 127件】" survives on a long
 * product page.
 */
import { z } from 'zod'
import { zodFieldErrors } from '../scoring/field-error'
import { badField } from '../errors'
import { DEFAULT_FOLDING, foldDocumentParts, foldingOptionsSchema, type FoldedDocument, type FoldingOptions } from '../documents/fold'
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
  /** Per document: metadata head, the caller's text, metadata tail (documents/fold.ts). */
  documents: FoldedDocument[]
  /** Documents whose text changed by folding (carried metadata that was folded in). */
  folded: number
}

/** Folds every document into its parts; the scorer fits them to its model (cutting only the body). */
export function foldDocuments(documents: readonly NormalizedDocument[], options: FoldingOptions): FoldedDocuments {
  let folded = 0
  const parts = documents.map((d) => {
    const p = foldDocumentParts(d, options)
    if (p.head !== '' || p.tail !== '') folded++
    return p
  })
  return { documents: parts, folded }
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
