/**
 * @module resolve-instruction
 * Decides the instruction a call is scored under: a raw `instruction`, else the model card's
 * default. (Templates and experiments extend this.) Pure.
 */
import { DEFAULT_INSTRUCTION } from '../backends/vllm/qwen3-prompt'
import type { RerankBody } from '../schemas/rerank-request'

export interface ResolvedInstruction {
  instruction: string
  /** 'default' when the caller gave none (reported in logs and stats). */
  source: 'default' | 'raw'
}

export function resolveInstruction(body: RerankBody): ResolvedInstruction {
  const raw = body.instruction?.trim()
  if (raw) return { instruction: raw, source: 'raw' }
  return { instruction: DEFAULT_INSTRUCTION, source: 'default' }
}
