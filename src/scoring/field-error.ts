/**
 * @module scoring/field-error
 * Moved: the field-error shape and the one zod formatter live in lib/zod-error.ts. This re-export
 * only keeps rerank/fold-documents.ts (being reworked in parallel) compiling; import from
 * lib/zod-error.ts, and delete this file once nothing imports it.
 */
export { zodFieldErrors, type FieldError } from '../lib/zod-error'
