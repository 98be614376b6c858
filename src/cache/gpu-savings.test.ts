import { describe, expect, it } from 'vitest'
import { gpuMsFor, gpuRateFor, gpuTokensPerSecondVar } from './gpu-savings'

describe('CACHE_GPU_TOKENS_PER_SECOND', () => {
  it('reads one rate for every model, or a rate per served model', () => {
    expect(gpuTokensPerSecondVar.parse('9000')).toEqual({ all: 9000, byModel: {} })
    expect(gpuTokensPerSecondVar.parse(undefined)).toEqual({ byModel: {} })
    const per = gpuTokensPerSecondVar.parse('{"qwen3-reranker-8b": 9000, "qwen3-reranker-0.6b": 60000}')
    expect(gpuRateFor(per, 'qwen3-reranker-0.6b')).toBe(60000)
    expect(gpuRateFor(per, 'other')).toBeUndefined()
    expect(gpuRateFor(per, 'toString')).toBeUndefined()
    expect(gpuRateFor(gpuTokensPerSecondVar.parse('2.5e4'), 'any')).toBe(25000)
  })

  it('refuses what is not a positive rate, naming what it expects', () => {
    for (const bad of ['0', '-5', 'fast', '{"m": 0}', '{"m": "9000"}', '[9000]', '1e12']) {
      const r = gpuTokensPerSecondVar.safeParse(bad)
      expect(r.success, bad).toBe(false)
      expect(r.error?.issues[0]?.message).toMatch(/tokens per second/u)
    }
  })

  it('turns tokens into GPU-milliseconds at the configured rate', () => {
    expect(gpuMsFor(9000, 9000)).toBe(1000)
    expect(gpuMsFor(1234, 10_000)).toBe(123.4)
    expect(gpuMsFor(1, 3)).toBe(333.33)
    expect(gpuMsFor(500, undefined)).toBeUndefined()
  })
})
