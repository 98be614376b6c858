/**
 * @module resolve-instruction
 * Decides the instruction a call is scored under: a raw `instruction`, a `template` rendered with
 * its `template_vars`, or the scorer's default (`PairScorer.defaultInstruction`: the model decides
 * what an instruction-less call means). Pure given the registry; the async helper
 * loads the registry only when a template is named.
 *
 * Callers other than the rerank body (an experiment arm supplies `instruction` or `template` +
 * `template_vars`) call the same functions with their own values and a `fieldPrefix`, so a bad
 * arm is reported on the arm's field.
 */
import { badField } from '../errors'
import type { FieldError } from '../lib/zod-error'
import type { BoostRule } from '../scoring/business-score'
import type { PartialFusionWeights } from '../scoring/fusion'
import { renderedInstructionTooLong } from '../templates/instruction-limit'
import { resolveInstruction as resolveFromRegistry, type TemplateRegistry } from '../templates/registry'
import type { VariableValue } from '../templates/variables'

export interface InstructionInput {
  instruction?: string | undefined
  template?: string | undefined
  template_vars?: unknown
}

/** `meta.template`: what rendered the instruction. */
export interface TemplateMeta {
  id: string
  version: number
  /** Every declared variable with the value used (defaults filled, values normalised). */
  vars: Record<string, VariableValue>
}

export interface ResolvedInstruction {
  instruction: string
  /** 'default' when the caller gave none (reported in `meta.instruction_source`, logs and stats). */
  source: 'default' | 'raw' | 'template'
  /** Present when source is 'template'. */
  template?: TemplateMeta
  /** The template's fusion defaults (weights, boost rules), when it declares any. */
  fusionDefaults?: { fusion?: PartialFusionWeights | undefined; boosts?: BoostRule[] | undefined }
}

export interface ResolveOptions {
  /** The instruction a call without one gets (the scorer's `defaultInstruction`). */
  defaultInstruction: string
  /** Prefix for error fields (`variants[1]` → `variants[1].template_vars.year`). Default: none. */
  fieldPrefix?: string
  /** Config `MAX_INSTRUCTION_CHARS`: a rendered template is held to it too (templates/instruction-limit.ts). */
  maxChars: number
}

/** Whether resolving `input` needs the template registry (so it is loaded only then). */
export function needsTemplateRegistry(input: InstructionInput): boolean {
  return input.template !== undefined
}

/**
 * The instruction for `input`. Throws ApiError 400 naming the field: `instruction` with
 * `template`, `template_vars` without `template`, an unknown `template` (listing the valid ids),
 * a bad `template_vars.<name>` (saying what is expected). A blank `instruction` counts as absent
 * (forms send ""), so it neither conflicts with a template nor replaces the default.
 */
export function resolveInstruction(
  input: InstructionInput,
  registry: TemplateRegistry | undefined,
  options: ResolveOptions
): ResolvedInstruction {
  const raw = input.instruction?.trim()
  const instruction = raw === undefined || raw === '' ? undefined : raw
  if (input.template !== undefined && registry === undefined) {
    throw new Error('resolveInstruction: a template call needs the template registry')
  }
  const r = resolveFromRegistry(registry ?? EMPTY_REGISTRY, {
    instruction,
    template: input.template,
    template_vars: input.template_vars,
  })
  if (!r.ok) throw fieldError(r.errors, options.fieldPrefix)
  if (r.template !== undefined && r.render !== undefined && r.instruction !== undefined) {
    const tooLong = renderedInstructionTooLong(r.instruction.length, options.maxChars, input.template_vars !== undefined, options.fieldPrefix)
    if (tooLong) throw badField(tooLong.field, tooLong.message)
    const out: ResolvedInstruction = {
      instruction: r.instruction,
      source: 'template',
      template: { id: r.render.template.id, version: r.render.template.version, vars: r.render.vars },
    }
    if (r.template.fusion !== undefined || r.template.boosts !== undefined) {
      out.fusionDefaults = { fusion: r.template.fusion, boosts: r.template.boosts }
    }
    return out
  }
  if (instruction !== undefined) return { instruction, source: 'raw' }
  return { instruction: options.defaultInstruction, source: 'default' }
}

/** `resolveInstruction`, loading the registry only when `input` names a template. */
export async function resolveInstructionWith(
  input: InstructionInput,
  loadRegistry: () => Promise<TemplateRegistry>,
  options: ResolveOptions
): Promise<ResolvedInstruction> {
  const registry = needsTemplateRegistry(input) ? await loadRegistry() : undefined
  return resolveInstruction(input, registry, options)
}

const EMPTY_REGISTRY: TemplateRegistry = Object.freeze({ templates: new Map() })

/** Further errors listed after the first in one 400. */
const MAX_LISTED_ERRORS = 5

function fieldError(errors: readonly FieldError[], prefix: string | undefined) {
  const first = errors[0] ?? { field: 'template', message: 'invalid' }
  const field = prefix ? `${prefix}.${first.field}` : first.field
  // Several bad variables: name the first as the field, list a few more in the message (a bounded
  // message: the answer to a small request must stay small).
  const more = errors.slice(1, 1 + MAX_LISTED_ERRORS).map((e) => `${prefix ? `${prefix}.` : ''}${e.field}: ${e.message}`)
  const unlisted = errors.length - 1 - more.length
  const message =
    more.length > 0 ? `${first.message}; also ${more.join('; ')}${unlisted > 0 ? `; and ${unlisted} more` : ''}` : first.message
  return badField(field, message)
}
