/**
 * @module prepare-documents
 * Step 1 of the pipeline (run-rerank.ts): the request's documents become what the model reads, in
 * one pass per document and one shape (documents/document.ts `NormalizedDocument`):
 *
 *  1. normalise: a string, a `{text, …}` object, or a Cohere v1 object ranked by `rank_fields`
 *     ("name: value" per line) becomes `{ text, id?, published_at?, source?, fields? }`; in a call
 *     whose query came in the model's template (unwrap-preformatted.ts), the text inside each
 *     document's template is what is folded (a document not in it: 400);
 *  2. fold: its metadata is written around the text (documents/fold.ts: "[2024-03] [Source: X]
 *     text [stock: 127]"), kept as head, body and tail, under FOLDING merged with the call's
 *     `folding` (documents/folding-options.ts);
 *  3. the scorer prepares the pairs for its model (backends/types.ts `PairScorer.prepare`):
 *     control-token text neutralised, and the token budget chosen; the vLLM scorer fits each
 *     document to that budget only when it sends it (cutting only the body, so "…【库存: 127件】"
 *     survives on a long page), so a cache hit never pays for it.
 *
 * The cache keys what step 3 returns together with the budget, which decide exactly what the model
 * reads (a folding change is a new key, never a stale score). Plain strings, and objects without
 * metadata, fold to their text byte for byte.
 */
import type { PairScorer, PreformattedPrompts, PreparedPairs } from '../backends/types'
import type { FieldValue, NormalizedDocument } from '../documents/document'
import { documentIdKey } from '../documents/document-id'
import { foldDocumentParts, type FoldedDocument, type FoldingOptions } from '../documents/fold'
import { resolveFolding } from '../documents/folding-options'
import { badField, fieldErrorToApiError } from '../errors'
import type { RerankBody } from '../schemas/rerank-request'

export interface PreparedDocuments {
  /** The caller's documents in the pipeline's one shape (for ranking and the response). */
  documents: NormalizedDocument[]
  /** The model-ready pairs (scorer.prepare), in request order. */
  pairs: PreparedPairs
  /**
   * The same call prepared for another scorer (the lexical fallback): a scorer's prepared form is
   * its own (the vLLM one marks folded metadata in it), so another scorer prepares afresh.
   */
  prepareFor(scorer: PairScorer): Promise<PreparedPairs>
  /** Metadata the model does not read although the caller may think it does (meta.warnings). */
  warnings: string[]
}

/** Normalise, fold and prepare (module doc). Throws ApiError 400 naming the field. */
export async function prepareDocuments(
  scorer: PairScorer,
  body: RerankBody,
  call: {
    instruction: string
    folding: FoldingOptions
    /** The query was in this template (unwrap-preformatted.ts): every document must be, and is taken apart. */
    preformatted?: PreformattedPrompts | undefined
  }
): Promise<PreparedDocuments> {
  const resolved = resolveFolding(call.folding, body.folding)
  if (!resolved.ok) throw fieldErrorToApiError(resolved.errors[0] ?? { field: 'folding', message: 'invalid folding options' })
  const documents = new Array<NormalizedDocument>(body.documents.length)
  const folded = new Array<FoldedDocument>(body.documents.length)
  const unread = new UnreadValues()
  body.documents.forEach((input, i) => {
    const doc = normalizeDocument(input, i, body.rank_fields, unread)
    documents[i] = doc
    // The caller's document stays as sent (returned as is); the model reads the text inside the template.
    folded[i] = foldDocumentParts(call.preformatted ? { ...doc, text: unwrapDocument(call.preformatted, doc.text, input, i) } : doc, resolved.options)
  })
  const request = { instruction: call.instruction, query: body.query, documents: folded, maxTokensPerDoc: body.max_tokens_per_doc ?? undefined }
  const pairs = await scorer.prepare(request)
  return { documents, pairs, prepareFor: (other) => other.prepare(request), warnings: unread.warnings() }
}

/** Where a value the model cannot read was found: `fields.<name>` or a `rank_fields` name. */
type UnreadPlace = { kind: 'fields' | 'rank_fields'; name: string }

/**
 * Values kept in the returned document but not given to the model: an object or an array under
 * `fields` (folding writes strings, numbers and booleans) or under a `rank_fields` name (ranked as
 * "name: value" lines). One warning per place, counted over the documents, naming the first
 * (a 1,000-document call with the same nested key says so once); at most MAX_PLACES places.
 */
class UnreadValues {
  private readonly places = new Map<string, { place: UnreadPlace; what: string; first: number; count: number }>()

  add(place: UnreadPlace, value: unknown, index: number): void {
    const key = `${place.kind}\u0000${place.name}`
    const seen = this.places.get(key)
    if (seen) seen.count++
    else this.places.set(key, { place, what: Array.isArray(value) ? 'an array' : 'an object', first: index, count: 1 })
  }

  warnings(): string[] {
    const out: string[] = []
    for (const { place, what, first, count } of this.places.values()) {
      if (out.length === MAX_PLACES) {
        out.push(`and ${this.places.size - MAX_PLACES} more document keys not read by the model (objects or arrays)`)
        break
      }
      const name = place.name.slice(0, 64)
      const where = place.kind === 'fields' ? `documents[${first}].fields.${name}` : `documents[${first}].${name}`
      const docs = count === 1 ? '' : ` (and in ${count - 1} more document${count === 2 ? '' : 's'})`
      out.push(
        place.kind === 'fields'
          ? `${where} is ${what}${docs}: not folded into the text the model reads (fields folds strings, numbers and booleans); returned as sent`
          : `rank_fields "${name}": ${where} is ${what}${docs}: not ranked on (rank_fields reads strings, numbers and booleans); returned as sent`
      )
    }
    return out
  }
}

/** Distinct unread places named in meta.warnings before the rest are counted. */
const MAX_PLACES = 8

function isFieldValue(v: unknown): v is FieldValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
}

type DocumentInput = RerankBody['documents'][number]

function unwrapDocument(prompts: PreformattedPrompts, text: string, input: DocumentInput, i: number): string {
  const inner = prompts.document(text)
  if (inner !== undefined) return inner
  throw badField(
    typeof input === 'string' ? `documents[${i}]` : `documents[${i}].text`,
    `the query is a preformatted ${prompts.template} prompt, so every document must be one too ("<Document>: " + text + the template's suffix, exactly); this one is not: send all plain or all preformatted`
  )
}

function normalizeDocument(d: DocumentInput, i: number, rankFields: readonly string[] | undefined, unread: UnreadValues): NormalizedDocument {
  if (typeof d === 'string') return { text: d }
  let text = d.text
  if (rankFields && rankFields.length > 0) {
    // Cohere v1: rank on the named string fields, rendered "name: value" one per line. Cohere's
    // documents are string-valued (cohere-typescript `RerankDocument`); a number or a boolean is
    // written as JSON writes it, an object or an array is left out and said (UnreadValues).
    const parts: string[] = []
    for (const name of rankFields) {
      const v = name === 'text' ? d.text : Object.hasOwn(d, name) ? (d as Record<string, unknown>)[name] : undefined
      if (isFieldValue(v)) parts.push(`${name}: ${String(v)}`)
      else if (typeof v === 'object' && v !== null) unread.add({ kind: 'rank_fields', name }, v, i)
    }
    if (parts.length > 0) text = parts.join('\n')
  }
  if (typeof text !== 'string' && 'image' in d) {
    // Jina's multimodal rerankers take {image: url | base64} (api.jina.ai/v1/rerank).
    throw badField(`documents[${i}].image`, 'image documents are not supported: the model reads text only; send {text}')
  }
  if (typeof text !== 'string') {
    throw badField(`documents[${i}].text`, 'required: a string (or name the fields to rank on in rank_fields)')
  }
  const out: NormalizedDocument = { text }
  const id = d.id === undefined ? undefined : documentIdKey(d.id)
  if (id !== undefined) out.id = id
  if (d.published_at !== undefined) out.published_at = d.published_at
  if (d.source !== undefined) out.source = d.source
  if (d.fields !== undefined) {
    // No prototype: a "__proto__" key from JSON.parse stays a field, never the object's prototype.
    const fields = Object.create(null) as Record<string, FieldValue>
    for (const [name, v] of Object.entries(d.fields)) {
      if (isFieldValue(v)) fields[name] = v
      else if (typeof v === 'object' && v !== null) unread.add({ kind: 'fields', name }, v, i)
    }
    out.fields = fields
  }
  // Returned as `document` as sent, every key kept (Cohere v1: "all other fields will be
  // preserved in the response"; the cohere-ai SDK's RerankRequest.documents).
  out.original = d
  return out
}
