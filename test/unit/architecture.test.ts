/**
 * The house rules of AGENTS.md ("Layout", "Always") that the sources can show: no import
 * circles; the cache and the pipeline import nothing from the vLLM backend; a route never imports
 * another route; the pure core imports no `hono` and no I/O module; only named modules read the
 * clock, draw random numbers, set timers or fetch; no source file over 400 lines but the template
 * catalogue. The graph is read from the sources themselves (static `import` /
 * `export … from`, type-only imports included: a type import is a dependency of the design too).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '../..')
const SRC = join(ROOT, 'src')

function walk(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(path))
    else if (/\.tsx?$/u.test(entry.name) && !/\.test\.tsx?$/u.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Module specifiers of every static import / re-export (comments stripped first). */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//gu, '').replace(/^\s*\/\/.*$/gmu, '')
  const specs: string[] = []
  const re = /^\s*(?:import|export)\s+(?:[^'"`;]*?\sfrom\s*)?['"]([^'"]+)['"]/gmu
  for (const m of code.matchAll(re)) specs.push(m[1] as string)
  return specs
}

const files = walk(SRC)
const rel = (abs: string) => relative(SRC, abs).split('\\').join('/')
const known = new Set(files.map(rel))

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined
  const base = rel(resolve(dirname(join(SRC, from)), spec))
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) if (known.has(candidate)) return candidate
  return base // outside src/ or a generated .js module: kept so rules can still see it
}

interface Edge { to: string; spec: string }
const graph = new Map<string, Edge[]>()
for (const abs of files) {
  const from = rel(abs)
  const edges: Edge[] = []
  for (const spec of importSpecifiers(readFileSync(abs, 'utf8'))) edges.push({ to: resolveLocal(from, spec) ?? spec, spec })
  graph.set(from, edges)
}

function findCycles(): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string) => {
    state.set(node, 'open')
    stack.push(node)
    for (const { to } of graph.get(node) ?? []) {
      if (!graph.has(to)) continue
      const s = state.get(to)
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to])
      else if (s === undefined) visit(to)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return cycles
}

function violations(fromRule: (file: string) => boolean, edgeRule: (edge: Edge, file: string) => boolean): string[] {
  const out: string[] = []
  for (const [file, edges] of graph) {
    if (!fromRule(file)) continue
    for (const edge of edges) if (edgeRule(edge, file)) out.push(`${file} -> ${edge.to}`)
  }
  return out.sort()
}

/** AGENTS.md "Keep the core pure": these take plain data and do no I/O. */
const isCore = (f: string) =>
  f.startsWith('scoring/') ||
  f.startsWith('documents/') ||
  f.startsWith('eval/') ||
  (f.startsWith('templates/') && f !== 'templates/template-source-store.ts') ||
  (f.startsWith('experiments/') && !f.endsWith('-repo.ts')) ||
  /^cache\/[^/]+-key\.ts$/u.test(f)

/** AGENTS.md "Only a few named modules do I/O". */
const isIoModule = (f: string) =>
  /^backends\/[^/]+\/[^/]+-client\.ts$/u.test(f) ||
  /^cache\/[^/]+-store\.ts$/u.test(f) ||
  /^experiments\/[^/]+-repo\.ts$/u.test(f) ||
  f === 'templates/template-source-store.ts'

describe('architecture (import graph of src/)', () => {
  it('reads a graph of the right size (the parser finds the imports)', () => {
    expect(graph.size).toBe(files.length)
    expect(graph.get('app.ts')?.some((e) => e.to === 'routes/rerank.ts')).toBe(true)
    expect(importSpecifiers("import type { A } from './a'\nexport { b } from \"../b\"\n// import x from './c'\n")).toEqual(['./a', '../b'])
  })

  it('has no import circles', () => {
    expect(findCycles().map((c) => c.join(' -> '))).toEqual([])
  })

  it('cache/ and rerank/ import nothing from backends/vllm/, directly or through another module (the scorer owns its model)', () => {
    expect(violations((f) => f.startsWith('cache/') || f.startsWith('rerank/'), (e) => e.to.startsWith('backends/vllm/'))).toEqual([])
    // Transitively: a path such as cache/x.ts -> backends/backend-error.ts -> backends/vllm/… counts too.
    const reaches = (from: string): string[] => {
      const seen = new Set<string>([from])
      const queue = [from]
      const found: string[] = []
      while (queue.length > 0) {
        const node = queue.shift() as string
        for (const { to } of graph.get(node) ?? []) {
          if (seen.has(to) || !graph.has(to)) continue
          seen.add(to)
          if (to.startsWith('backends/vllm/')) found.push(`${from} ~> ${to}`)
          else queue.push(to)
        }
      }
      return found
    }
    const transitive = [...graph.keys()].filter((f) => f.startsWith('cache/') || f.startsWith('rerank/')).flatMap(reaches)
    expect(transitive).toEqual([])
  })

  it('a route never imports another route', () => {
    expect(violations((f) => f.startsWith('routes/'), (e) => e.to.startsWith('routes/'))).toEqual([])
  })

  it('the pure core imports no hono and no I/O module', () => {
    expect(violations(isCore, (e) => e.spec === 'hono' || e.spec.startsWith('hono/') || isIoModule(e.to))).toEqual([])
  })

  it('only named modules read the clock, draw random numbers, set timers or fetch: the rest take them as arguments', () => {
    // The modules that own time, randomness, timers or the network (AGENTS.md "Keep the core pure";
    // the clock everywhere else is `now` from services.ts, so a test's injected clock reaches it).
    const allowed = new Set([
      'services.ts', // the isolate's clock, random source and sleep: every other module gets them from here
      'backends/vllm/vllm-client.ts', // fetch (its clock is injected)
      'backends/vllm/upstream-health-client.ts', // fetch and its own latency measurement
      'backends/vllm/upstream-pool.ts', // the default sleep and clock when none is injected
      'cache/score-with-cache.ts', // performance.now for Server-Timing
      'cache/edge-read.ts', // a timer bounding an edge-store read
      'rerank/score-documents.ts', // performance.now for the failed attempts' time
      'lib/read-json-body.ts', // the body deadline's timer
      'experiments/exposure-repo.ts', // the retry sleep when none is injected
      'middleware/request-id.ts', // crypto.randomUUID: each call's own id
      'middleware/auth.ts', // the timestamp of a once-per-isolate warning line
      'index.ts',
    ])
    const IO = /\bDate\.now\(|new Date\(\)|Math\.random\(|(?<![.\w])fetch\(|\bcaches\.|performance\.now\(|crypto\.randomUUID\(|\bset(Timeout|Interval)\(/u
    const offenders: string[] = []
    for (const abs of files) {
      const f = rel(abs)
      if (allowed.has(f) || f.startsWith('ui/client/') || f.startsWith('ui/generated/')) continue
      const code = readFileSync(abs, 'utf8').replace(/\/\*[\s\S]*?\*\//gu, '').replace(/\/\/.*$/gmu, '')
      code.split('\n').forEach((line, i) => {
        if (IO.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim().slice(0, 80)}`)
      })
    }
    expect(offenders).toEqual([])
    // The check can fail: it sees a clock read in plain code and not in a comment.
    expect(IO.test('const t = Date.now()')).toBe(true)
    expect(IO.test('x.fetch(y)')).toBe(false)
  })

  it('no source file is over 400 lines (but the template catalogue and generated code)', () => {
    const long = files
      .map((abs) => [rel(abs), readFileSync(abs, 'utf8').split('\n').length - 1] as const)
      .filter(([f, lines]) => lines > 400 && f !== 'templates/builtins.ts' && !f.startsWith('ui/generated/'))
      .map(([f, lines]) => `${f}: ${lines}`)
    expect(long).toEqual([])
  })

  it('the test doubles and test support modules are under 400 lines too', () => {
    const shared = ['test/fakes', 'test/support'].flatMap((d) => walk(join(ROOT, d)))
    expect(shared.length).toBeGreaterThan(5)
    const long = shared
      .map((abs) => [relative(ROOT, abs), readFileSync(abs, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400)
      .map(([f, lines]) => `${f}: ${lines}`)
    expect(long).toEqual([])
  })
})
