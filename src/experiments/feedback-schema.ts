/**
 * @module feedback-schema
 * The body of `POST /v1/feedback`, and its check against the exposure it refers to. Pure.
 *
 * ```json
 * { "request_id": "…",            // X-Request-Id (or `id`) of the rerank call
 *   "clicks": ["doc-7", "doc-2"],   // clicked results, by document id
 *   "grades": { "doc-7": 3, "doc-1": 0 }, // graded relevance per result (0–100; TREC uses 0–3)
 *   "conversion": 1 }               // a conversion, with its value (1 when there is none to give)
 * ```
 * A document id is the document's own `id` when the rerank call gave one, else its index in the
 * request's `documents` as a string ("0", "3"): the ids the exposure recorded. Any mix of the three
 * kinds may be sent, in one call or several; clicks and conversions add up, the latest grade of a
 * document wins.
 */
import { z } from 'zod'
import { isDocumentId, MAX_DOCUMENT_ID_CHARS } from '../documents/document-id'
import { isStorableText, STORABLE_TEXT_ERROR } from '../lib/stored-text'
import type { FieldError } from '../lib/zod-error'
import { MAX_RANKED_IDS_BYTES } from './stored-ranking'

const MAX_FEEDBACK_ITEMS = 1000
const MAX_GRADE = 100

/**
 * Document ids are strings; integer ids are accepted as their decimal string (as `documents[].id` is),
 * by the same rule (documents/document-id.ts), but never empty: an empty `documents[i].id` is no id.
 * A custom check, not z.union: lib/zod-error.ts words every union failure for documents.
 */
const docId = z
  .custom<string | number>(isDocumentId, {
    error: `must be a document id: a string of 1 to ${MAX_DOCUMENT_ID_CHARS} characters of well-formed Unicode (or an integer)`,
  })
  .transform((v) => String(v))

export const feedbackBodySchema = z
  .strictObject({
    request_id: z
      .string({ error: 'required: the request id of the rerank call (its X-Request-Id header or `id`)' })
      .regex(/^[A-Za-z0-9._:-]{1,128}$/u, 'expected a request id: 1 to 128 characters of A-Z a-z 0-9 . _ : -'),
    clicks: z
      .array(docId, { error: 'must be an array of document ids' })
      .max(MAX_FEEDBACK_ITEMS, `at most ${MAX_FEEDBACK_ITEMS} clicks`)
      .optional(),
    grades: z
      .record(
        z.string().min(1, 'document ids have 1 to 256 characters').max(256, 'document ids have 1 to 256 characters').refine(isStorableText, STORABLE_TEXT_ERROR),
        z
          .number({ error: `must be a number from 0 to ${MAX_GRADE}` })
          .min(0, `must be ≥ 0`)
          .max(MAX_GRADE, `must be ≤ ${MAX_GRADE}`),
        { error: 'must be an object of document id → grade' }
      )
      .optional(),
    conversion: z
      .custom<true | number>((v) => v === true || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e12), {
        error: 'must be true or a number from 0 to 1e12 (the conversion value)',
      })
      .transform((v) => (v === true ? 1 : v))
      .optional(),
  })
  .superRefine((body, ctx) => {
    const grades = body.grades === undefined ? 0 : Object.keys(body.grades).length
    if (grades > MAX_FEEDBACK_ITEMS) {
      ctx.addIssue({ code: 'custom', path: ['grades'], message: `at most ${MAX_FEEDBACK_ITEMS} grades` })
    }
    if ((body.clicks?.length ?? 0) === 0 && grades === 0 && body.conversion === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'nothing to record: give clicks, grades or conversion' })
    }
  })

export type FeedbackBody = z.output<typeof feedbackBodySchema>

/**
 * A grade the schema would silently drop: zod's record skips an own `"__proto__"` key (it could
 * replace the prototype of the object it builds; zod v4 core `$ZodRecord`), neither checking nor
 * returning it, so `{"grades": {"__proto__": 3, "d1": 1}}` was answered `grades: 1` and lost a
 * grade. Refused instead, by name, before the body is parsed. (A click on such an id is kept:
 * `clicks` is an array.)
 */
export function droppedGradeKey(raw: Record<string, unknown>): FieldError | undefined {
  const grades = raw.grades
  if (typeof grades !== 'object' || grades === null || Array.isArray(grades) || !Object.hasOwn(grades, '__proto__')) return undefined
  return {
    field: 'grades.__proto__',
    message: 'a document id of "__proto__" cannot be graded here (object validation drops that key, so the grade would be lost); give the document another id',
  }
}

export interface FeedbackRow {
  kind: 'click' | 'grade' | 'conversion'
  docId: string | null
  rank: number | null
  grade: number | null
  value: number | null
}

export type FeedbackPlan = { ok: true; rows: FeedbackRow[] } | { ok: false; field: string; message: string }

function describeServed(rankedIds: readonly string[]): string {
  const shown = rankedIds.slice(0, 10).map((id) => JSON.stringify(id))
  return rankedIds.length > 10 ? `${shown.join(', ')} … (${rankedIds.length} in all)` : shown.join(', ')
}

/**
 * The rows to store for `body` against the exposure's served ids, or the first id that was not
 * served (a 400 naming `clicks[i]` or `grades.<id>`). `rankedTotal`: how many were served when
 * the exposure keeps only the top `rankedIds` (stored-ranking.ts); an id past them cannot be
 * ranked, and the message says so.
 */
export function planFeedback(body: FeedbackBody, rankedIds: readonly string[], rankedTotal: number | null = null): FeedbackPlan {
  // A repeated id counts once, at its first rank, and the ids after it move up: the rank the
  // online metrics give it (ranking-metrics.ts, trec_eval's duplicate-free ranking), so the
  // report's MRR read from stored ranks equals reciprocalRankOfFirstClick.
  const rank = new Map<string, number>()
  for (const id of rankedIds) if (!rank.has(id)) rank.set(id, rank.size + 1)
  const cut = rankedTotal !== null && rankedTotal > rankedIds.length
  const notServed = (field: string, id: string): FeedbackPlan => ({
    ok: false,
    field,
    message: cut
      ? `${field}: document ${JSON.stringify(id)} is not among the top ${rankedIds.length} of the ${rankedTotal} results served for request ${body.request_id}, ` +
        `which are all its exposure keeps (one database value holds at most ${MAX_RANKED_IDS_BYTES} bytes of ids); feedback can name only those`
      : `${field}: document ${JSON.stringify(id)} was not among the results served for request ${body.request_id} ` +
        `(served: ${describeServed(rankedIds)})`,
  })

  const rows: FeedbackRow[] = []
  for (const [i, id] of (body.clicks ?? []).entries()) {
    const r = rank.get(id)
    if (r === undefined) return notServed(`clicks[${i}]`, id)
    rows.push({ kind: 'click', docId: id, rank: r, grade: null, value: null })
  }
  for (const [id, grade] of Object.entries(body.grades ?? {})) {
    const r = rank.get(id)
    if (r === undefined) return notServed(`grades.${id}`, id)
    rows.push({ kind: 'grade', docId: id, rank: r, grade, value: null })
  }
  if (body.conversion !== undefined) rows.push({ kind: 'conversion', docId: null, rank: null, grade: null, value: body.conversion })
  return { ok: true, rows }
}
