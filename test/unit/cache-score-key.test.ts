import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  canonicalScope,
  pairKeys,
  pairKeysSubtle,
  SCORE_KEY_SCHEMA,
  scopeDigest,
  scoreKeys,
  toBase64Url,
  type ScoreKeyScope,
} from '../../src/cache/score-key'

const scope: ScoreKeyScope = {
  namespace: 'public',
  backend: 'vllm',
  model: 'qwen3-reranker-8b',
  modelRevision: '1',
  promptFormat: 'qwen3-reranker/v1',
  instruction: 'Given a web search query, retrieve relevant passages that answer the query',
  query: 'capital of China',
  budget: '8192/-',
}

const FIELDS = ['namespace', 'backend', 'model', 'modelRevision', 'promptFormat', 'instruction', 'query', 'budget'] as const

async function keyOf(s: ScoreKeyScope, doc: string): Promise<string> {
  const [k] = await scoreKeys(s, [doc])
  return k as string
}

describe('score keys', () => {
  it('are "s1:" + base64url(SHA-256(hex(SHA-256(scope)) + "\\n" + document)), computed independently', async () => {
    const doc = 'Beijing is the capital of China.'
    const scopeHex = createHash('sha256').update(canonicalScope(scope)).digest('hex')
    const expected = 's1:' + createHash('sha256').update(`${scopeHex}\n${doc}`).digest('base64url')
    expect(await keyOf(scope, doc)).toBe(expected)
    expect(await scopeDigest(scope)).toBe(scopeHex)
    const subtle = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalScope(scope)))).toString('hex')
    expect(subtle).toBe(scopeHex)
    expect(expected).toMatch(/^s1:[A-Za-z0-9_-]{43}$/u)
  })

  it('name the schema version first in the canonical scope', () => {
    expect(JSON.parse(canonicalScope(scope))).toEqual([SCORE_KEY_SCHEMA, ...FIELDS.map((f) => scope[f])])
  })

  it('give one key per document, in order, equal for equal documents', async () => {
    const keys = await scoreKeys(scope, ['a', 'b', 'a'])
    expect(keys).toHaveLength(3)
    expect(keys[0]).toBe(keys[2])
    expect(keys[0]).not.toBe(keys[1])
    expect(keys[1]).toBe(await keyOf(scope, 'b'))
  })

  it('do not depend on the order in which the scope fields were given', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([...FIELDS], { minLength: FIELDS.length }), fc.string(), async (order, doc) => {
        const reordered = Object.fromEntries(order.map((f) => [f, scope[f]])) as unknown as ScoreKeyScope
        expect(await keyOf(reordered, doc)).toBe(await keyOf(scope, doc))
      }),
      { numRuns: 50 }
    )
  }, 30_000)

  it('change when any single input that reaches the model (or partitions tenants) changes', async () => {
    const doc = 'Beijing is the capital of China.'
    const base = await keyOf(scope, doc)
    const seen = new Set([base])
    for (const f of FIELDS) {
      const k = await keyOf({ ...scope, [f]: `${scope[f]}x` }, doc)
      expect(seen.has(k), f).toBe(false)
      seen.add(k)
    }
    for (const d of [`${doc} `, doc.toLowerCase(), doc.slice(0, -1), `${doc}\u0000`]) {
      const k = await keyOf(scope, d)
      expect(seen.has(k), JSON.stringify(d)).toBe(false)
      seen.add(k)
    }
    // Unicode: precomposed and decomposed "é" are different model inputs (no normalisation).
    expect(await keyOf({ ...scope, query: 'caf\u00e9' }, doc)).not.toBe(await keyOf({ ...scope, query: 'cafe\u0301' }, doc))
  })

  it('cannot be forged by moving characters across a field boundary', async () => {
    // Every adjacent pair of fields, and the scope/document boundary, with a shifted character.
    const doc = 'abc'
    const variants: Array<[ScoreKeyScope, string]> = []
    for (let i = 0; i + 1 < FIELDS.length; i++) {
      const a = FIELDS[i] as (typeof FIELDS)[number]
      const b = FIELDS[i + 1] as (typeof FIELDS)[number]
      variants.push([{ ...scope, [a]: `${scope[a]}"`, [b]: scope[b] }, doc])
      variants.push([{ ...scope, [a]: scope[a], [b]: `"${scope[b]}` }, doc])
      variants.push([{ ...scope, [a]: `${scope[a]}q`, [b]: scope[b].slice(1) }, doc])
    }
    variants.push([{ ...scope, query: `${scope.query}\n` }, doc])
    variants.push([scope, `\n${doc}`])
    variants.push([{ ...scope, query: `${scope.query}a` }, 'bc'])
    const keys = await Promise.all(variants.map(([s, d]) => keyOf(s, d)))
    expect(new Set([...keys, await keyOf(scope, doc)]).size).toBe(keys.length + 1)
  })

  it('differ for any two distinct (query, document) splits of the same text (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), fc.string(), fc.string(), async (q1, d1, q2, d2) => {
        fc.pre(q1 !== q2 || d1 !== d2)
        const k1 = await keyOf({ ...scope, query: q1 }, d1)
        const k2 = await keyOf({ ...scope, query: q2 }, d2)
        expect(k1).not.toBe(k2)
      }),
      { numRuns: 200 }
    )
  }, 30_000)

  it('are the same whether derived from the midstate (JS) or one crypto.subtle digest per document', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ minLength: 500, maxLength: 600 })), { maxLength: 8 }), async (ds) => {
        const hex = await scopeDigest(scope)
        expect(await pairKeys(hex, ds)).toEqual(await pairKeysSubtle(hex, ds))
      }),
      { numRuns: 40 }
    )
  }, 30_000)
})

describe('score keys of text with lone surrogates', () => {
  it('never give a lone surrogate the key of its U+FFFD twin, short (JS) or long (crypto.subtle)', async () => {
    const hex = await scopeDigest(scope)
    for (const pad of ['', 'p'.repeat(600)]) {
      const lone = [`${pad}caf\ud800`, `${pad}\udc00x`, `${pad}a\udbff`]
      const twins = lone.map((d) => d.replace(/[\ud800-\udfff]/gu, '\ufffd'))
      const keys = await pairKeys(hex, [...lone, ...twins])
      expect(new Set(keys).size).toBe(keys.length)
      expect(await pairKeysSubtle(hex, [...lone, ...twins])).toEqual(keys)
    }
  })

  it('hash a lone surrogate as WTF-8 (ED A0 80), computed independently', async () => {
    const doc = 'x\ud800y'
    const scopeHex = createHash('sha256').update(canonicalScope(scope)).digest('hex')
    const bytes = Buffer.concat([Buffer.from(`${scopeHex}\nx`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('y')])
    expect(await keyOf(scope, doc)).toBe('s1:' + createHash('sha256').update(bytes).digest('base64url'))
  })
})

describe('toBase64Url', () => {
  it('matches Node for every length remainder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'))
      })
    )
  }, 30_000)
})
