/**
 * @module documents/document
 * The document shapes of the public contract (README "Templates, metadata and fusion"): a string, or
 * an object with `text` and optional `id`, `published_at` (ISO-8601), `source` and `fields`
 * ({name: string | number | boolean}). Pure types, a reusable zod schema and one normaliser.
 */
import { z } from 'zod'
import { parseIsoDate } from './iso-date'

export type FieldValue = string | number | boolean

export interface StructuredDocument {
  text: string
  id?: string | undefined
  published_at?: string | undefined
  source?: string | undefined
  fields?: Readonly<Record<string, FieldValue>> | undefined
}

/**
 * The one shape the pipeline carries a document in after the request (rerank/prepare-documents.ts):
 * the structured form, plus an object document as sent (returned as `document`, every key kept, as
 * Cohere v1 does; with `rank_fields` not the text built to rank).
 */
export interface NormalizedDocument extends StructuredDocument {
  original?: Readonly<Record<string, unknown>>
}

/** A request document as it arrives: a bare string or a structured object. */
export type DocumentInput = string | StructuredDocument

/** A field name: a short identifier-like key, so labels and rules can name it unambiguously. */
export const fieldNameSchema = z
  .string()
  .regex(/^[\p{L}\p{N}_][\p{L}\p{N}_.-]{0,63}$/u, {
    error: 'expected a field name of 1–64 letters, digits, "_", "-" or "."',
  })

/** `published_at`: an ISO-8601 date or date-time (`2024`, `2024-03`, `2024-03-15`, `2024-03-15T10:00:00Z`). */
export const publishedAtSchema = z.string().refine((s) => parseIsoDate(s) !== undefined, {
  error: 'expected an ISO-8601 date or date-time such as "2024-03-15" or "2024-03-15T10:00:00Z"',
})

export const fieldValueSchema = z.union([z.string(), z.number().finite(), z.boolean()], {
  error: 'expected a string, a finite number or a boolean',
})

/** The object form of a document; unknown keys are ignored (other APIs' documents carry extra keys). */
export const structuredDocumentSchema = z.object({
  text: z.string({ error: 'expected a string' }),
  id: z.string({ error: 'expected a string' }).optional(),
  published_at: publishedAtSchema.optional(),
  source: z.string({ error: 'expected a string' }).optional(),
  fields: z.record(fieldNameSchema, fieldValueSchema).optional(),
})

export const documentInputSchema = z.union([z.string(), structuredDocumentSchema], {
  error: 'expected a string or an object with a "text" string',
})

/** A string document becomes `{ text }`; an object is returned as is. */
export function toStructured(doc: DocumentInput): StructuredDocument {
  return typeof doc === 'string' ? { text: doc } : doc
}
