/**
 * @module templates/instruction-limit
 * A rendered template is an instruction like any other, so it is held to `MAX_INSTRUCTION_CHARS`
 * (measured as a raw `instruction` is, in UTF-16 code units): its variables' own limits can add up
 * to far more (the built-in `enterprise-kb` glossary alone allows 50 × 200 characters), and the
 * instruction is repeated in every pair's prompt.
 */
import type { FieldError } from '../lib/zod-error'

/**
 * The error for a template that rendered to `length` characters, past `maxChars`: on
 * `template_vars` when the caller set variables (they made it long), else on `template`.
 */
export function renderedInstructionTooLong(length: number, maxChars: number, hasVars: boolean, prefix?: string): FieldError | undefined {
  if (length <= maxChars) return undefined
  return {
    field: `${prefix ? `${prefix}.` : ''}${hasVars ? 'template_vars' : 'template'}`,
    message: `the rendered instruction is ${length} characters, more than the ${maxChars} an instruction may have (MAX_INSTRUCTION_CHARS); send fewer or shorter values`,
  }
}
