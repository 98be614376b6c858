/**
 * gpu-backend/README.md against the files it tells an operator to use: every compose file it names
 * exists, every `COMPOSE_FILE` layout it gives renders with the services its commands name, every
 * variable it has you set is read somewhere, and the single-GPU and two-GPU paths are each complete
 * (start, status, logs, dry run, smoke test).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { render } from './compose-render'
import { GPU_DIR } from './support'

const readme = readFileSync(join(GPU_DIR, 'README.md'), 'utf8')
/** Code blocks and inline code spans: the parts of the README an operator copies. */
const code = [...readme.matchAll(/```[a-z]*\n([\s\S]*?)```|`([^`\n]+)`/gu)].map((m) => m[1] ?? m[2]!)
const KEY_ENV = { VLLM_API_KEY: 'readme-test-key-0123456789' }

/** Text of every file the README describes (not the README itself). */
const sources = ['entrypoint.sh', 'smoke-test.sh', 'defaults.env', '.env.example', 'Dockerfile', 'proxy/Caddyfile', 'smoke/check.py', ...readdirSync(GPU_DIR).filter((f) => /^compose.*\.yaml$/u.test(f))]
  .map((f) => readFileSync(join(GPU_DIR, f), 'utf8'))
  .join('\n')

describe('gpu-backend/README.md', () => {
  it('names only compose files that exist, and every compose file there is', () => {
    const named = new Set(readme.match(/\bcompose(?:\.[a-z0-9]+)*\.yaml\b/gu))
    const onDisk = readdirSync(GPU_DIR).filter((f) => /^compose.*\.yaml$/u.test(f))
    for (const f of named) expect({ f, exists: existsSync(join(GPU_DIR, f)) }).toEqual({ f, exists: true })
    expect([...named].sort()).toEqual(onDisk.sort())
  })

  it('gives COMPOSE_FILE layouts that render, and its commands name only services of those layouts', () => {
    const layouts = [...new Set(readme.match(/COMPOSE_FILE=[a-z0-9.:]+/gu))].map((l) => l.slice('COMPOSE_FILE='.length).split(':'))
    expect(layouts.map((l) => l.join(':')).sort()).toEqual([
      'compose.yaml:compose.gpus2.yaml',
      'compose.yaml:compose.gpus2.yaml:compose.tls.yaml',
      'compose.yaml:compose.tls.yaml',
      'compose.yaml:compose.tp2.yaml',
    ])
    const services = new Set<string>()
    for (const files of [['compose.yaml'], ...layouts]) {
      const project = render(files, { ...KEY_ENV, SITE_ADDRESS: 'rerank-gpu1.example.com' })
      for (const s of Object.keys(project.services)) services.add(s)
      // Every layout keeps all of its replicas behind the proxy.
      const replicas = Object.keys(project.services).filter((s) => s.startsWith('reranker-'))
      expect(String(project.services.proxy!.environment!.UPSTREAMS).split(' ')).toEqual(replicas.map((r) => `${r}:8000`))
    }
    const used = code.flatMap((c) =>
      [...c.matchAll(/docker compose (?:logs(?: -f)?|exec(?: -T)?|run --rm --no-deps|restart|stop) ([a-z0-9-]+)/gu)].map((m) => m[1]!)
    )
    expect(used.length).toBeGreaterThanOrEqual(3)
    for (const s of used) expect({ s, known: services.has(s) }).toEqual({ s, known: true })
  })

  it('has you set only variables that some file reads', () => {
    const set = new Set(code.flatMap((c) => [...c.matchAll(/(?:^|[\s('^])([A-Z][A-Z0-9_]+)=/gmu)].map((m) => m[1]!)))
    expect(set).toContain('TP')
    expect(set).toContain('COMPOSE_FILE')
    expect(set.size).toBeGreaterThan(10)
    for (const v of set) expect({ v, read: new RegExp(`\\b${v}\\b`, 'u').test(sources) }).toEqual({ v, read: true })
  })

  it('gives a complete single-GPU path and a complete two-GPU path', () => {
    const deploy = readme.slice(readme.indexOf('## Deploy'), readme.indexOf('## Reaching it'))
    for (const step of [
      'docker compose up -d --build --wait',
      'docker compose ps',
      'docker compose logs -f reranker-gpu0',
      'docker compose run --rm --no-deps reranker-gpu0 --print',
      './smoke-test.sh',
      "echo 'COMPOSE_FILE=compose.yaml:compose.gpus2.yaml' >> .env",
    ]) {
      expect(deploy).toContain(step)
    }
    // The default layout is one GPU at TP 1; TP 2 is never called the default.
    expect(readme).not.toMatch(/TP 2[^\n]*\(default\)/u)
    expect(readme).toMatch(/\| 8B, 1 GPU, TP 1 \| `docker compose up -d` \(default\) \|/u)
    expect(readme).not.toContain('compose.tp1.yaml')
  })

  it('the checks can fail: a removed file and an unknown variable are caught', () => {
    expect(existsSync(join(GPU_DIR, 'compose.tp1.yaml'))).toBe(false)
    expect(/\bTENSOR_PARALLEL\b/u.test(sources)).toBe(false)
  })
})
