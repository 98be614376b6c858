/**
 * @module scoring/field-error
 * The one shape every pure validator in scoring/, templates/ and documents/ reports problems in, so the
 * HTTP layer can turn the first one into `badField(field, message)` (src/errors.ts) without knowing
 * which module produced it.
 */
import type { z } from 'zod'

/** One problem with one request field, named by its dotted path (`template_vars.year`, `fusion.weights`). */
export interface FieldError {
  field: string
  message: string
}

/**
 * Turns a zod error into field errors under `prefix` (`time_decay` → `time_decay.half_life_days`,
 * array indices as `.0`). Issue order is zod's, which follows the schema's declaration order, so the
 * first error is stable for a given input. Two zod defaults are made more useful: an unknown key
 * (strict objects) is reported on the key itself (`fusion.weights.model: unknown field`), and a bad
 * record key carries the key rule's own message instead of "Invalid key in record".
 */
export function zodFieldErrors(error: z.ZodError, prefix: string): FieldError[] {
  const join = (path: readonly PropertyKey[]): string => {
    const p = path.map((x) => String(x)).join('.')
    return p === '' ? prefix : prefix === '' ? p : `${prefix}.${p}`
  }
  const out: FieldError[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: join([...issue.path, key]), message: 'unknown field' })
      continue
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message
      out.push({ field: join(issue.path), message: inner === undefined ? issue.message : `invalid name: ${inner}` })
      continue
    }
    out.push({ field: join(issue.path), message: issue.message })
  }
  return out
}
