/**
 * @module zod-error
 * The one zod-error formatter. Turns zod issues into `FieldError`s, the shape every pure validator
 * (scoring/, templates/, documents/, experiments/) reports problems in, with one path syntax: keys
 * joined by dots, array indices in brackets (`documents[3].text`, `template_vars.year`,
 * `TEMPLATES[0].version`), as the wire's `error.field` shows them (src/openapi/doc-schemas.ts).
 *
 * Pure and HTTP-free: the HTTP layer turns the first error into an `ApiError` (src/errors.ts
 * `badField`, `zodToApiError`), so a core module never needs to know about status codes.
 */
import type { z } from 'zod'

/** One problem with one request (or configuration) field, named by its path. */
export interface FieldError {
  field: string
  message: string
}

/** `['documents', 3, 'text']` → `documents[3].text` (under `prefix` when given); an empty path is `prefix`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out.length === 0 ? String(p) : `.${String(p)}`
  }
  return out
}

/**
 * Every issue of `error` as a field error under `prefix`, in zod's order (which follows the
 * schema's declaration order, so the first is stable for a given input). Zod's defaults are made
 * more useful: an unknown key of a strict object is reported on the key itself
 * (`fusion.weights.model: unknown field`); a bad record key carries the key rule's own message; a
 * union names what would have been accepted; a missing value is "required".
 */
export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const out: FieldError[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: formatPath([...issue.path, key], prefix), message: 'unknown field' })
      continue
    }
    out.push(issueFieldError(issue, prefix))
  }
  return out
}

/**
 * The one error a 400 names: an unknown field first (the caller's plainest mistake, and it may be
 * the cause of the others), else the deepest issue (it names the most specific field). An empty
 * path without a prefix is `body`.
 */
export function firstZodFieldError(error: z.ZodError, prefix = ''): FieldError {
  const unknown = error.issues.find((i) => i.code === 'unrecognized_keys')
  if (unknown && unknown.code === 'unrecognized_keys' && unknown.keys[0] !== undefined) {
    return { field: formatPath([...unknown.path, unknown.keys[0]], prefix), message: 'unknown field' }
  }
  const issue = [...error.issues].sort((a, b) => b.path.length - a.path.length)[0]
  if (!issue) return { field: prefix || 'body', message: 'invalid request body' }
  const first = issueFieldError(issue, prefix)
  return { field: first.field || 'body', message: first.message }
}

function issueFieldError(issue: z.core.$ZodIssue, prefix: string): FieldError {
  let path: readonly PropertyKey[] = issue.path
  let message = issue.message
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message
    if (inner !== undefined) message = `invalid name: ${inner}`
  }
  // A union of string | object reports "invalid input"; say what is expected instead.
  if (issue.code === 'invalid_union') {
    const inner = issue.errors
    const best = inner.flat().sort((a, b) => b.path.length - a.path.length)[0]
    if (best && best.path.length > 0) {
      // The branch that got furthest, read as if it stood alone (a bad record key inside an object
      // document gets its key rule's message, not zod's "Invalid key in record").
      return issueFieldError({ ...best, path: [...path, ...best.path] } as z.core.$ZodIssue, prefix)
    } else if (path[0] === 'documents') {
      message = 'expected a string or an object with a "text" string'
    } else {
      // Say which shapes would have been accepted (e.g. time_decay.kind).
      const expected = inner
        .flat()
        .map((i) => i.message)
        .filter((m, k, all) => all.indexOf(m) === k)
        .slice(0, 3)
      if (expected.length > 0) message = `expected one of: ${expected.join('; ')}`
    }
  }
  if (issue.code === 'invalid_type' && /received undefined/u.test(message)) message = 'required'
  return { field: formatPath(path, prefix), message }
}
