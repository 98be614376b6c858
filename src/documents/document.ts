/**
 * @module documents/document
 * The document shapes of the public contract (README "Templates, metadata and fusion"): a string, or
 * an object with `text` and optional `id`, `published_at` (ISO-8601), `source` and `fields`
 * ({name: string | number | boolean}). Pure types, the field schemas boost rules and folding reuse, and one normaliser.
 * (The request's document schema, with its wire-specific messages, is schemas/rerank-request.ts.)
 */
import { z } from 'zod'

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

export const fieldValueSchema = z.union([z.string(), z.number().finite(), z.boolean()], {
  error: 'expected a string, a finite number or a boolean',
})

/** A string document becomes `{ text }`; an object is returned as is. */
export function toStructured(doc: DocumentInput): StructuredDocument {
  return typeof doc === 'string' ? { text: doc } : doc
}
