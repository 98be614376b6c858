/**
 * The offline evaluation's cost promise (README "Offline evaluation"): a second run of the same
 * `npm run eval` forwards 0 pairs to the backend, because every variant's pairs are cached under
 * that variant's instruction. Real path end to end: `npm start` (wrangler dev) against a fake vLLM
 * server, `npm run eval` run twice as a child process on a tiny synthetic data set. The data carry a
 * fresh nonce, so the first run cannot be served by a cache left over from an earlier test run
 * (.wrangler/state persists).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeVllm, type FakeVllm } from '../fakes/fake-vllm'
import { serve, type Served } from './serve'

const ROOT = new URL('../..', import.meta.url).pathname

interface EvalJson {
  variants: { name: string; pairs_scored: number; pairs_cached: number; requests: number; queries_evaluated: number; metrics: Record<string, number> }[]
}

function runEval(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'eval', '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => resolve({ code, out }))
  })
}

describe('npm run eval twice through the worker', () => {
  let fake: FakeVllm
  let served: Served
  let dir: string
  const nonce = `n${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
  const instance = `eval-${nonce}`

  beforeAll(async () => {
    fake = await startFakeVllm({ port: 0 })
    served = await serve({ VLLM_URLS: `${fake.url}/i/${instance}` }, 120_000)
    dir = mkdtempSync(join(tmpdir(), 'rerank-eval-'))
    const topics = [
      ['q1', 'how do solar panels produce electricity'],
      ['q2', 'symptoms of vitamin d deficiency'],
      ['q3', 'best way to store fresh basil'],
    ]
    const lines: string[] = []
    const qrels: string[] = []
    for (const [qid, query] of topics) {
      const candidates = Array.from({ length: 5 }, (_, i) => ({
        docid: `${qid}-d${i}`,
        // The nonce makes every pair new to the cache on the first run.
        text: i === 0 ? `${query}: a direct answer (${nonce})` : `unrelated passage ${i} about something else (${nonce})`,
        bm25_rank: i + 1,
      }))
      lines.push(JSON.stringify({ qid, query, candidates }))
      candidates.forEach((c, i) => qrels.push(`${qid} 0 ${c.docid} ${i === 0 ? 3 : 0}`))
    }
    writeFileSync(join(dir, 'data.jsonl'), `${lines.join('\n')}\n`)
    writeFileSync(join(dir, 'qrels.txt'), `${qrels.join('\n')}\n`)
  }, 150_000)

  afterAll(async () => {
    await served?.stop()
    await fake?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('scores every pair once on the first run and forwards 0 pairs on the second', async () => {
    const args = (out: string) => [
      '--data', join(dir, 'data.jsonl'),
      '--qrels', join(dir, 'qrels.txt'),
      '--base-url', served.url,
      '--variant', 'plain=Given a web search query, retrieve relevant passages that answer the query',
      '--variant', 'terse=Find the passage that answers the question directly',
      '--json', join(dir, out),
      '-l', '2',
    ]
    const first = await runEval(args('first.json'))
    expect(first.code, first.out).toBe(0)
    const backendPairsAfterFirst = fake.instance(instance).requests.reduce((n, r) => n + ((r.body as { documents?: unknown[] }).documents?.length ?? 0), 0)
    const one = JSON.parse(readFileSync(join(dir, 'first.json'), 'utf8')) as EvalJson
    // 3 queries × 5 candidates per variant, all new: all scored by the backend.
    expect(one.variants.map((v) => [v.name, v.pairs_scored, v.pairs_cached])).toEqual([
      ['plain', 15, 0],
      ['terse', 15, 0],
    ])
    expect(backendPairsAfterFirst).toBe(30)

    const second = await runEval(args('second.json'))
    expect(second.code, second.out).toBe(0)
    const two = JSON.parse(readFileSync(join(dir, 'second.json'), 'utf8')) as EvalJson
    expect(two.variants.map((v) => [v.name, v.pairs_scored, v.pairs_cached])).toEqual([
      ['plain', 0, 15],
      ['terse', 0, 15],
    ])
    // Not one more pair reached the backend, and the figures are the same.
    const backendPairsAfterSecond = fake.instance(instance).requests.reduce((n, r) => n + ((r.body as { documents?: unknown[] }).documents?.length ?? 0), 0)
    expect(backendPairsAfterSecond).toBe(backendPairsAfterFirst)
    expect(two.variants.map((v) => v.metrics)).toEqual(one.variants.map((v) => v.metrics))
    expect(second.out).toMatch(/scored\s+cached/)
  }, 120_000)
})
