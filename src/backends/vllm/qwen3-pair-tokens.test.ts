import { describe, expect, it } from 'vitest'
import { formatQwen3Document, formatQwen3Query } from './qwen3-prompt'
import { apportionPairTokens } from './qwen3-pair-tokens'

describe('apportionPairTokens', () => {
  it("splits a batch's usage by each pair's formatted Qwen3 prompt bytes, summing exactly", () => {
    const pair = { instruction: 'Prefer 2024', query: 'wie viel kostet 东京' }
    const docs = ['short', 'a much longer document '.repeat(20), 'é中文 mixed', 'short']
    const total = 1_237
    const shares = apportionPairTokens(total, pair, docs)
    expect(shares.reduce((a, b) => a + b, 0)).toBe(total)
    // Each share is within one token of its exact proportion of the formatted prompt's UTF-8 bytes.
    const bytes = docs.map((d) => Buffer.byteLength(formatQwen3Query(pair.instruction, pair.query) + formatQwen3Document(d), 'utf8'))
    const sum = bytes.reduce((a, b) => a + b, 0)
    shares.forEach((s, i) => expect(Math.abs(s - (total * (bytes[i] as number)) / sum)).toBeLessThan(1))
    expect(Math.abs((shares[0] as number) - (shares[3] as number))).toBeLessThanOrEqual(1)
    expect(shares[1]).toBeGreaterThan(shares[0] as number)
    // The body writer's byte counts give the same split; counts that do not match the documents are ignored.
    expect(apportionPairTokens(total, pair, docs, docs.map((d) => Buffer.byteLength(d, 'utf8')))).toEqual(shares)
    expect(apportionPairTokens(total, pair, docs, [1])).toEqual(shares)
  })
})
