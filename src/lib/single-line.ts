/**
 * @module lib/single-line
 * Text that is written into one line of the model's prompt (a folded field's name, a label, a
 * template variable) must not break that line, or a value could start a line of its own that reads
 * like the prompt's `<Query>:` / `<Document>:` layout. Line breaks are more than `\n`: Unicode also
 * breaks lines at NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029) (UAX #14,
 * class BK/NL), and the C0/C1 control characters have no business in a label either.
 */
const LINE_BREAK_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u

/** Whether `s` holds a control character or any Unicode line break. */
export function breaksLine(s: string): boolean {
  return LINE_BREAK_OR_CONTROL.test(s)
}

/** The message of a zod refinement with `isSingleLine`. */
export const SINGLE_LINE_ERROR = { error: 'expected text without line breaks or control characters' } as const

/** `!breaksLine(s)`, for `z.string().refine(isSingleLine, SINGLE_LINE_ERROR)`. */
export function isSingleLine(s: string): boolean {
  return !LINE_BREAK_OR_CONTROL.test(s)
}
