/**
 * @module gpu-savings
 * What the score cache saved the GPU, in prompt tokens and (with the operator's throughput
 * figure) GPU-milliseconds. Pure.
 *
 * CACHE_GPU_TOKENS_PER_SECOND is the prompt tokens one GPU scores per second for the served
 * model, measured by the operator (e.g. vLLM's `vllm:prompt_tokens_total` rate at saturation, or
 * `vllm bench serve`): a number for every model, or a JSON object by served model name,
 * `{"qwen3-reranker-8b": 9000, "qwen3-reranker-0.6b": 60000}`. Unset: only tokens are reported.
 * GPU-ms saved = tokens saved / rate × 1000: an estimate at the throughput the operator gave,
 * since a reranker's cost is prefill, linear in prompt tokens to first order.
 */
import { z } from 'zod'

export interface GpuRates {
  /** Tokens/s for a model not named in `byModel`; undefined: not configured. */
  all?: number | undefined
  byModel: Record<string, number>
}

const rate = z.number().positive().max(1e9)

/** The config var: a number, or a JSON object of model name → tokens per second. */
export const gpuTokensPerSecondVar = z
  .union([z.number(), z.string()])
  .optional()
  .transform((v, ctx): GpuRates => {
    if (v === undefined || v === '') return { byModel: {} }
    const text = String(v).trim()
    if (/^[0-9.eE+]+$/u.test(text)) {
      const n = rate.safeParse(Number(text))
      if (n.success) return { all: n.data, byModel: {} }
      ctx.addIssue({ code: 'custom', message: 'expected tokens per second: a positive number up to 1e9' })
      return z.NEVER
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    const byModel = z.record(z.string().min(1).max(256), rate).safeParse(parsed)
    if (byModel.success) return { byModel: byModel.data }
    ctx.addIssue({ code: 'custom', message: 'expected a positive number, or a JSON object of model name → tokens per second' })
    return z.NEVER
  })

/** Tokens per second for `model`, or undefined when none is configured. */
export function gpuRateFor(rates: GpuRates, model: string): number | undefined {
  return Object.hasOwn(rates.byModel, model) ? rates.byModel[model] : rates.all
}

/** GPU-milliseconds `tokens` took at `tokensPerSecond`, to 0.01 ms; undefined without a rate. */
export function gpuMsFor(tokens: number, tokensPerSecond: number | undefined): number | undefined {
  if (tokensPerSecond === undefined) return undefined
  return Math.round((tokens / tokensPerSecond) * 100_000) / 100
}
