/**
 * Metadata folding, time decay and score fusion end to end (README "Templates, metadata and
 * fusion"): what the backend reads,
 * how final scores are fused after the (cached) model scores, `explain`, reproducibility with a
 * fixed `now`, and order invariance under permutation of the input documents.
 */
import { describe, expect, it } from 'vitest'
import { fakeVllm, rerank, type WireJson } from './helpers'

const NOW = '2025-06-01T00:00:00Z'

interface Explained {
  final: number
  model_score: number
  components: { semantic: number; business: number | null; time: number | null }
  weights: { semantic: number; business: number; time: number }
  fired: string[]
  points: number[]
  time?: { score: number; age_days: number | null; rule: string; published_at: string | null; reason: string }
}

const explanation = (r: WireJson['results'][number]) => r.explanation as unknown as Explained

function expectUnitScores(json: WireJson) {
  for (const r of json.results) {
    expect(Number.isFinite(r.relevance_score)).toBe(true)
    expect(r.relevance_score).toBeGreaterThanOrEqual(0)
    expect(r.relevance_score).toBeLessThanOrEqual(1)
  }
  const scores = json.results.map((r) => r.relevance_score)
  expect([...scores].sort((a, b) => b - a)).toEqual(scores)
}

describe('time decay', () => {
  const text = 'Autoscaling LLM inference on Kubernetes: a practical guide.'
  const documents = [
    { id: 'old', text, published_at: '2023-01-15' },
    { id: 'new', text, published_at: '2025-05-01' },
  ]
  const body = {
    query: 'kubernetes llm autoscaling (time decay test)',
    documents,
    time_decay: { kind: 'exponential', half_life_days: 90 },
    explain: true,
    now: NOW,
    // Dates off the model's text, so the two documents are identical to the model: only time differs.
    folding: { date: 'off' },
  }

  it('ranks the newer of two otherwise identical documents first, and explain says why', async () => {
    const fake = fakeVllm('decay')
    const { status, json } = await rerank(body, { vars: { VLLM_URLS: fake.url } })
    expect(status).toBe(200)
    expectUnitScores(json)
    expect(json.results.map((r) => r.index)).toEqual([1, 0])
    const [newer, older] = json.results.map(explanation) as [Explained, Explained]
    // Same model score: the time component alone decides.
    expect(newer.model_score).toBe(older.model_score)
    expect(newer.components.semantic).toBe(newer.model_score)
    expect(newer.components.time).toBeGreaterThan(older.components.time ?? 1)
    expect(newer.time).toMatchObject({ rule: 'aged', age_days: 31, published_at: '2025-05-01' })
    expect(older.time).toMatchObject({ rule: 'aged', age_days: 868, published_at: '2023-01-15' })
    expect(newer.time?.score).toBeCloseTo(Math.pow(0.5, 31 / 90), 12)
    expect(newer.time?.reason).toMatch(/31\.00 days before now; exponential decay with a 90-day half-life/u)
    // No boost rules: business is left out and its weight shared (0.6 / 0.1 → 6/7, 1/7).
    expect(newer.components.business).toBeNull()
    expect(newer.weights.semantic).toBeCloseTo(6 / 7, 12)
    expect(newer.weights.time).toBeCloseTo(1 / 7, 12)
    for (const e of [newer, older]) {
      expect(e.final).toBeCloseTo(e.weights.semantic * e.model_score + e.weights.time * (e.components.time ?? 0), 12)
    }
    expect(json.results[0]?.relevance_score).toBe(newer.final)
    expect(json.meta.fusion).toEqual({
      weights: newer.weights,
      boosts: [],
      time_decay: { kind: 'exponential', half_life_days: 90, missing: 0.5 },
      now: '2025-06-01T00:00:00.000Z',
    })
  })

  it('gives the same output on every run with a fixed now, and a different one with another now', async () => {
    const fake = fakeVllm('decay-replay')
    const vars = { VLLM_URLS: fake.url }
    const first = await rerank(body, { vars })
    const second = await rerank(body, { vars })
    expect(second.json.results).toEqual(first.json.results)
    expect(second.json.meta.fusion).toEqual(first.json.meta.fusion)
    const later = await rerank({ ...body, now: '2026-06-01T00:00:00Z' }, { vars })
    expect(later.json.results.map((r) => explanation(r).time?.age_days)).toEqual([396, 1233])
    expect(later.json.results[0]?.relevance_score).not.toBe(first.json.results[0]?.relevance_score)
  })

  it('handles step decay and undated documents by the stated rules', async () => {
    const fake = fakeVllm('decay-step')
    const { json } = await rerank(
      {
        query: 'kubernetes llm autoscaling (step decay test)',
        documents: [
          { id: 'fresh', text, published_at: '2025-05-20' },
          { id: 'stale', text, published_at: '2025-03-01' },
          { id: 'undated', text },
          { id: 'future', text, published_at: '2025-07-01' },
        ],
        time_decay: { kind: 'step', after_days: 30, factor: 0.8 },
        folding: { date: 'off' },
        explain: true,
        now: NOW,
      },
      { vars: { VLLM_URLS: fake.url } }
    )
    const byId = new Map(json.results.map((r) => [(r.document as { id: string }).id, explanation(r)]))
    expect(byId.get('fresh')?.time).toMatchObject({ score: 1, rule: 'aged' })
    expect(byId.get('stale')?.time).toMatchObject({ score: 0.8, rule: 'aged' })
    expect(byId.get('stale')?.time?.reason).toMatch(/after 30 days × 0\.8/u)
    expect(byId.get('undated')?.time).toMatchObject({ score: 0.5, rule: 'missing', age_days: null, published_at: null })
    expect(byId.get('future')?.time).toMatchObject({ score: 1, rule: 'future', age_days: 0 })
    // fresh and future tie on every score: the document id breaks the tie.
    expect(json.results.map((r) => (r.document as { id: string }).id)).toEqual(['fresh', 'future', 'stale', 'undated'])
  })

  it('applies top_n after fusion', async () => {
    const fake = fakeVllm('decay-topn')
    const { json } = await rerank({ ...body, top_n: 1 }, { vars: { VLLM_URLS: fake.url } })
    expect(json.results).toHaveLength(1)
    expect(json.results[0]?.index).toBe(1)
  })
})

describe('fusion', () => {
  const documents = [
    { id: 'p1', text: 'Linen summer dress, loose fit, natural colour.', fields: { stock: 0, is_new: false, sales: 40 } },
    { id: 'p2', text: 'Linen summer dress, relaxed cut, real photos.', fields: { stock: 12, is_new: true, sales: 5000 } },
    { id: 'p3', text: 'Wool winter coat, tailored.', fields: { stock: 3, is_new: true, sales: 200 } },
  ]

  it('without fusion inputs the score is exactly the model score, with no explanation', async () => {
    const fake = fakeVllm('plain')
    const { json } = await rerank({ query: 'linen summer dress (plain test)', documents }, { vars: { VLLM_URLS: fake.url } })
    const [req] = await fake.requests()
    for (const r of json.results) {
      expect(r.relevance_score).toBe(req?.scores?.[r.index])
      expect(r).not.toHaveProperty('explanation')
    }
    expect(json.meta).not.toHaveProperty('fusion')
  })

  it('fuses per-call weights with boost rules and explains the fired rules', async () => {
    const fake = fakeVllm('boosts')
    const { status, json } = await rerank(
      {
        query: 'linen summer dress (boost test)',
        documents,
        fusion: { weights: { semantic: 1, business: 1 }, boosts: [{ name: 'in-stock', when: { field: 'stock', gt: 0 }, add: 0.2 }] },
        explain: true,
      },
      { vars: { VLLM_URLS: fake.url } }
    )
    expect(status).toBe(200)
    expectUnitScores(json)
    const [req] = await fake.requests()
    for (const r of json.results) {
      const e = explanation(r)
      const inStock = documents[r.index]?.fields.stock !== 0
      expect(e.model_score).toBe(req?.scores?.[r.index])
      expect(e.fired).toEqual(inStock ? ['in-stock'] : [])
      expect(e.components.business).toBe(inStock ? 1 : 0)
      expect(e.components.time).toBeNull()
      expect(e.weights).toEqual({ semantic: 0.5, business: 0.5, time: 0 })
      expect(r.relevance_score).toBeCloseTo(0.5 * e.model_score + 0.5 * (e.components.business ?? 0), 12)
    }
    expect(json.meta.fusion).toMatchObject({ boosts: ['in-stock'], weights: { semantic: 0.5, business: 0.5, time: 0 } })
    // The out-of-stock dress loses to both in-stock products.
    expect(json.results.at(-1)?.index).toBe(0)
  })

  it("uses a template's default boosts, which the call can switch off", async () => {
    const fake = fakeVllm('tpl-boosts')
    const base = { query: 'linen summer dress (template boosts)', documents, template: 'ecommerce-buyer', explain: true }
    const { json } = await rerank(base, { vars: { VLLM_URLS: fake.url } })
    expect(json.meta.fusion).toMatchObject({ boosts: ['new-arrival', 'high-sales'] })
    const p2 = json.results.find((r) => r.index === 1)
    expect(explanation(p2 as WireJson['results'][number]).fired).toEqual(['new-arrival', 'high-sales'])
    expect(json.results[0]?.index).toBe(1)
    const off = await rerank({ ...base, fusion: { boosts: [] } }, { vars: { VLLM_URLS: fake.url } })
    for (const r of off.json.results) {
      expect(explanation(r).components.business).toBeNull()
      expect(r.relevance_score).toBe(explanation(r).model_score)
    }
  })

  it.each([
    ['time_decay without a half-life', { time_decay: { kind: 'exponential' } }, 'time_decay.half_life_days'],
    ['increasing step factors', { time_decay: { kind: 'step', steps: [{ after_days: 10, factor: 0.5 }, { after_days: 20, factor: 0.9 }] } }, 'time_decay.steps'],
    ['all-zero weights', { fusion: { weights: { semantic: 0, business: 0, time: 0 } } }, 'fusion.weights'],
    ['weight only on a missing component', { fusion: { weights: { semantic: 0, business: 1 } } }, 'fusion.weights'],
    ['a bad boost operand', { fusion: { boosts: [{ when: { field: 'stock', gte: 'many' }, add: 0.1 }] } }, 'fusion.boosts[0].when.gte'],
    ['a negative weight', { fusion: { weights: { time: -1 } } }, 'fusion.weights.time'],
    ['a bad folding language', { folding: { language: 'fr' } }, 'folding.language'],
    ['a non-date now', { now: '2025-02-30' }, 'now'],
  ])('answers 400 naming the field for %s, without calling the backend', async (_label, extra, field) => {
    const fake = fakeVllm('fusion-400')
    const { status, json } = await rerank({ query: 'q', documents, ...extra }, { vars: { VLLM_URLS: fake.url } })
    expect(status).toBe(400)
    expect(json.error.field).toBe(field)
    expect(await fake.requests()).toHaveLength(0)
  })
})

describe('metadata folding', () => {
  it('writes date, source and fields into what the model reads (English default), leaving plain strings alone', async () => {
    const fake = fakeVllm('fold-en')
    const doc = { id: 'd1', text: 'Linen dress, loose fit.', published_at: '2024-03-15T10:00:00+08:00', source: 'Shop A', fields: { stock: 127, price: 9.9, on_sale: true } }
    const { json } = await rerank({ query: 'linen dress (fold en)', documents: [doc, 'A plain string document.'] }, { vars: { VLLM_URLS: fake.url } })
    const [req] = await fake.requests()
    expect(req?.parsed?.documents).toEqual([
      '[2024-03] [Source: Shop A] Linen dress, loose fit. [on_sale: yes] [price: 9.9] [stock: 127]',
      'A plain string document.',
    ])
    // The caller gets their own document back, not the folded text.
    expect(json.results.find((r) => r.index === 0)?.document).toEqual(doc)
  })

  it('folds in Chinese with labels and units, per call or through the FOLDING var', async () => {
    const documents = [
      { text: '关于合同纠纷的再审判决。', published_at: '2024-03-02', source: '最高人民法院公报' },
      { text: '亚麻连衣裙，宽松版型。', fields: { stock: 127, color: '米白' } },
    ]
    const folding = { language: 'zh', fields: ['stock'], field_labels: { stock: { label: '库存', unit: '件' } } }
    const expected = ['[2024-03] [来源: 最高人民法院公报] 关于合同纠纷的再审判决。', '亚麻连衣裙，宽松版型。【库存: 127件】']
    const perCall = fakeVllm('fold-zh')
    await rerank({ query: '合同纠纷 (fold zh)', documents, folding }, { vars: { VLLM_URLS: perCall.url } })
    expect((await perCall.requests())[0]?.parsed?.documents).toEqual(expected)
    const byVar = fakeVllm('fold-var')
    await rerank({ query: '合同纠纷 (fold var)', documents }, { vars: { VLLM_URLS: byVar.url, FOLDING: JSON.stringify(folding) } })
    expect((await byVar.requests())[0]?.parsed?.documents).toEqual(expected)
    // The call's options merge over the var's, key by key.
    const merged = fakeVllm('fold-merge')
    await rerank({ query: '合同纠纷 (fold merge)', documents, folding: { date: 'day', source: false } }, { vars: { VLLM_URLS: merged.url, FOLDING: JSON.stringify(folding) } })
    expect((await merged.requests())[0]?.parsed?.documents).toEqual(['[2024-03-02] 关于合同纠纷的再审判决。', expected[1]])
  })

  it('refuses a bad FOLDING var, naming it', async () => {
    const { status, json } = await rerank({ query: 'q', documents: ['a'] }, { vars: { VLLM_URLS: '', FOLDING: '{"date":"week"}' } })
    expect(status).toBe(500)
    expect(json.error.message).toMatch(/FOLDING: date: /u)
  })

  it('keeps the metadata when a long document is truncated', async () => {
    const fake = fakeVllm('fold-trunc')
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ')
    const { json } = await rerank(
      { query: 'q (fold truncation)', documents: [{ text: long, published_at: '2024-03-01', fields: { stock: 127 } }], max_tokens_per_doc: 60 },
      { vars: { VLLM_URLS: fake.url } }
    )
    const sent = (await fake.requests())[0]?.parsed?.documents[0] ?? ''
    expect(sent.startsWith('[2024-03] word0 word1')).toBe(true)
    expect(sent.endsWith(' [stock: 127]')).toBe(true)
    expect(sent.length).toBeLessThan(long.length)
    expect(json.meta.truncated_documents).toBe(1)
  })

  it('lets the lexical scorer match folded metadata too', async () => {
    const documents = [
      { text: 'Markets rallied after the central bank decision.', source: 'Bloomberg' },
      { text: 'Markets rallied after the central bank decision.', source: 'Reuters' },
    ]
    const folded = await rerank({ query: 'reuters markets', documents }, { vars: { VLLM_URLS: '' } })
    expect(folded.json.meta.backend).toBe('lexical')
    expect(folded.json.results[0]?.index).toBe(1)
    expect(folded.json.results[0]?.relevance_score).toBeGreaterThan(folded.json.results[1]?.relevance_score ?? 1)
    const unfolded = await rerank({ query: 'reuters markets', documents, folding: { source: false } }, { vars: { VLLM_URLS: '' } })
    expect(unfolded.json.results[0]?.relevance_score).toBe(unfolded.json.results[1]?.relevance_score)
  })
})

describe('property: permuting the input documents does not change the output order', () => {
  // Includes exact duplicates (same text and metadata, different ids): their scores tie at every
  // stage, so only the id tie-break can keep the order stable.
  const documents = [
    { id: 'a', text: 'Linen summer dress with real photos.', published_at: '2025-05-01', fields: { is_new: true, sales: 1200 } },
    { id: 'b', text: 'Linen summer dress with real photos.', published_at: '2025-05-01', fields: { is_new: true, sales: 1200 } },
    { id: 'c', text: 'Cotton summer dress.', published_at: '2024-11-20', fields: { is_new: false, sales: 300 } },
    { id: 'd', text: 'Linen trousers, loose fit.', published_at: '2023-06-01', fields: { sales: 5000 } },
    { id: 'e', text: 'Winter wool coat.' },
    { id: 'f', text: 'Winter wool coat.' },
    { id: 'g', text: 'Linen summer dress, plus sizes.', published_at: '2025-04-10', fields: { is_new: true } },
    { id: 'h', text: 'Silk scarf.', published_at: '2022-01-01', fields: { sales: 10 } },
  ]

  /** mulberry32: a seeded PRNG, so every run tries the same permutations. */
  function rng(seed: number): () => number {
    let t = seed >>> 0
    return () => {
      t = (t + 0x6d2b79f5) >>> 0
      let x = Math.imul(t ^ (t >>> 15), 1 | t)
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296
    }
  }
  function shuffle<T>(items: readonly T[], seed: number): T[] {
    const out = [...items]
    const next = rng(seed)
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      ;[out[i], out[j]] = [out[j] as T, out[i] as T]
    }
    return out
  }

  async function ranking(extra: Record<string, unknown>, docs: typeof documents, url: string) {
    const { status, json } = await rerank({ query: 'linen summer dress (permutation)', documents: docs, ...extra }, { vars: { VLLM_URLS: url } })
    expect(status).toBe(200)
    expectUnitScores(json)
    return json.results.map((r) => ({ id: docs[r.index]?.id, score: r.relevance_score }))
  }

  it.each([
    ['fusion and time decay', { template: 'ecommerce-buyer', time_decay: { kind: 'exponential', half_life_days: 60 }, now: NOW, explain: true }],
    ['a plain call', {}],
  ])('with %s', async (_label, extra) => {
    const fake = fakeVllm('perm')
    const baseline = await ranking(extra, documents, fake.url)
    expect(baseline).toHaveLength(documents.length)
    // The duplicates are adjacent and in id order.
    const ids = baseline.map((r) => r.id)
    expect(Math.abs(ids.indexOf('a') - ids.indexOf('b'))).toBe(1)
    expect(ids.indexOf('a')).toBeLessThan(ids.indexOf('b'))
    expect(ids.indexOf('e')).toBeLessThan(ids.indexOf('f'))
    for (let seed = 1; seed <= 6; seed++) {
      const permuted = shuffle(documents, seed)
      expect(await ranking(extra, permuted, fake.url), `seed ${seed}`).toEqual(baseline)
    }
  })
})
