/**
 * gpu-backend/compose.yaml (+ compose.gpus2.yaml, compose.tp2.yaml, compose.tls.yaml) against a zod
 * schema of the compose-spec subset they use; each layout rendered (merge + interpolation) and its
 * replicas' vLLM argv produced by the real entrypoint (TP and GPUs per layout); defaults written in
 * defaults.env only; gpu-backend/Dockerfile against compose.yaml.
 * GPU reservations follow docs.docker.com/compose/gpu-support (driver + capabilities [gpu] +
 * count XOR device_ids); shared memory and the entrypoint follow vLLM's docs/deployment/docker.md
 * (`ipc: host` or `--shm-size`; `vllm serve` with the model positional).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseDocument, YAMLSeq } from 'yaml'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { customTags, merge, render, type Project, type Service } from './compose-render'
import { GPU_DIR, runEntrypoint } from './support'

function load(file: string) {
  const doc = parseDocument(readFileSync(join(GPU_DIR, file), 'utf8'), { customTags })
  expect(doc.errors).toEqual([])
  expect(doc.warnings).toEqual([])
  return doc
}

/** Seconds in a compose duration such as 900s, 1m30s, 15m. */
function durationSeconds(d: string): number {
  const parts = [...d.matchAll(/(\d+)(h|ms|m|s|us)/gu)]
  if (parts.map((p) => p[0]).join('') !== d || parts.length === 0) throw new Error(`not a duration: ${d}`)
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 }
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0)
}

const duration = z.string().refine((d) => {
  try {
    durationSeconds(d)
    return true
  } catch {
    return false
  }
}, 'compose duration')

/** name:tag with an explicit version tag; never `latest`, never tagless. */
const pinnedImage = z
  .string()
  .regex(/^[a-z0-9]+(?:[._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/u, 'image must carry a tag')
  .refine((s) => !/:latest$/u.test(s), 'no :latest')
  .refine((s) => /\d+\.\d+\.\d+/u.test(s.split(':')[1] ?? ''), 'tag must name an x.y.z release')

const gpuDevice = z
  .object({
    driver: z.literal('nvidia'),
    count: z.union([z.number().int().positive(), z.literal('all')]).optional(),
    device_ids: z.array(z.string().regex(/^\d+$/u)).min(1).optional(),
    capabilities: z.array(z.string()).refine((c) => c.includes('gpu'), 'capabilities must include gpu'),
  })
  .strict()
  .refine((d) => (d.count === undefined) !== (d.device_ids === undefined), 'exactly one of count and device_ids')

const healthcheck = z
  .object({
    test: z.array(z.string()).min(2).refine((t) => t[0] === 'CMD' || t[0] === 'CMD-SHELL'),
    interval: duration,
    timeout: duration,
    retries: z.number().int().positive(),
    start_period: duration,
  })
  .strict()

const environment = z.record(z.string(), z.string())
const logging = z.object({ driver: z.literal('json-file'), options: z.record(z.string(), z.string()) }).strict()
const dependsOn = z.record(z.string(), z.object({ condition: z.enum(['service_started', 'service_healthy']) }).strict())
const volumeMount = z.string().regex(/^[^:]+:\/[^:]*(?::ro)?$/u)

const rerankerService = z
  .object({
    build: z.object({ context: z.string(), dockerfile: z.string() }).strict(),
    image: pinnedImage,
    init: z.literal(true),
    restart: z.literal('unless-stopped'),
    stop_grace_period: duration,
    environment,
    ipc: z.literal('host').optional(),
    shm_size: z.string().optional(),
    ulimits: z.object({ memlock: z.literal(-1), stack: z.number().int().positive() }).strict(),
    volumes: z.array(volumeMount),
    expose: z.array(z.string()),
    deploy: z
      .object({
        resources: z.object({ reservations: z.object({ devices: z.array(gpuDevice).length(1) }).strict() }).strict(),
      })
      .strict(),
    depends_on: dependsOn.optional(),
    healthcheck,
    logging,
  })
  .strict()
  .refine((s) => s.ipc === 'host' || s.shm_size !== undefined, 'NCCL needs ipc: host or shm_size')

const proxyService = z
  .object({
    image: pinnedImage,
    restart: z.literal('unless-stopped'),
    depends_on: dependsOn,
    environment,
    ports: z.array(z.string()).length(1),
    volumes: z.array(volumeMount),
    logging,
  })
  .strict()

const tunnelService = z
  .object({
    image: pinnedImage,
    profiles: z.array(z.string()).min(1),
    restart: z.literal('unless-stopped'),
    depends_on: dependsOn,
    command: z.array(z.string()),
    environment,
  })
  .strict()

const composeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/u),
    services: z.object({ 'reranker-gpu0': rerankerService, proxy: proxyService, cloudflared: tunnelService }).strict(),
    volumes: z.record(z.string(), z.object({}).strict()),
  })
  .strict()

type Compose = z.infer<typeof composeSchema>

const compose: Compose = composeSchema.parse(load('compose.yaml').toJS())
const { 'reranker-gpu0': reranker, proxy, cloudflared } = compose.services
const dockerfile = readFileSync(join(GPU_DIR, 'Dockerfile'), 'utf8')

/** `${NAME:-default}` → default; `${NAME:?msg}` → null (required); a literal → itself. */
function interpolationDefault(value: string): string | null {
  const m = /^\$\{([A-Z0-9_]+)(:-|:\?)([^}]*)\}$/u.exec(value)
  if (!m) return value
  return m[2] === ':-' ? m[3]! : null
}

describe('compose.yaml', () => {
  it('pins every image to an x.y.z tag, none latest', () => {
    expect(reranker.image).toBe('rerank-edge/qwen3-reranker:vllm-v0.13.0')
    expect(proxy.image).toMatch(/^caddy:\d+\.\d+\.\d+-alpine$/u)
    expect(cloudflared.image).toMatch(/^cloudflare\/cloudflared:\d{4}\.\d+\.\d+$/u)
  })

  it('reserves exactly GPU 0 for its one replica and never passes a tensor parallel size', () => {
    const device = reranker.deploy.resources.reservations.devices[0]!
    expect(device).toEqual({ driver: 'nvidia', device_ids: ['0'], capabilities: ['gpu'] })
    expect('TENSOR_PARALLEL_SIZE' in reranker.environment).toBe(false)
    expect(readFileSync(join(GPU_DIR, 'compose.yaml'), 'utf8')).not.toMatch(/^\s*TENSOR_PARALLEL_SIZE:/mu)
  })

  it('rejects a device with both count and device_ids (the schema can fail)', () => {
    const bad = { driver: 'nvidia', count: 2, device_ids: ['0', '1'], capabilities: ['gpu'] }
    expect(gpuDevice.safeParse(bad).success).toBe(false)
    expect(gpuDevice.safeParse({ driver: 'nvidia', count: 1, capabilities: ['utility'] }).success).toBe(false)
    expect(pinnedImage.safeParse('vllm/vllm-openai:latest').success).toBe(false)
    expect(pinnedImage.safeParse('caddy').success).toBe(false)
  })

  it('health-checks /health with a start period long enough for an 8B load', () => {
    expect(durationSeconds(reranker.healthcheck.start_period)).toBeGreaterThanOrEqual(600)
    expect(reranker.healthcheck.test.join(' ')).toContain('http://127.0.0.1:8000/health')
    expect(durationSeconds(reranker.healthcheck.timeout)).toBeLessThan(durationSeconds(reranker.healthcheck.interval))
  })

  it('keeps vLLM off the host and publishes only the proxy port, on loopback by default', () => {
    expect('ports' in reranker).toBe(false)
    expect(reranker.expose).toEqual(['8000'])
    const [mapping] = proxy.ports
    const m = /^\$\{PROXY_BIND:-([^}]+)\}:\$\{PROXY_PORT:-(\d+)\}:(\d+)$/u.exec(mapping!)
    expect(m).not.toBeNull()
    expect(m![1]).toBe('127.0.0.1')
    expect(m![3]).toBe('8080')
    expect(proxy.environment.UPSTREAMS).toBe('reranker-gpu0:8000')
    expect(interpolationDefault(proxy.environment.SITE_ADDRESS!)).toBe(':8080')
    expect('ports' in cloudflared).toBe(false)
  })

  it('declares every named volume it mounts and mounts the caches where the image points', () => {
    const declared = new Set(Object.keys(compose.volumes))
    for (const svc of [reranker, proxy]) {
      for (const v of svc.volumes) {
        const source = v.split(':')[0]!
        if (source.startsWith('.')) expect(existsSync(join(GPU_DIR, source))).toBe(true)
        else expect(declared.has(source)).toBe(true)
      }
    }
    expect(reranker.volumes).toContain('hf-cache:/cache/huggingface')
    expect(reranker.volumes).toContain('vllm-cache-gpu0:/cache/vllm')
    expect(dockerfile).toMatch(/HF_HOME=\/cache\/huggingface/u)
    expect(dockerfile).toMatch(/VLLM_CACHE_ROOT=\/cache\/vllm/u)
    expect(proxy.volumes).toContain('./proxy/Caddyfile:/etc/caddy/Caddyfile:ro')
  })

  it("passes every setting the Caddyfile reads from the proxy's environment through to it (else .env could not set it)", () => {
    const caddyfile = readFileSync(join(GPU_DIR, 'proxy', 'Caddyfile'), 'utf8')
    const read = new Set([...caddyfile.matchAll(/\{\$([A-Z_]+)/gu)].map((m) => m[1]!))
    expect(read.size).toBeGreaterThanOrEqual(6)
    expect(Object.keys(proxy.environment ?? {}).sort()).toEqual([...read].sort())
  })

  it('requires the API key, offers the offline toggle, and bakes no secret in', () => {
    expect(interpolationDefault(reranker.environment.VLLM_API_KEY!)).toBeNull()
    expect(reranker.environment.VLLM_API_KEY).toMatch(/^\$\{VLLM_API_KEY:\?/u)
    expect(interpolationDefault(reranker.environment.HF_HUB_OFFLINE!)).toBe('0')
    const instructions = dockerfile.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n')
    expect(instructions).not.toMatch(/VLLM_API_KEY/u)
    expect(cloudflared.profiles).toEqual(['tunnel'])
  })

})

/** The replicas of a rendered layout: name → GPUs and the vLLM argv the real entrypoint builds. */
function replicas(project: Project, hostEnv: Record<string, string> = {}) {
  return Object.entries(project.services)
    .filter(([name]) => name.startsWith('reranker-'))
    .map(([name, svc]: [string, Service]) => {
      const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, String(v)]))
      const r = runEntrypoint({ ...env, ...hostEnv })
      const tp = r.lines.find((a) => a.startsWith('--tensor-parallel-size='))?.split('=')[1]
      const gpus = svc.deploy!.resources.reservations.devices.flatMap((d) => d.device_ids ?? [])
      return { name, gpus, tp: Number(tp), status: r.status, stderr: r.stderr, argv: r.lines }
    })
}

const KEY_ENV = { VLLM_API_KEY: 'compose-test-key-0123456789' }
const LAYOUTS = {
  single: ['compose.yaml'],
  gpus2: ['compose.yaml', 'compose.gpus2.yaml'],
  tp2: ['compose.yaml', 'compose.tp2.yaml'],
}

describe('layouts (rendered as `docker compose -f … config` would, argv from the real entrypoint)', () => {
  it('compose.yaml: one replica on GPU 0 at TP 1, the proxy in front of it', () => {
    const p = render(LAYOUTS.single, KEY_ENV)
    expect(replicas(p)).toMatchObject([{ name: 'reranker-gpu0', gpus: ['0'], tp: 1, status: 0, stderr: '' }])
    expect(p.services.proxy!.environment!.UPSTREAMS).toBe('reranker-gpu0:8000')
  })

  it('MODEL_SIZE=0.6B docker compose up runs 0.6B at TP 1, even with TENSOR_PARALLEL_SIZE=2 in the shell', () => {
    const envs: Record<string, string>[] = [{ MODEL_SIZE: '0.6B' }, { MODEL_SIZE: '0.6B', TENSOR_PARALLEL_SIZE: '2' }]
    for (const env of envs) {
      const [only, ...rest] = replicas(render(LAYOUTS.single, { ...KEY_ENV, ...env }))
      expect(rest).toEqual([])
      expect(only).toMatchObject({ gpus: ['0'], tp: 1, status: 0 })
      expect(only!.argv[2]).toBe('Qwen/Qwen3-Reranker-0.6B')
    }
  })

  it('compose.gpus2.yaml: one TP-1 replica per GPU, both listed by the proxy', () => {
    const p = render(LAYOUTS.gpus2, KEY_ENV)
    expect(replicas(p)).toMatchObject([
      { name: 'reranker-gpu0', gpus: ['0'], tp: 1, status: 0 },
      { name: 'reranker-gpu1', gpus: ['1'], tp: 1, status: 0 },
    ])
    const upstreams = String(p.services.proxy!.environment!.UPSTREAMS).split(' ')
    expect(upstreams).toEqual(['reranker-gpu0:8000', 'reranker-gpu1:8000'])
    for (const u of upstreams) expect(p.services[u.split(':')[0]!]!.expose).toEqual([u.split(':')[1]])
    expect(Object.keys(p.services.proxy!.depends_on as object).sort()).toEqual(['reranker-gpu0', 'reranker-gpu1'])
    const small = replicas(render(LAYOUTS.gpus2, { ...KEY_ENV, MODEL_SIZE: '0.6B' }))
    expect(small.map((r) => [r.tp, r.argv[2]])).toEqual([
      [1, 'Qwen/Qwen3-Reranker-0.6B'],
      [1, 'Qwen/Qwen3-Reranker-0.6B'],
    ])
  })

  it('reranker-gpu1 is reranker-gpu0 but for its GPU, its compile cache and its start order', () => {
    const p = render(LAYOUTS.gpus2, KEY_ENV)
    const strip = (svc: Service) => {
      const { deploy, volumes, depends_on: _dependsOn, ...rest } = svc
      return {
        ...rest,
        devices: deploy!.resources.reservations.devices.map(({ device_ids: _ids, ...d }) => d),
        volumes: (volumes as string[]).map((v) => v.replace(/^vllm-cache-gpu\d+:/u, 'vllm-cache:')),
      }
    }
    expect(strip(p.services['reranker-gpu1']!)).toEqual(strip(p.services['reranker-gpu0']!))
    expect(p.services['reranker-gpu1']!.volumes).toContain('vllm-cache-gpu1:/cache/vllm')
    expect(p.volumes).toHaveProperty('vllm-cache-gpu1')
    expect(p.services['reranker-gpu1']!.depends_on).toEqual({ 'reranker-gpu0': { condition: 'service_healthy' } })
  })

  it('compose.tp2.yaml: TP 2 only when asked, over exactly GPUs 0 and 1, one replica', () => {
    const p = render(LAYOUTS.tp2, KEY_ENV)
    const [only, ...rest] = replicas(p)
    expect(rest).toEqual([])
    expect(only).toMatchObject({ name: 'reranker-gpu0', gpus: ['0', '1'], tp: 2, status: 0 })
    expect(only!.stderr).toMatch(/warning: tensor parallel size 2/u)
    expect(p.services['reranker-gpu0']!.deploy!.resources.reservations.devices).toHaveLength(1)
    expect(p.services.proxy!.environment!.UPSTREAMS).toBe('reranker-gpu0:8000')
  })

  it('compose.tp2.yaml with MODEL_SIZE=0.6B is refused by the entrypoint', () => {
    const [only] = replicas(render(LAYOUTS.tp2, { ...KEY_ENV, MODEL_SIZE: '0.6B' }))
    expect(only!.status).toBe(64)
    expect(only!.stderr).toMatch(/TENSOR_PARALLEL_SIZE=2 with the 0\.6B model is refused/u)
  })

  it('every layout: TP equals the number of GPUs reserved, and no GPU is reserved twice', () => {
    for (const files of Object.values(LAYOUTS)) {
      const rs = replicas(render(files, KEY_ENV))
      expect(rs.length).toBeGreaterThan(0)
      for (const r of rs) expect(r.tp).toBe(r.gpus.length)
      const gpus = rs.flatMap((r) => r.gpus)
      expect(new Set(gpus).size).toBe(gpus.length)
    }
  })

  it('the renderer can fail: a required variable missing; a plain sequence appends, !override replaces', () => {
    expect(() => render(LAYOUTS.single, {})).toThrow(/VLLM_API_KEY/u)
    expect(merge([1], [2], 'dns')).toEqual([1, 2])
    expect(render(LAYOUTS.tp2, KEY_ENV).services['reranker-gpu0']!.deploy!.resources.reservations.devices.map((d) => d.device_ids)).toEqual([['0', '1']])
  })
})

describe('defaults live in defaults.env only', () => {
  const defaults = Object.fromEntries(
    readFileSync(join(GPU_DIR, 'defaults.env'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/u.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
  )
  const files = ['compose.yaml', 'compose.gpus2.yaml', 'compose.tp2.yaml', 'compose.tls.yaml', 'Dockerfile', '.env.example', 'entrypoint.sh', 'smoke-test.sh', 'smoke/check.py']
  const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')

  it('holds the documented defaults', () => {
    expect(defaults).toMatchObject({ DEFAULT_MODEL_SIZE: '8B', TENSOR_PARALLEL_SIZE: '1', MAX_MODEL_LEN: '8192' })
  })

  it.each(files)('%s restates none of them', (file) => {
    const text = readFileSync(join(GPU_DIR, file), 'utf8')
    for (const [key, value] of Object.entries(defaults)) {
      // KEY=value (env files, Dockerfile ENV), KEY: value (compose), ${KEY:-value} (compose, sh).
      for (const re of [
        new RegExp(`\\b${key}=${escape(value)}(?![\\w.])`, 'u'),
        new RegExp(`\\b${key}:\\s*"?${escape(value)}"?\\s*$`, 'mu'),
        new RegExp(`\\$\\{${key}:?-${escape(value)}\\}`, 'u'),
      ]) {
        expect({ key, match: re.exec(text)?.[0] ?? null }).toEqual({ key, match: null })
      }
    }
  })

  it('the check can fail: the old compose line is caught', () => {
    expect(new RegExp(`\\$\\{MAX_MODEL_LEN:?-${escape('8192')}\\}`, 'u').test('MAX_MODEL_LEN: ${MAX_MODEL_LEN:-8192}')).toBe(true)
  })

  it('compose passes every engine variable with an empty fallback', () => {
    for (const key of ['MODEL_SIZE', 'MAX_MODEL_LEN', 'DTYPE', 'GPU_MEMORY_UTILIZATION', 'MAX_NUM_SEQS', 'MAX_NUM_BATCHED_TOKENS']) {
      expect(reranker.environment[key]).toBe(`\${${key}:-}`)
    }
  })
})

describe('.env.example names every variable compose reads', () => {
  // A setting compose interpolates but .env.example never mentions is one an operator cannot find
  // (PROXY_HEALTH_TIMEOUT was documented in the README only). Set or commented out both count.
  const example = readFileSync(join(GPU_DIR, '.env.example'), 'utf8')
  const listed = new Set([...example.matchAll(/^(?:# ?)?([A-Z][A-Z0-9_]*)=/gmu)].map((m) => m[1]))
  const composeFiles = ['compose.yaml', 'compose.gpus2.yaml', 'compose.tp2.yaml', 'compose.tls.yaml']
  const read = composeFiles.flatMap((f) => [...readFileSync(join(GPU_DIR, f), 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*)/gu)].map((m) => m[1]))

  it.each([...new Set(read)].sort())('%s', (name) => {
    expect({ name, listed: listed.has(name) }).toEqual({ name, listed: true })
  })

  it('the check can fail: a name compose reads that the file lacks is missed', () => {
    expect(read.length).toBeGreaterThan(10)
    expect(listed.has('NOT_A_SETTING')).toBe(false)
  })
})

describe('compose.tls.yaml', () => {
  it('publishes only 80/443 of the proxy in TLS mode, with SITE_ADDRESS required', () => {
    const doc = load('compose.tls.yaml')
    const ports = doc.getIn(['services', 'proxy', 'ports'], true) as YAMLSeq
    expect(ports.tag).toBe('!override')
    expect(ports.toJSON()).toEqual(['80:80', '443:443'])
    expect(String(doc.getIn(['services', 'proxy', 'environment', 'SITE_ADDRESS']))).toMatch(/^\$\{SITE_ADDRESS:\?/u)
    expect(Object.keys((doc.toJS() as { services: object }).services)).toEqual(['proxy'])
  })
})

describe('Dockerfile', () => {
  const from = /^FROM\s+(\S+)\s*$/mu.exec(dockerfile)?.[1] ?? ''

  it('builds FROM a pinned vllm/vllm-openai release >= v0.13.0, the one compose names', () => {
    const m = /^vllm\/vllm-openai:v(\d+)\.(\d+)\.(\d+)$/u.exec(from)
    expect(m).not.toBeNull()
    const [major, minor] = [Number(m![1]), Number(m![2])]
    expect(major > 0 || minor >= 13).toBe(true)
    expect(dockerfile.match(/^FROM /gmu)).toHaveLength(1)
    expect(reranker.image.endsWith(`:vllm-${from.split(':')[1]}`)).toBe(true)
  })

  it('uses the entrypoint beside defaults.env, a /health HEALTHCHECK with a long start period, and no engine defaults in ENV', () => {
    // The entrypoint reads defaults.env from its own folder.
    expect(dockerfile).toMatch(/^COPY entrypoint\.sh defaults\.env \/opt\/rerank-edge\/$/mu)
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/opt\/rerank-edge\/entrypoint\.sh"\]$/mu)
    const hc = /^HEALTHCHECK (.*?)\\?\n\s*CMD (.*)$/mu.exec(dockerfile)
    expect(hc).not.toBeNull()
    const start = /--start-period=(\S+)/u.exec(hc![1]!)?.[1]
    expect(durationSeconds(start!)).toBeGreaterThanOrEqual(600)
    expect(hc![2]).toContain('/health')

    // ENV block → environment; the rendered argv must not change (ENV sets no engine default).
    const envBlock = /^ENV ((?:.*\\\n)*.*)$/mu.exec(dockerfile)![1]!
    const env: Record<string, string> = {}
    for (const m of envBlock.matchAll(/([A-Z_]+)=(\S+)/gu)) env[m[1]!] = m[2]!
    expect(env.HF_HOME).toBe('/cache/huggingface')
    expect(Object.keys(env).filter((k) => ['MAX_MODEL_LEN', 'TENSOR_PARALLEL_SIZE', 'DTYPE', 'PORT'].includes(k))).toEqual([])
    const withEnv = runEntrypoint({ ...env, VLLM_API_KEY: 'dockerfile-test-key-0123' })
    const bare = runEntrypoint({ VLLM_API_KEY: 'dockerfile-test-key-0123' })
    expect(withEnv.status).toBe(0)
    expect(withEnv.lines).toEqual(bare.lines)
  })
})
