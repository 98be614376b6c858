/**
 * gpu-backend/proxy/Caddyfile: only POST /v1/rerank and GET /health reach vLLM (vLLM's --api-key
 * guards /v1/* only: vLLM docs/usage/security.md). Checked twice: statically, by
 * parsing the Caddyfile's block structure; and by running the real `caddy` binary (.ci/run installs
 * it) in front of vLLM stand-ins: the routes vLLM leaves open, and the spread over two replicas.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GPU_DIR, startCaddy, startFakeVllm, type FakeVllm, type RunningCaddy } from './support'

interface Directive {
  name: string
  args: string[]
  children: Directive[]
}

/** Tokenises one Caddyfile line: whitespace-separated words, "quoted" and `backtick` strings. */
function words(line: string): string[] {
  const out: string[] = []
  const re = /`([^`]*)`|"((?:[^"\\]|\\.)*)"|(\S+)/gu
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!)
  return out
}

/** The Caddyfile's block tree: a line ending in `{` opens a block, a lone `}` closes it. */
function parseCaddyfile(text: string): Directive[] {
  const root: Directive = { name: '<root>', args: [], children: [] }
  const stack = [root]
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/u, '').trim()
    if (!line) continue
    if (line === '}') {
      stack.pop()
      if (stack.length === 0) throw new Error('unbalanced }')
      continue
    }
    const w = words(line)
    const opens = w.at(-1) === '{'
    if (opens) w.pop()
    const d: Directive = { name: w[0] ?? '', args: w.slice(1), children: [] }
    stack.at(-1)!.children.push(d)
    if (opens) stack.push(d)
  }
  if (stack.length !== 1) throw new Error('unclosed {')
  return root.children
}

function all(ds: Directive[], name: string): Directive[] {
  return ds.flatMap((d) => [...(d.name === name ? [d] : []), ...all(d.children, name)])
}

const tree = parseCaddyfile(readFileSync(join(GPU_DIR, 'proxy', 'Caddyfile'), 'utf8'))

describe('Caddyfile (static)', () => {
  const global = tree.find((d) => d.name === '')
  const site = tree.find((d) => d.name !== '')!

  it('has a global block and one site, on :8080 unless SITE_ADDRESS says otherwise', () => {
    expect(global).toBeDefined()
    expect(tree).toHaveLength(2)
    expect(site.name).toBe('{$SITE_ADDRESS::8080}')
    expect(all([global!], 'admin')[0]?.args).toEqual(['off'])
  })

  it('uses only the expected directives at site level', () => {
    const names = new Set(site.children.map((d) => d.name.startsWith('@') ? '@matcher' : d.name))
    expect([...names].sort()).toEqual(['@matcher', 'handle', 'handle_errors', 'log', 'request_body'])
  })

  it('routes exactly POST /v1/rerank and GET /health to vLLM, each rewritten to its canonical path', () => {
    const matchers = new Map(
      site.children
        .filter((d) => d.name.startsWith('@'))
        .map((d) => [d.name, Object.fromEntries(d.children.map((c) => [c.name, c.args]))])
    )
    const routed = site.children
      .filter((d) => d.name === 'handle' && all(d.children, 'reverse_proxy').length > 0)
      .map((h) => {
        expect(h.args).toHaveLength(1) // a named matcher, never a bare (catch-all) handle
        const m = matchers.get(h.args[0]!)!
        expect(Object.keys(m).sort()).toEqual(['method', 'path'])
        const [path] = m.path!
        expect(m.path).toHaveLength(1)
        expect(path).not.toMatch(/\*/u) // exact path, no prefix wildcard
        const rewrite = all(h.children, 'rewrite')
        expect(rewrite.map((r) => r.args)).toEqual([['*', path]])
        expect(all(h.children, 'reverse_proxy')[0]!.args).toEqual(['{$UPSTREAMS:reranker-gpu0:8000}'])
        return `${m.method!.join(',')} ${path}`
      })
    expect(routed.sort()).toEqual(['GET /health', 'POST /v1/rerank'])
    expect(all(tree, 'reverse_proxy')).toHaveLength(2)
  })

  it('answers everything else with an error and no upstream', () => {
    const catchAll = site.children.filter((d) => d.name === 'handle' && d.args.length === 0)
    expect(catchAll).toHaveLength(1)
    expect(catchAll[0]!.children.map((c) => [c.name, ...c.args])).toEqual([['error', '404']])
    const errors = site.children.find((d) => d.name === 'handle_errors')!
    expect(all(errors.children, 'reverse_proxy')).toHaveLength(0)
  })

  it('limits the body size and bounds every timeout', () => {
    expect(all(tree, 'max_size')[0]?.args).toEqual(['{$PROXY_MAX_BODY:16MB}'])
    const timeouts = Object.fromEntries(all(tree, 'timeouts')[0]!.children.map((c) => [c.name, c.args[0]]))
    expect(Object.keys(timeouts).sort()).toEqual(['idle', 'read_body', 'read_header', 'write'])
    expect(all(tree, 'dial_timeout')).toHaveLength(2)
    expect(all(tree, 'response_header_timeout')).toHaveLength(2)
    // Caddy only logs credentials when told to.
    expect(all(tree, 'log_credentials')).toHaveLength(0)
  })

  it('spreads over the UPSTREAMS replicas; rerank drops unhealthy ones and never resends a POST', () => {
    const proxies = all(tree, 'reverse_proxy')
    for (const rp of proxies) {
      expect(all(rp.children, 'lb_policy')[0]!.args).toEqual(['least_conn'])
      expect(all(rp.children, 'retry_match')).toHaveLength(0)
    }
    const rerank = proxies.find((rp) => all(rp.children, 'health_uri').length > 0)!
    expect(all(rerank.children, 'health_uri')[0]!.args).toEqual(['/health'])
    expect(all(rerank.children, 'response_header_timeout')[0]!.args).toEqual(['{$PROXY_UPSTREAM_TIMEOUT:310s}'])
    // Caddy 2.6 loses the POST body on a retry (the second attempt fails "invalid Read on closed
    // Body"): no retries on the rerank route.
    expect(all(rerank.children, 'lb_try_duration')).toHaveLength(0)
    const health = proxies.find((rp) => rp !== rerank)!
    expect(all(health.children, 'lb_try_duration')[0]!.args).toEqual(['2s'])
  })

  it('the static check can fail: a config that also forwards /rerank is caught', () => {
    const leaky = parseCaddyfile(`{$SITE_ADDRESS::8080} {\n\thandle /rerank {\n\t\treverse_proxy reranker:8000\n\t}\n}\n`)
    const routedWithoutMatcher = leaky[0]!.children.filter(
      (d) => d.name === 'handle' && all(d.children, 'reverse_proxy').length > 0 && !d.args[0]?.startsWith('@')
    )
    expect(routedWithoutMatcher).toHaveLength(1)
  })
})

describe('Caddyfile (running caddy in front of a vLLM stand-in)', () => {
  const KEY = 'proxy-test-key-3c9a0e51b7'
  let fake: FakeVllm
  let caddy: RunningCaddy
  // What callers sent to vLLM: the proxy's own /health probes (PROXY_HEALTH_INTERVAL) left out.
  const called = () => fake.paths.filter((p) => p !== '/health').length
  const fixture = (name: string) => JSON.parse(readFileSync(join(GPU_DIR, 'fixtures', name), 'utf8')) as unknown

  beforeAll(async () => {
    fake = await startFakeVllm({ apiKey: KEY, servedModel: 'qwen3-reranker-8b', maxModelLen: 8192 })
    caddy = await startCaddy(`127.0.0.1:${fake.port}`, { PROXY_MAX_BODY: '64KB', PROXY_HEALTH_INTERVAL: '200ms' })
  })
  afterAll(async () => {
    await caddy?.stop()
    await fake?.close()
  })

  const post = (path: string, auth = true, body = '{"model":"qwen3-reranker-8b","query":"q","documents":["d"]}') =>
    fetch(`${caddy.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${KEY}` } : {}) },
      body,
    })

  it('forwards POST /v1/rerank (with and without the key, vLLM decides) and GET /health', async () => {
    const ok = await post('/v1/rerank')
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { model: string }).model).toBe('qwen3-reranker-8b')
    const noKey = await post('/v1/rerank', false)
    expect(noKey.status).toBe(401)
    expect(await noKey.json()).toEqual(fixture('error-401-unauthorized.json'))
    expect((await fetch(`${caddy.url}/health`)).status).toBe(200)
  })

  it.each([
    ['POST', '/rerank'],
    ['POST', '/v2/rerank'],
    ['POST', '/score'],
    ['POST', '/v1/score'],
    ['POST', '/pooling'],
    ['POST', '/classify'],
    ['POST', '/invocations'],
    ['POST', '/tokenize'],
    ['GET', '/metrics'],
    ['GET', '/v1/models'],
    ['GET', '/version'],
    ['GET', '/v1/rerank'],
    ['OPTIONS', '/v1/rerank'],
    ['POST', '/health'],
    ['POST', '/v1/rerank/'],
    ['POST', '/v1/rerank/../../rerank'],
    ['POST', '/v1/%2e%2e/rerank'],
  ])('blocks %s %s with a 404 in vLLM error shape', async (method, path) => {
    const before = called()
    const res = await fetch(`${caddy.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: '{"query":"q","documents":["d"]}' } : {}),
    })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual(fixture('proxy-error-404.json'))
    expect(called()).toBe(before) // never reached vLLM
  })

  it('only ever lets vLLM see /v1/rerank or /health, whatever the spelling', async () => {
    const before = fake.paths.length
    for (const p of ['/V1/RERANK', '//v1/rerank', '/v1/./rerank', '/v1%2frerank', '/%2fv1/rerank', '/v1/%72erank']) {
      await post(p)
    }
    await fetch(`${caddy.url}/HEALTH`)
    const seen = new Set(fake.paths.slice(before))
    expect([...seen].every((p) => p === '/v1/rerank' || p === '/health')).toBe(true)
    expect(seen.size).toBeGreaterThan(0)
  })

  it('refuses a body over PROXY_MAX_BODY', async () => {
    const before = called()
    const big = JSON.stringify({ query: 'q', documents: ['x'.repeat(200_000)] })
    const res = await post('/v1/rerank', true, big)
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).not.toBe(401)
    const body = (await res.json()) as { error: { type: string; code: number } }
    expect(body.error.type).toBe('ProxyError')
    expect(body.error.code).toBe(res.status)
    // The upstream never gets a complete oversized body to score.
    expect(called() - before).toBeLessThanOrEqual(1)
  })

  it('keeps the bearer key out of its access log', async () => {
    await post('/v1/rerank')
    expect(caddy.log()).toContain('/v1/rerank')
    expect(caddy.log()).not.toContain(KEY)
  })

  it('answers 502 in vLLM error shape when vLLM is down, and 503 once its health check has failed', async () => {
    await fake.close()
    const res = await fetch(`${caddy.url}/health`)
    expect(res.status).toBe(502)
    expect(await res.json()).toEqual(fixture('proxy-error-502.json'))
    // The rerank route probes /health every PROXY_HEALTH_INTERVAL (200 ms here); with no healthy
    // replica left Caddy answers 503 without dialing.
    let last = 0
    for (let i = 0; i < 50 && last !== 503; i++) {
      const r = await post('/v1/rerank')
      last = r.status
      if (last === 503) expect(await r.json()).toEqual(fixture('proxy-error-503.json'))
      else await new Promise((ok) => setTimeout(ok, 100))
    }
    expect(last).toBe(503)
  })
})

describe('Caddyfile with two replicas (UPSTREAMS lists both, as compose.gpus2.yaml sets it)', () => {
  const KEY = 'proxy-test-key-2b7d41c9e0'
  let a: FakeVllm
  let b: FakeVllm
  let caddy: RunningCaddy

  beforeAll(async () => {
    a = await startFakeVllm({ apiKey: KEY, servedModel: 'qwen3-reranker-8b', maxModelLen: 8192 })
    b = await startFakeVllm({ apiKey: KEY, servedModel: 'qwen3-reranker-8b', maxModelLen: 8192 })
    caddy = await startCaddy(`127.0.0.1:${a.port} 127.0.0.1:${b.port}`, { PROXY_HEALTH_INTERVAL: '200ms' })
  })
  afterAll(async () => {
    await caddy?.stop()
    await a?.close()
    await b?.close()
  })

  const rerank = () =>
    fetch(`${caddy.url}/v1/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: '{"model":"qwen3-reranker-8b","query":"q","documents":["d"]}',
    })

  it('sends calls to both replicas', async () => {
    const [beforeA, beforeB] = [a.paths.length, b.paths.length]
    const statuses: number[] = []
    for (let i = 0; i < 24; i++) statuses.push((await rerank()).status)
    expect(statuses.every((s) => s === 200)).toBe(true)
    const toA = a.paths.slice(beforeA).filter((p) => p === '/v1/rerank').length
    const toB = b.paths.slice(beforeB).filter((p) => p === '/v1/rerank').length
    expect(toA + toB).toBe(24)
    // least_conn breaks ties at random: both get calls (all 24 on one side: p = 2^-23).
    expect(toA).toBeGreaterThan(0)
    expect(toB).toBeGreaterThan(0)
  })

  it('takes a replica that went away out of the rotation (its /health fails) and keeps answering', async () => {
    await a.close()
    // Calls routed to the dead replica fail (502) until its next health probe (PROXY_HEALTH_INTERVAL,
    // 200 ms here). Give the probe a head start, then wait for 20 answers in a row from the live
    // replica (by luck, with the dead one still in rotation: p = 2^-20), within 100 tries.
    await new Promise((ok) => setTimeout(ok, 1000))
    let streak = 0
    const statuses: number[] = []
    for (let i = 0; i < 100 && streak < 20; i++) {
      const status = (await rerank()).status
      statuses.push(status)
      streak = status === 200 ? streak + 1 : 0
      if (status !== 200) await new Promise((ok) => setTimeout(ok, 100))
    }
    expect(streak).toBe(20)
    expect(statuses.filter((s) => s !== 200 && s !== 502)).toEqual([])
    const before = b.paths.filter((p) => p === '/v1/rerank').length
    // Without the health check half of these would reach the dead replica (all 20 on B: p = 2^-20).
    for (let i = 0; i < 20; i++) expect((await rerank()).status).toBe(200)
    expect(b.paths.filter((p) => p === '/v1/rerank').length - before).toBe(20)
    expect((await fetch(`${caddy.url}/health`)).status).toBe(200)
  })
})

describe('Caddyfile health-check timeout (PROXY_HEALTH_TIMEOUT)', () => {
  // A replica whose /health answers 800 ms late (a busy engine) and which scores at once: whether
  // it stays in the rotation depends on the probe timeout alone.
  let slow: Server
  let upstream = ''
  beforeAll(async () => {
    slow = createServer((req, res) => {
      if (req.url === '/health') setTimeout(() => res.writeHead(200).end(), 800)
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[]}')
    })
    await new Promise<void>((ok) => slow.listen(0, '127.0.0.1', ok))
    upstream = `127.0.0.1:${(slow.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((ok) => (slow ? slow.close(() => ok()) : ok())))

  /** Rerank statuses seen over ~2 s of probes every 100 ms, until the first 503. */
  async function statusesWith(env: Record<string, string>): Promise<number[]> {
    const caddy = await startCaddy(upstream, { PROXY_HEALTH_INTERVAL: '100ms', ...env })
    try {
      const seen: number[] = []
      for (let i = 0; i < 20 && !seen.includes(503); i++) {
        seen.push((await fetch(`${caddy.url}/v1/rerank`, { method: 'POST', body: '{}' })).status)
        await new Promise((ok) => setTimeout(ok, 100))
      }
      return seen
    } finally {
      await caddy.stop()
    }
  }

  it('a probe slower than PROXY_HEALTH_TIMEOUT takes the replica out (503)', async () => {
    expect(await statusesWith({ PROXY_HEALTH_TIMEOUT: '100ms' })).toContain(503)
  }, 30_000)

  it('the default (2 s) keeps a replica whose /health takes 800 ms', async () => {
    const seen = await statusesWith({})
    expect(seen).toHaveLength(20)
    expect(new Set(seen)).toEqual(new Set([200]))
  }, 30_000)
})
