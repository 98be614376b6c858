/**
 * The newcomer's path: `npm start` serves the rerank API on 127.0.0.1:$PORT with the embedded
 * lexical scorer, and Ctrl-C (SIGINT) or SIGTERM stops it without orphaned workerd processes.
 */
import { describe, expect, it } from 'vitest'
import { processesMatching, serve } from './serve'

const DOCS = [
  'Bananas are rich in potassium.',
  'Paris is the capital and largest city of France.',
  'The Eiffel Tower was completed in 1889.',
  'Lyon is known for its cuisine.',
  'France is a country in Western Europe; its capital is Paris.',
]

describe('npm start', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves /v1/rerank and stops cleanly on ${signal}`, async () => {
      const s = await serve()
      try {
        const res = await fetch(`${s.url}/v1/rerank`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'What is the capital of France?', documents: DOCS }),
        })
        expect(res.status).toBe(200)
        const json = (await res.json()) as { results: Array<{ index: number; relevance_score: number }>; meta: { backend: string } }
        expect(json.meta.backend).toBe('lexical')
        expect(json.results).toHaveLength(5)
        expect([1, 4]).toContain(json.results[0]?.index)
        const scores = json.results.map((r) => r.relevance_score)
        expect([...scores].sort((a, b) => b - a)).toEqual(scores)
        expect(s.output()).toMatch(/embedded lexical scorer/u)
        expect(s.output()).toMatch(/access is OPEN \(no API_KEYS configured\)/u)
        // workerd processes serving this port exist while it runs...
        expect((await processesMatching(`--port ${s.port}`)).length).toBeGreaterThan(0)
      } finally {
        await s.stop(signal)
      }
      // ...and none are left after the signal.
      await new Promise((r) => setTimeout(r, 1500))
      expect(await processesMatching(`--port ${s.port}`)).toEqual([])
      await expect(fetch(`${s.url}/healthz`)).rejects.toThrow()
    })
  }
})
