/**
 * gpu-backend/compose.yaml (+ compose.tp1.yaml, compose.tls.yaml) against a zod schema of the
 * compose-spec subset they use, and gpu-backend/Dockerfile against compose.yaml.
 * GPU reservations follow docs.docker.com/compose/gpu-support (driver + capabilities [gpu] +
 * count XOR device_ids); the rest follows shared/notes/vllm-qwen3-reranker.md §4.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseDocument, YAMLMap, YAMLSeq, type CollectionTag } from 'yaml'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { GPU_DIR, runEntrypoint } from './support'

// Compose's `!override` / `!reset` merge tags (Compose v2.24.4+) on sequences and maps.
const customTags: CollectionTag[] = [
  { tag: '!override', collection: 'seq', nodeClass: YAMLSeq, resolve: (v) => v },
  { tag: '!override', collection: 'map', nodeClass: YAMLMap, resolve: (v) => v },
]

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
    services: z.object({ reranker: rerankerService, proxy: proxyService, cloudflared: tunnelService }).strict(),
    volumes: z.record(z.string(), z.object({}).strict()),
  })
  .strict()

type Compose = z.infer<typeof composeSchema>

const compose: Compose = composeSchema.parse(load('compose.yaml').toJS())
const { reranker, proxy, cloudflared } = compose.services
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

  it('reserves GPUs with count only, matching TENSOR_PARALLEL_SIZE', () => {
    const device = reranker.deploy.resources.reservations.devices[0]!
    expect(device).toEqual({ driver: 'nvidia', count: 2, capabilities: ['gpu'] })
    expect(Number(reranker.environment.TENSOR_PARALLEL_SIZE)).toBe(device.count)
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
    expect(proxy.environment.UPSTREAM).toBe('reranker:8000')
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
    expect(reranker.volumes).toContain('vllm-cache:/cache/vllm')
    expect(dockerfile).toMatch(/HF_HOME=\/cache\/huggingface/u)
    expect(dockerfile).toMatch(/VLLM_CACHE_ROOT=\/cache\/vllm/u)
    expect(proxy.volumes).toContain('./proxy/Caddyfile:/etc/caddy/Caddyfile:ro')
  })

  it('requires the API key, offers the offline toggle, and bakes no secret in', () => {
    expect(interpolationDefault(reranker.environment.VLLM_API_KEY!)).toBeNull()
    expect(reranker.environment.VLLM_API_KEY).toMatch(/^\$\{VLLM_API_KEY:\?/u)
    expect(interpolationDefault(reranker.environment.HF_HUB_OFFLINE!)).toBe('0')
    const instructions = dockerfile.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n')
    expect(instructions).not.toMatch(/VLLM_API_KEY/u)
    expect(cloudflared.profiles).toEqual(['tunnel'])
  })

  it("renders the default 8B/TP2 command from compose's environment defaults", () => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(reranker.environment)) {
      const d = interpolationDefault(v)
      if (d) env[k] = d
    }
    const r = runEntrypoint({ ...env, VLLM_API_KEY: 'compose-test-key-0123456789' })
    expect(r.status).toBe(0)
    expect(r.lines.slice(0, 3)).toEqual(['vllm', 'serve', 'Qwen/Qwen3-Reranker-8B'])
    expect(r.lines).toContain('--tensor-parallel-size=2')
    expect(r.lines).toContain('--served-model-name=qwen3-reranker-8b')
  })
})

describe('compose.tp1.yaml and compose.tls.yaml', () => {
  it('switches to one GPU and TP 1, replacing (not appending to) the device list', () => {
    const doc = load('compose.tp1.yaml')
    const devicesNode = doc.getIn(['services', 'reranker', 'deploy', 'resources', 'reservations', 'devices'], true) as YAMLSeq
    expect(devicesNode.tag).toBe('!override')
    const devices = z.array(gpuDevice).length(1).parse(devicesNode.toJSON())
    expect(devices[0]).toEqual({ driver: 'nvidia', count: 1, capabilities: ['gpu'] })
    expect(doc.getIn(['services', 'reranker', 'environment', 'TENSOR_PARALLEL_SIZE'])).toBe('1')
  })

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

  it('uses the entrypoint, a /health HEALTHCHECK with a long start period, and ENV defaults equal to the script', () => {
    expect(dockerfile).toMatch(/^COPY entrypoint\.sh \/entrypoint\.sh$/mu)
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/entrypoint\.sh"\]$/mu)
    const hc = /^HEALTHCHECK (.*?)\\?\n\s*CMD (.*)$/mu.exec(dockerfile)
    expect(hc).not.toBeNull()
    const start = /--start-period=(\S+)/u.exec(hc![1]!)?.[1]
    expect(durationSeconds(start!)).toBeGreaterThanOrEqual(600)
    expect(hc![2]).toContain('/health')

    // ENV block → environment; the rendered argv must not change (the defaults agree).
    const envBlock = /^ENV ((?:.*\\\n)*.*)$/mu.exec(dockerfile)![1]!
    const env: Record<string, string> = {}
    for (const m of envBlock.matchAll(/([A-Z_]+)=(\S+)/gu)) env[m[1]!] = m[2]!
    expect(env.MAX_MODEL_LEN).toBe('8192')
    const withEnv = runEntrypoint({ ...env, VLLM_API_KEY: 'dockerfile-test-key-0123' })
    const bare = runEntrypoint({ VLLM_API_KEY: 'dockerfile-test-key-0123' })
    expect(withEnv.status).toBe(0)
    expect(withEnv.lines).toEqual(bare.lines)
  })
})
