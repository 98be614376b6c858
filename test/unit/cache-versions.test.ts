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
import { FIT_VERSION, fitDocument, fitPreparedDocuments, MIN_DOCUMENT_TOKENS, prepareQwen3Pairs } from '../../src/backends/vllm/qwen3-token-budget'
import { loadQwen3Tokenizer } from '../../src/backends/vllm/qwen3-tokenizer'
import { foldDocumentParts, type FoldedDocument } from '../../src/documents/fold'
import { documentKinds } from '../fixtures/document-kinds'

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)

/** Each version and the fingerprint of what it names: add a line when you bump one, never edit one. */
const PROMPT_FINGERPRINTS: Record<string, string> = {
  'qwen3-reranker/v1': '87d789ff2be5c1a6',
}
const FIT_FINGERPRINTS: Record<number, string> = {
  1: '7b8114820f5d2c13',
}
/**
 * The same version seen from the cache's side: what a keyed (prepared) document becomes when it is
 * sent. `fitDocument` alone leaves out the decoding of the keyed string into head, body and tail
 * (qwen3-prepared-document.ts), the room the query leaves (`fitQwen3Pairs`), the tail kept after a
 * cut, metadata too long to keep, and the caller's cap: a change to any of them re-cuts documents
 * under unchanged keys as surely as a change to `fitDocument`.
 */
const SENT_FINGERPRINTS: Record<number, string> = {
  1: '1f7eb7fb61290eb6',
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

  it('what a keyed document becomes when sent (prepare, then fit under its budget) matches FIT_VERSION', async () => {
    const counter = await loadQwen3Tokenizer()
    const load = async () => counter
    const documents: FoldedDocument[] = documentKinds(2_000).flatMap((kind) => {
      const folded = foldDocumentParts(kind.document)
      const body = folded.body
      return [
        folded,
        { head: '[2024-03] [Source: Court] ', body, tail: ' [stock: 127] [price: 9.9]' },
        { head: '', body, tail: '【库存: 127件】' },
        // Metadata alone over the smaller rooms: the whole folded text is cut as one body.
        { head: `[Source: ${'a very long source name '.repeat(12)}] `, body, tail: ' [sku: KT-1700-SS]' },
        // Short enough to fit most budgets by the byte bound, without the tokenizer.
        { head: '[2024] ', body: body.slice(0, 40), tail: ' [new: yes]' },
      ]
    })
    const calls = [
      { instruction: 'Prefer documents with code examples', query: 'kettle' },
      { instruction: 'Given a web search query, retrieve relevant passages that answer the query', query: 'interest rates and inflation '.repeat(8) },
    ]
    const sent = []
    for (const call of calls) {
      for (const maxModelLen of [200, 700, 4096]) {
        for (const maxTokensPerDoc of [undefined, 60]) {
          const prepared = await prepareQwen3Pairs({ ...call, documents, maxTokensPerDoc }, maxModelLen, load)
          const budget = prepared.budget as NonNullable<typeof prepared.budget>
          const fit = await fitPreparedDocuments(prepared, prepared.documents, budget, load)
          sent.push([maxModelLen, maxTokensPerDoc ?? null, fit.cut, fit.documents.map((d) => createHash('sha256').update(d).digest('hex').slice(0, 12))])
        }
      }
    }
    expect(sent.some(([, , cut]) => (cut as number[]).length > 0)).toBe(true)
    expect(sent.some(([, , cut]) => (cut as number[]).length < documents.length)).toBe(true)
    const fit = fingerprint(sent)
    expect(fit, `what a keyed document becomes changed: bump FIT_VERSION and record ${fit} for it`).toBe(SENT_FINGERPRINTS[FIT_VERSION])
  }, 120_000)
})
