/**
 * @module templates
 * Instruction templates (pure): declaration schema, built-ins, rendering, registry, fingerprint.
 */
export { BUILTIN_TEMPLATES, BUILTIN_TEMPLATE_DEFINITIONS } from './builtins'
export { canonicalJson, templateFingerprint } from './fingerprint'
export {
  TemplateConfigError,
  createRegistry,
  getTemplate,
  listTemplates,
  parseTemplateOverrides,
  resolveInstruction,
  templateOverridesSchema,
  type ParseOverridesResult,
  type RegisteredTemplate,
  type ResolveInstructionResult,
  type TemplateListing,
  type TemplateRegistry,
} from './registry'
export { renderTemplate, type RenderResult } from './render'
export {
  PLACEHOLDER_RE,
  TEMPLATE_LANGUAGES,
  placeholderNames,
  templateDefinitionSchema,
  templateExampleSchema,
  templateIdSchema,
  type Template,
  type TemplateDefinition,
} from './template'
export {
  VARIABLE_TYPES,
  checkValue,
  describeExpected,
  describeGot,
  renderValue,
  variableNameSchema,
  variableSpecSchema,
  type CheckResult,
  type VariableSpec,
  type VariableType,
  type VariableValue,
} from './variables'
