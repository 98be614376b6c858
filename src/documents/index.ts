/**
 * @module documents
 * Document shapes and metadata folding (pure). See fold.ts for the folding layout.
 */
export {
  documentInputSchema,
  fieldNameSchema,
  fieldValueSchema,
  publishedAtSchema,
  structuredDocumentSchema,
  toStructured,
  type DocumentInput,
  type FieldValue,
  type StructuredDocument,
} from './document'
export {
  DEFAULT_FOLDING,
  compareCodeUnits,
  fieldLabelSchema,
  foldDocument,
  foldingOptionsSchema,
  type FoldingOptions,
  type FoldingOptionsInput,
} from './fold'
export { parseIsoDate, parseIsoInstant, type IsoDate } from './iso-date'
