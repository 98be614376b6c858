/**
 * @module normalize-documents
 * Turns the request's documents (strings, `{text, …}` objects, or Cohere v1 objects ranked by
 * `rank_fields`) into one uniform shape. Pure.
 */
import { badField } from '../errors'
import type { RerankBody } from '../schemas/rerank-request'

export type FieldValue = string | number | boolean

export interface NormalizedDocument {
  /** The caller's text (returned with `return_documents`). */
  text: string
  id?: string
  published_at?: string
  source?: string
  fields?: Record<string, FieldValue>
  /** With `rank_fields`: the object as sent, which Cohere v1 returns as `document` (not the text built to rank). */
  original?: Readonly<Record<string, unknown>>
}

export function normalizeDocuments(body: RerankBody): NormalizedDocument[] {
  const rankFields = body.rank_fields
  return body.documents.map((d, i) => {
    if (typeof d === 'string') return { text: d }
    let text = d.text
    if (rankFields && rankFields.length > 0) {
      // Cohere v1: rank on the named string fields, rendered "name: value" one per line.
      const parts: string[] = []
      for (const name of rankFields) {
        const v = name === 'text' ? d.text : (d as Record<string, unknown>)[name]
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') parts.push(`${name}: ${String(v)}`)
      }
      if (parts.length > 0) text = parts.join('\n')
    }
    if (typeof text !== 'string') {
      throw badField(`documents[${i}].text`, 'required: a string (or name the fields to rank on in rank_fields)')
    }
    const out: NormalizedDocument = { text }
    if (d.id !== undefined) out.id = String(d.id)
    if (d.published_at !== undefined) out.published_at = d.published_at
    if (d.source !== undefined) out.source = d.source
    if (d.fields !== undefined) out.fields = d.fields
    if (rankFields && rankFields.length > 0) out.original = d
    return out
  })
}
