/**
 * gpu-backend/smoke/expected.json, the values smoke-test.sh holds a backend to, recomputed here
 * from its inputs with the real Qwen3 tokenizer and the worker's own prompt formatters: a stale or
 * hand-edited file fails. Also checks the counting rule itself against tokenizer facts (special
 * tokens are single tokens, no BOS is added, digits split), so the rule cannot drift silently.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_INSTRUCTION, formatQwen3Document, formatQwen3Query, QWEN3_PREFIX, QWEN3_SUFFIX } from '../../../src/backends/vllm/qwen3-prompt'
import { buildExpected, SMOKE_REQUESTS, type Expected } from '../../../gpu-backend/smoke/expected.mjs'
import { countTokens, GPU_DIR } from './support'

const committed = JSON.parse(readFileSync(join(GPU_DIR, 'smoke', 'expected.json'), 'utf8')) as Expected
const deps = { count: countTokens, formatQuery: formatQwen3Query, formatDocument: formatQwen3Document }

describe('gpu-backend/smoke/expected.json', () => {
  it('equals what expected.mjs computes now (run `npm run gpu:smoke-expected` when it does not)', () => {
    expect(committed).toEqual(buildExpected(deps))
  })

  it('formats every request exactly as the worker does and counts query + document joined, no separator', () => {
    for (const [i, input] of SMOKE_REQUESTS.entries()) {
      const r = committed.requests[i]!
      expect(r.name).toBe(input.name)
      expect(r.query).toBe(`${QWEN3_PREFIX}<Instruct>: ${input.instruction}\n<Query>: ${input.query}\n`)
      expect(r.documents).toEqual(input.documents.map((d) => `<Document>: ${d}${QWEN3_SUFFIX}`))
      expect(r.pair_tokens).toEqual(r.documents.map((d) => countTokens(r.query + d)))
      expect(r.prompt_tokens).toBe(r.pair_tokens.reduce((a, b) => a + b, 0))
      expect([...r.order].sort()).toEqual(r.documents.map((_, j) => j))
    }
    expect(SMOKE_REQUESTS[0]!.instruction).toBe(DEFAULT_INSTRUCTION)
  })

  it('counts special tokens as one token each and adds no BOS (what vLLM 0.13 does with the joined text)', () => {
    expect(countTokens('<|im_start|>')).toBe(1)
    expect(countTokens('<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(countTokens(QWEN3_SUFFIX))
    expect(countTokens('')).toBe(0)
    expect(countTokens('12345')).toBe(5) // Qwen3 splits every digit
    // A separator that would change the count (pad token, space) is visible; a lone "\n" merges with
    // the query's trailing "\n" into one token and is not: the graded ranking is what catches that.
    const mc = committed.requests[0]!
    expect(countTokens(`${mc.query}<|endoftext|>${mc.documents[0]!}`)).toBe(mc.pair_tokens[0]! + 1)
    expect(countTokens(`${mc.query} ${mc.documents[0]!}`)).toBe(mc.pair_tokens[0]! + 1)
  })

  it('puts the instruction pair under two instructions with opposite expected rankings', () => {
    const animal = committed.requests.find((r) => r.name === 'instruction-animal')!
    const car = committed.requests.find((r) => r.name === 'instruction-car')!
    expect(animal.documents).toEqual(car.documents)
    expect(animal.query).not.toBe(car.query)
    expect(animal.order).toEqual([...car.order].reverse())
  })

  it('predicts the over-long pair exactly: base + one token per unit', () => {
    const { long } = committed
    for (const n of [0, 3, 5000]) {
      expect(countTokens(long.query + long.head + long.first + long.unit.repeat(n) + long.tail)).toBe(long.base_tokens + n)
    }
  })

  it('the check can fail: a wrong count in a copy is caught', () => {
    const tampered = structuredClone(committed)
    tampered.requests[1]!.prompt_tokens += 1
    expect(tampered).not.toEqual(buildExpected(deps))
  })
})
