/**
 * @module bench/passages
 * Deterministic, realistic retrieval passages: 300–2,000 characters (mean ≈ 1,150), mixed words,
 * numbers and punctuation, a few with non-ASCII text, so that request bodies, keys and replies
 * have the sizes of real RAG candidates (short synthetic documents flatter a cache's figures).
 */
import { mulberry32 } from '../../src/lib/mulberry32'

const WORDS = [
  'river', 'delta', 'harbour', 'council', 'budget', 'rainfall', 'bridge', 'railway', 'market', 'census', 'flood', 'irrigation',
  'population', 'export', 'fishery', 'canal', 'museum', 'school', 'hospital', 'tariff', 'growth', 'drought', 'policy', 'survey',
]

const rng = mulberry32

/** Passage `i`: the same text for the same `i`, 300–2,000 characters. */
export function realisticPassage(i: number): string {
  const r = rng(i * 2654435761 + 17)
  const target = 300 + Math.floor(r() * 1701)
  let s = `Passage ${i}. `
  while (s.length < target) {
    const len = 8 + Math.floor(r() * 14)
    const words: string[] = []
    for (let w = 0; w < len; w++) words.push(WORDS[Math.floor(r() * WORDS.length)] as string)
    if (r() < 0.3) words.push(String(Math.floor(r() * 100_000)))
    if (r() < 0.04) words.push('河流三角洲')
    s += `${words.join(' ')}${r() < 0.2 ? ';' : '.'} `
  }
  return s.slice(0, target)
}
