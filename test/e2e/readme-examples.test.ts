/**
 * The README's own commands, run as a newcomer pastes them: the shell blocks of "Try it" and
 * "Experiments" go to `bash` against a real `npm start` (fresh state, the embedded lexical scorer),
 * with only `localhost:8787` pointed at this test's port and the browser-only `open` line left
 * out. "Try it" must print what the README shows (the same top results and scores, the same
 * usage figures); the experiment block must leave the exposure, click, grade and conversion it
 * describes in the report. A README edit that stops matching the service fails here.
 */
import { execFile } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectCopy, REPO_ROOT, serve, type Served } from './serve'

const run = promisify(execFile)
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')

/** The text of `## title` up to the next level-2 heading. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`)
  if (start < 0) throw new Error(`README has no "## ${title}" section`)
  const end = README.indexOf('\n## ', start + 4)
  return README.slice(start, end < 0 ? undefined : end)
}

/** The fenced blocks of `lang` in `text`, in order. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'gu'))].map((m) => m[1] as string)
}

let s: Served
let dir: string
beforeAll(async () => {
  dir = await projectCopy('')
  s = await serve({}, 60_000, dir)
}, 90_000)
afterAll(async () => {
  await s?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Runs a README shell block against this test's server and returns what it printed. */
async function paste(block: string): Promise<string> {
  const script = block
    .split('\n')
    .filter((line) => !line.startsWith('open '))
    .join('\n')
    .replaceAll('localhost:8787', `127.0.0.1:${s.port}`)
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 30_000 })
  return stdout
}

describe('README commands, pasted', () => {
  it('"Try it" prints the ranking, scores and usage the README shows', async () => {
    const tryIt = section('Try it')
    const [first, withInstruction] = blocks(tryIt, 'bash')
    const shown = blocks(tryIt, 'json')[0] ?? ''
    const out = JSON.parse(await paste(first ?? '')) as {
      model: string
      results: Array<{ index: number; relevance_score: number; document?: { text: string } }>
      usage: Record<string, number>
      meta: { backend: string; cache: { hits: number; misses: number } }
    }
    // Every result line the README prints, index and score to its 3 decimals.
    const expected = [...shown.matchAll(/"index": (\d+), "relevance_score": ([0-9.]+)/gu)].map((m) => [Number(m[1]), m[2]])
    expect(expected.length).toBeGreaterThan(1)
    expect(out.results.slice(0, expected.length).map((r) => [r.index, r.relevance_score.toFixed(3)])).toEqual(expected)
    expect(shown).toContain(`"model": "${out.model}"`)
    expect(shown).toContain(`"backend": "${out.meta.backend}"`)
    expect(shown).toContain(`"cache": { "hits": ${out.meta.cache.hits}, "misses": ${out.meta.cache.misses} }`)
    const usageLine = /"usage": \{([^}]*)\}/u.exec(shown)?.[1] ?? ''
    const usageShown = [...usageLine.matchAll(/"(\w+)": (\d+)/gu)]
    expect(usageShown.length).toBeGreaterThan(3)
    for (const [, key, value] of usageShown) expect(out.usage[key as string], key).toBe(Number(value))

    // "the lexical fallback ignores it and says so in meta.warnings"
    expect(tryIt).toMatch(/ignores it and says so in `meta\.warnings`/u)
    const instructed = JSON.parse(await paste(withInstruction ?? '')) as { meta: { warnings?: string[] } }
    expect(instructed.meta.warnings?.join(' ')).toMatch(/ignores instructions/u)
  })

  it('the "Experiments" block records the exposure and feedback it describes', async () => {
    const [block] = blocks(section('Experiments'), 'bash')
    await paste(block ?? '')
    const report = (await (await fetch(`${s.url}/v1/experiments/support-v2/report`)).json()) as {
      experiment: { status: string }
      totals: { exposures: number; units: number }
      arms: Array<{ clicked_exposures: number; graded_exposures: number; conversions: number }>
    }
    expect(report.experiment.status).toBe('running')
    expect(report.totals).toEqual({ exposures: 1, units: 1 })
    const sum = (k: 'clicked_exposures' | 'graded_exposures' | 'conversions') => report.arms.reduce((t, a) => t + a[k], 0)
    expect([sum('clicked_exposures'), sum('graded_exposures'), sum('conversions')]).toEqual([1, 1, 1])
  })
})
