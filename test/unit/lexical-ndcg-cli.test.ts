/**
 * scripts/lexical-ndcg.ts as a command: a file it cannot read or parse is a one-line error
 * (exit status 1), not a stack. Its figures need the TREC data, which no test depends on.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'lexical-ndcg-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function run(args: readonly string[]) {
  return spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/lexical-ndcg.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  })
}

describe('lexical-ndcg command', () => {
  it('names a missing file in one line and exits 1', () => {
    const missing = join(dir, 'no-such-data.jsonl')
    const r = run([missing, join(dir, 'no-such-qrels.txt')])
    expect(r.stderr).toBe(`lexical-ndcg: ENOENT: no such file or directory, open '${missing}'\n`)
    expect(r.stdout).toBe('')
    expect(r.status).toBe(1)
  }, 60_000)

  it('names a malformed input line in one line and exits 1', () => {
    const data = join(dir, 'data.jsonl')
    writeFileSync(data, '{"qid": "q1", "query": "flea", "candidates": [{"docid": "d1", "text": "a flea"}]}\n')
    const qrels = join(dir, 'qrels.txt')
    writeFileSync(qrels, 'q1 0 d1\n')
    const r = run([data, qrels])
    expect(r.stderr).toBe('lexical-ndcg: line 1: qrels: expected "qid iter docno rel", got 3 fields\n')
    expect(r.status).toBe(1)
  }, 60_000)
})
