/**
 * The cache keys a pair by the prompt format's version (PROMPT_FORMAT_VERSION) and by how a
 * document is cut to fit (FIT_VERSION, in the budget key), not by the strings or code themselves:
 * so changing the Qwen3 prompt strings or the fitting without bumping its version would serve, for
 * up to CACHE_TTL_SECONDS, scores of a prompt or a cut text the worker no longer sends. These
 * fingerprints tie each version to what it names: change either and this test fails until the
 * version is bumped and the new fingerprint recorded beside it.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DEFAULT_INSTRUCTION, formatQwen3Document, formatQwen3Query, PROMPT_FORMAT_VERSION, QWEN3_PREFIX, QWEN3_SUFFIX } from '../../src/backends/vllm/qwen3-prompt'
import { FIT_VERSION, fitDocument, MIN_DOCUMENT_TOKENS } from '../../src/backends/vllm/qwen3-token-budget'
import { loadQwen3Tokenizer } from '../../src/backends/vllm/qwen3-tokenizer'
import { documentKinds } from '../fixtures/document-kinds'

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)

/** Each version and the fingerprint of what it names: add a line when you bump one, never edit one. */
const PROMPT_FINGERPRINTS: Record<string, string> = {
  'qwen3-reranker/v1': '87d789ff2be5c1a6',
}
const FIT_FINGERPRINTS: Record<number, string> = {
  1: '7b8114820f5d2c13',
}

describe('cache key versions name what they version', () => {
  it('the Qwen3 prompt strings and joining rule match PROMPT_FORMAT_VERSION', () => {
    const prompt = fingerprint([QWEN3_PREFIX, QWEN3_SUFFIX, DEFAULT_INSTRUCTION, formatQwen3Query('<i>', '<q>'), formatQwen3Document('<d>')])
    expect(prompt, `the prompt changed: bump PROMPT_FORMAT_VERSION and record ${prompt} for it`).toBe(PROMPT_FINGERPRINTS[PROMPT_FORMAT_VERSION])
  })

  it('how documents are cut to fit matches FIT_VERSION', async () => {
    const counter = await loadQwen3Tokenizer()
    const bodies = documentKinds(3_000).map((kind) => [kind.name, typeof kind.document === 'string' ? kind.document : kind.document.text] as const)
    const cuts = bodies.flatMap(([name, body]) =>
      [MIN_DOCUMENT_TOKENS + 8, 120, 700].map((room) => {
        const { text, truncated } = fitDocument({ head: '[meta] ', body, tail: '' }, counter, room, room > 600 ? 300 : undefined)
        return [name, room, truncated, text.length, createHash('sha256').update(text).digest('hex').slice(0, 12)]
      })
    )
    expect(cuts.some(([, , truncated]) => truncated === true)).toBe(true)
    const fit = fingerprint(cuts)
    expect(fit, `the cut changed: bump FIT_VERSION and record ${fit} for it`).toBe(FIT_FINGERPRINTS[FIT_VERSION])
  }, 60_000)
})
