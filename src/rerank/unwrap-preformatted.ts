/**
 * @module unwrap-preformatted
 * Step 0 of the pipeline (run-rerank.ts), before anything reads the query or the instruction: a
 * call whose query the client already wrapped in the scorer's prompt template (the model card's
 * example does: backends/vllm/qwen3-preformatted.ts) becomes the plain call it stands for, the
 * instruction taken from inside the query. Everything after (instruction resolution, the cache key,
 * the prompt sent, the lexical fallback) then sees exactly what the plain call would, so the two
 * share cache entries and scores.
 *
 * Decisions:
 *  - Recognition keys on the query: only a query that is exactly the template unwraps. Its
 *    documents must then all be in the template too (prepare-documents.ts takes each apart, a 400
 *    naming the first that is not): a half-formatted call would be scored wrong whichever way it
 *    was read. A plain query leaves every document as caller text (a document may well quote the
 *    template; it is neutralised like any other).
 *  - The embedded instruction counts as the caller's own: `instruction`, `template` or `experiment`
 *    beside it is a 400 (two instructions, and the arm of an experiment decides its own), and it is
 *    held to MAX_INSTRUCTION_CHARS as a body `instruction` is. A blank one means the default, as a
 *    blank `instruction` does. `meta.instruction_source` says "query".
 *  - `rank_fields` beside it is a 400 on `rank_fields`: it builds each document's text from fields,
 *    which is never the template's one document text.
 *  - An empty query inside the template is a 400 on `query`, as an empty plain query is.
 * The caller's documents are still returned as sent.
 */
import type { PreformattedPrompts } from '../backends/types'
import { badField } from '../errors'
import type { RerankBody } from '../schemas/rerank-request'

export interface UnwrappedCall {
  /** The body as the plain call: the query and instruction taken out of the template. */
  body: RerankBody
  /** Present when the query was in the template: takes each document apart (prepare-documents.ts). */
  preformatted?: PreformattedPrompts
}

/** The plain call `body` stands for (module doc). Throws ApiError 400 naming the field. */
export function unwrapPreformatted(
  prompts: PreformattedPrompts | undefined,
  body: RerankBody,
  limits: { maxInstructionChars: number }
): UnwrappedCall {
  const parts = prompts?.query(body.query)
  if (prompts === undefined || parts === undefined) return { body }
  const why = `the query is a preformatted ${prompts.template} prompt, which carries its own instruction ("<Instruct>: …")`
  if (body.experiment !== undefined) {
    throw badField('experiment', `${why}, but the experiment's arm decides the instruction: send the plain query`)
  }
  if (body.template !== undefined) throw badField('template', `${why}: send either the template or the formatted query`)
  if (body.rank_fields !== undefined && body.rank_fields.length > 0) {
    // rank_fields composes each document's text from its fields ("name: value" lines), so that text
    // is never the template's "<Document>: …" one: without this the first document would be named
    // as not preformatted although its `text` is.
    throw badField(
      'rank_fields',
      `the query is a preformatted ${prompts.template} prompt, whose documents are each one "<Document>: …" text; rank_fields composes a document's text from its fields instead: send the plain query with rank_fields, or the preformatted documents without it`
    )
  }
  if (body.instruction !== undefined && body.instruction.trim() !== '') {
    throw badField('instruction', `${why}: send the instruction in one place`)
  }
  if (parts.instruction.length > limits.maxInstructionChars) {
    throw badField('query', `${why}; that instruction is ${parts.instruction.length} characters, at most ${limits.maxInstructionChars}`)
  }
  if (parts.query === '') throw badField('query', `the preformatted ${prompts.template} prompt's "<Query>: " is empty`)
  return { body: { ...body, query: parts.query, instruction: parts.instruction }, preformatted: prompts }
}
