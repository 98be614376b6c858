/**
 * @module zod-error
 * Turns the first zod issue into an `ApiError` whose `field` is a readable path
 * (`documents[3].text`, `template_vars.year`), so every 400 names the field.
 */
import type { z } from 'zod'
import { ApiError } from '../errors'

export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out.length === 0 ? String(p) : `.${String(p)}`
  }
  return out || 'body'
}

export function zodToApiError(error: z.ZodError, prefix = ''): ApiError {
  // Prefer the deepest issue: it names the most specific field.
  const issue = [...error.issues].sort((a, b) => b.path.length - a.path.length)[0]
  if (!issue) return new ApiError('invalid_request', 'invalid request body')
  let path = issue.path
  let message = issue.message
  // A union of string | object reports "invalid input"; say what is expected instead.
  if (issue.code === 'invalid_union') {
    const inner = (issue as unknown as { errors?: z.core.$ZodIssue[][] }).errors
    const best = inner?.flat().sort((a, b) => b.path.length - a.path.length)[0]
    if (best && best.path.length > 0) {
      path = [...path, ...best.path]
      message = best.message
    } else if (path[0] === 'documents') {
      message = 'expected a string or an object with a "text" string'
    } else {
      // Say which shapes would have been accepted (e.g. time_decay.kind).
      const expected = inner
        ?.flat()
        .map((i) => i.message)
        .filter((m, k, all) => all.indexOf(m) === k)
        .slice(0, 3)
      message = expected && expected.length > 0 ? `expected one of: ${expected.join('; ')}` : message
    }
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as unknown as { keys?: string[] }).keys ?? []
    message = `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k.slice(0, 64)}"`).join(', ')}`
  }
  if (issue.code === 'invalid_type' && /received undefined/u.test(message)) message = 'required'
  const field = formatPath(path, prefix)
  return new ApiError('invalid_request', `${field}: ${message}`, { field })
}
