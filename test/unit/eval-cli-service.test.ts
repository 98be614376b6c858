/**
 * `npm run eval` and the service's access control and backends: the API key (flag and
 * RERANK_API_KEY), and the warning when the backend ignores instructions (the lexical scorer, as
 * the real service reports it in `meta.warnings`), against the stand-in service of eval-cli-fixture.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../scripts/eval'
import { capture, DATA, LEXICAL_WARNING, QRELS, startFakeService } from './eval-cli-fixture'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eval-cli-svc-'))
  writeFileSync(join(dir, 'data.jsonl'), `${DATA.map((q) => JSON.stringify(q)).join('\n')}\n`)
  writeFileSync(join(dir, 'qrels.txt'), QRELS)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('eval CLI, keys and backends', () => {
  it('sends the API key from --api-key, else from RERANK_API_KEY, and never prints it', async () => {
    const keyed = await startFakeService('vllm', 'k-eval_123')
    try {
      const args = ['--data', join(dir, 'data.jsonl'), '--qrels', join(dir, 'qrels.txt'), '--base-url', keyed.url, '--concurrency', '1']
      const flag = capture()
      expect(await main([...args, '--api-key', 'k-eval_123'], { ...flag.io, env: { RERANK_API_KEY: 'wrong' } })).toBe(0)
      expect(keyed.requests.map((r) => r.authorization)).toEqual(['Bearer k-eval_123', 'Bearer k-eval_123', 'Bearer k-eval_123'])
      keyed.requests.length = 0
      const env = capture()
      expect(await main(args, { ...env.io, env: { RERANK_API_KEY: 'k-eval_123' } })).toBe(0)
      expect(keyed.requests.every((r) => r.authorization === 'Bearer k-eval_123')).toBe(true)
      // A wrong key: the service's 401 is reported, the key is not.
      const bad = capture()
      expect(await main([...args, '--api-key', 'not-the-key'], { ...bad.io, env: {} })).toBe(1)
      expect(bad.err).toMatch(/HTTP 401: unauthorized missing or unknown API key \(the key from --api-key or RERANK_API_KEY was refused\)/)
      expect(bad.out + bad.err).not.toContain('not-the-key')
      // No key at all: no Authorization header.
      keyed.requests.length = 0
      const none = capture()
      expect(await main(args, { ...none.io, env: {} })).toBe(1)
      expect(keyed.requests[0]?.authorization).toBeUndefined()
      expect(none.err).toMatch(/HTTP 401: unauthorized missing or unknown API key \(pass --api-key or set RERANK_API_KEY\)/)
    } finally {
      await new Promise<void>((ok) => keyed.server.close(() => ok()))
    }
  })

  it('says when the backend ignores instructions: identical rows are not a result', async () => {
    const lexical = await startFakeService('lexical')
    try {
      const json = join(dir, 'lex.json')
      const args = ['--data', join(dir, 'data.jsonl'), '--qrels', join(dir, 'qrels.txt'), '--base-url', lexical.url, '-l', '2']
      const c = capture()
      expect(await main([...args, '--variant', 'default', '--variant', 'rev=reverse the order', '--json', json], { ...c.io, env: {} })).toBe(0)
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        variants: Array<{ backend: string; instructions_ignored: boolean; warnings: string[]; metrics: Record<string, number> }>
        comparisons: Array<{ measures: Record<string, { ties: number; mean_difference: number; paired_t: { p_value: number | null }; randomisation: { p_value: number } }> }>
        warnings: string[]
      }
      expect(report.variants.map((v) => [v.backend, v.instructions_ignored])).toEqual([
        ['lexical', true],
        ['lexical', true],
      ])
      expect(report.variants[1]?.warnings).toEqual([LEXICAL_WARNING])
      // The instruction changed nothing: every query ties, both tests say p = 1.
      expect(report.variants[1]?.metrics).toEqual(report.variants[0]?.metrics)
      expect(report.comparisons[0]?.measures.ndcg_cut_10).toMatchObject({ ties: 3, mean_difference: 0, paired_t: { p_value: 1 }, randomisation: { p_value: 1 } })
      // The service's own warning is quoted; "default" has no instruction, so nothing to warn about.
      expect(report.warnings).toEqual([
        `warning: variant "rev" was scored by backend "lexical", which ignores instructions: its instruction had no effect (service: "${LEXICAL_WARNING}")`,
        'warning: the variants were scored without their instructions, so their differences mean nothing; evaluate against a backend that reads instructions (vLLM)',
      ])
      for (const w of report.warnings) expect(c.out).toContain(`${w}\n`)
      expect(c.out).not.toMatch(/variant "default" was scored/)
      expect(c.out).toContain('the lexical scorer is not cached: every run scores all its pairs again')
      expect(readFileSync(join(dir, 'lex.svg'), 'utf8')).toContain('which ignores instructions')
    } finally {
      await new Promise<void>((ok) => lexical.server.close(() => ok()))
    }
  })

  it('fails before any call when no query is both judged and in the data (wrong qrels, empty data)', async () => {
    writeFileSync(join(dir, 'other-qrels.txt'), 'zz 0 a1 1\n')
    writeFileSync(join(dir, 'empty.jsonl'), '')
    let calls = 0
    const fetch = () => {
      calls++
      return Promise.reject(new TypeError('fetch failed'))
    }
    for (const [data, qrels] of [
      ['data.jsonl', 'other-qrels.txt'],
      ['empty.jsonl', 'qrels.txt'],
    ] as const) {
      const c = capture()
      expect(await main(['--data', join(dir, data), '--qrels', join(dir, qrels)], { ...c.io, fetch, env: {} }), data).toBe(1)
      expect(c.err).toContain('eval: no query is in both the data (with candidates) and the qrels\n')
      expect(c.out).toBe('') // no table of zeros
    }
    expect(calls).toBe(0)
  })
})
