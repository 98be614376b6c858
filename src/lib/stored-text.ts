/**
 * @module lib/stored-text
 * Text stored in a D1 `TEXT` column is stored as UTF-8, which has no encoding for a lone surrogate
 * (`"\ud800"`, valid in JSON): SQLite would keep U+FFFD instead, so a name would come back changed
 * and a feedback document id would never match the id it was served under. Such text is refused.
 */

/** `s` has no lone surrogate (ES2024 `String.prototype.isWellFormed`). */
export function isStorableText(s: string): boolean {
  return s.isWellFormed()
}

/** The message of a zod refinement with `isStorableText`. */
export const STORABLE_TEXT_ERROR = { error: 'expected well-formed Unicode text (a lone UTF-16 surrogate cannot be stored)' } as const
