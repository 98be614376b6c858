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
import type { NormalizedDocument } from '../documents/document'
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
  body.documents.forEach((input, i) => {
    const doc = normalizeDocument(input, i, body.rank_fields)
    documents[i] = doc
    // The caller's document stays as sent (returned as is); the model reads the text inside the template.
    folded[i] = foldDocumentParts(call.preformatted ? { ...doc, text: unwrapDocument(call.preformatted, doc.text, input, i) } : doc, resolved.options)
  })
  const request = { instruction: call.instruction, query: body.query, documents: folded, maxTokensPerDoc: body.max_tokens_per_doc ?? undefined }
  const pairs = await scorer.prepare(request)
  return { documents, pairs, prepareFor: (other) => other.prepare(request) }
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

function normalizeDocument(d: DocumentInput, i: number, rankFields: readonly string[] | undefined): NormalizedDocument {
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
  if (typeof text !== 'string' && 'image' in d) {
    // Jina's multimodal rerankers take {image: url | base64} (api.jina.ai/v1/rerank).
    throw badField(`documents[${i}].image`, 'image documents are not supported: the model reads text only; send {text}')
  }
  if (typeof text !== 'string') {
    throw badField(`documents[${i}].text`, 'required: a string (or name the fields to rank on in rank_fields)')
  }
  const out: NormalizedDocument = { text }
  if (d.id !== undefined) out.id = String(d.id)
  if (d.published_at !== undefined) out.published_at = d.published_at
  if (d.source !== undefined) out.source = d.source
  if (d.fields !== undefined) out.fields = d.fields
  // Returned as `document` as sent, every key kept (Cohere v1: "all other fields will be
  // preserved in the response"; the cohere-ai SDK's RerankRequest.documents).
  out.original = d
  return out
}
