import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config'
import { zodToApiError } from '../errors'
import { mulberry32 } from '../lib/mulberry32'
import { fastRerankBody, parseRerankBody } from './rerank-body-fast-path'
import { BODY_LIMITS, rerankBodySchema } from './rerank-request'

const config = parseConfig({ MAX_DOCUMENTS: '5', MAX_DOCUMENT_CHARS: '20', MAX_QUERY_CHARS: '10', MAX_INSTRUCTION_CHARS: '12' })

/** What the route saw before the fast path: zod's result, as data (key order included) or the wire error. */
function viaZod(raw: Record<string, unknown>): string {
  const r = rerankBodySchema(config).safeParse(raw)
  return r.success ? `ok ${JSON.stringify(r.data)}` : `error ${zodToApiError(r.error).message}`
}

function viaRoute(raw: Record<string, unknown>): string {
  const r = parseRerankBody(config, raw)
  return r.success ? `ok ${JSON.stringify(r.data)}` : `error ${zodToApiError(r.error).message}`
}

describe('fastRerankBody', () => {
  it('takes the common shapes, with zod’s output: schema order, nulls and unknown fields dropped, a fresh array', () => {
    const documents = ['a', 'b', '河流']
    const common: Array<Record<string, unknown>> = [
      { query: 'q', documents },
      { documents, query: 'q', model: 'm', top_n: 2, return_documents: true },
      // cohere-ai 8 sends every unset optional as null (schemas/rerank-request.ts).
      { model: 'm', query: 'q', documents, top_n: null, max_chunks_per_doc: null, rank_fields: null, return_documents: null },
      { query: 'q', documents, colour: 'red', explain: false, top_k: 0, instruction: 'x'.repeat(12), user: 'u', max_tokens_per_doc: 1_000_000 },
    ]
    for (const raw of common) {
      const fast = fastRerankBody(raw, config)
      expect(fast).toBeDefined()
      expect(`ok ${JSON.stringify(fast)}`).toBe(viaZod(raw))
      expect(fast?.documents).not.toBe(raw.documents)
    }
  })

  it('declines what it does not check, so zod answers (and names the error) as before', () => {
    const declined: Array<Record<string, unknown>> = [
      { query: 'q', documents: [{ text: 'a' }] },
      { query: 'q', documents: ['a'], fusion: { weights: {} } },
      { query: 'q', documents: ['a'], now: '2024-01-01' },
      { query: '', documents: ['a'] },
      { query: 'q'.repeat(11), documents: ['a'] },
      { query: 'q', documents: [] },
      { query: 'q', documents: ['a', 'b', 'c', 'd', 'e', 'f'] },
      { query: 'q', documents: ['x'.repeat(21)] },
      { query: 'q', documents: ['a'], top_n: 1.5 },
      { query: 'q', documents: ['a'], top_n: 2 ** 53 },
      { query: 'q', documents: ['a'], max_tokens_per_doc: 0 },
      { query: 'q', documents: ['a'], return_documents: 'yes' },
      { query: null, documents: ['a'] },
      { query: 'q', documents: ['a'], user: 'u\ud800' },
    ]
    for (const raw of declined) {
      expect(fastRerankBody(raw, config)).toBeUndefined()
      expect(viaRoute(raw)).toBe(viaZod(raw))
    }
  })

  it('agrees with zod at each fixed limit and one past it (the two read the same BODY_LIMITS)', () => {
    const at: Array<[string, (n: number) => unknown, number]> = [
      ['model', (n) => 'm'.repeat(n), BODY_LIMITS.modelChars],
      ['template', (n) => 't'.repeat(n), BODY_LIMITS.idChars],
      ['experiment', (n) => 'e'.repeat(n), BODY_LIMITS.idChars],
      ['user', (n) => 'u'.repeat(n), BODY_LIMITS.userChars],
      ['max_tokens_per_doc', (n) => n, BODY_LIMITS.maxTokensPerDoc],
      ['instruction', (n) => 'i'.repeat(n), config.MAX_INSTRUCTION_CHARS],
    ]
    for (const [field, value, limit] of at) {
      for (const n of [limit, limit + 1]) {
        const raw = { query: 'q', documents: ['a'], [field]: value(n) }
        expect(viaRoute(raw), `${field} at ${n}`).toBe(viaZod(raw))
        if (n > limit) expect(viaZod(raw), `${field} past its limit`).toMatch(/^error /u)
      }
    }
  })

  it('agrees with zod on 3,000 random bodies (seed 17), valid and not', () => {
    const rand = mulberry32(17)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
    const strings = ['', 'a', 'x'.repeat(10), 'x'.repeat(11), 'x'.repeat(12), 'x'.repeat(13), 'x'.repeat(20), 'x'.repeat(21), 'x'.repeat(129), 'x'.repeat(257), '河流', '2024-03-01']
    const values: unknown[] = [...strings, null, true, false, 0, -0, 1, -1, 1.5, 2 ** 53, 1_000_000, 1_000_001, Number.MAX_SAFE_INTEGER, [], ['a'], {}, { text: 'a' }]
    const fields = ['model', 'top_n', 'top_k', 'return_documents', 'max_tokens_per_doc', 'max_chunks_per_doc', 'rank_fields', 'instruction', 'template', 'template_vars', 'experiment', 'user', 'time_decay', 'fusion', 'folding', 'explain', 'now', 'colour']
    let fastTaken = 0
    for (let n = 0; n < 3000; n++) {
      const raw: Record<string, unknown> = {}
      if (rand() < 0.95) raw.query = rand() < 0.8 ? pick(['q', '河', 'x'.repeat(10)]) : pick(values)
      if (rand() < 0.95) {
        const len = rand() < 0.9 ? 1 + Math.floor(rand() * 5) : pick([0, 6])
        raw.documents = Array.from({ length: len }, () => (rand() < 0.97 ? pick(['a', '河流', 'x'.repeat(20)]) : pick(values)))
      }
      for (const f of fields) if (rand() < 0.1) raw[f] = pick(values)
      if (fastRerankBody(raw, config) !== undefined) fastTaken++
      expect(viaRoute(raw), JSON.stringify(raw)).toBe(viaZod(raw))
    }
    // The comparison must cover the fast path itself, not only the fallback.
    expect(fastTaken).toBeGreaterThan(400)
  })
})
