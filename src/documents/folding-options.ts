/**
 * @module documents/folding-options
 * Where a call's folding options come from: the operator's `FOLDING` config var (JSON of
 * documents/fold.ts `foldingOptionsSchema`) with the call's own `folding` merged over it key by key.
 * The config schema (config.ts) and the request schema (schemas/rerank-request.ts) both read their
 * parts from here, so neither imports the pipeline. Pure: a bad merge is a `FieldError` result.
 */
import { z } from 'zod'
import { zodFieldErrors, type FieldError } from '../lib/zod-error'
import { DEFAULT_FOLDING, foldingOptionsSchema, type FoldingOptions } from './fold'

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
export function resolveFolding(
  configured: FoldingOptions,
  call: FoldingOverride | undefined
): { ok: true; options: FoldingOptions } | { ok: false; errors: FieldError[] } {
  if (call === undefined) return { ok: true, options: configured }
  const merged = {
    ...configured,
    ...stripUndefined(call),
    field_labels: { ...configured.field_labels, ...(call.field_labels ?? {}) },
  }
  const parsed = foldingOptionsSchema.safeParse(merged)
  return parsed.success ? { ok: true, options: parsed.data } : { ok: false, errors: zodFieldErrors(parsed.error, 'folding') }
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
