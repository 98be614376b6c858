/**
 * A small renderer for the compose files in gpu-backend/: parse, interpolate `${VAR}`,
 * `${VAR:-default}` and `${VAR:?message}` from a given environment, and merge override files
 * the way Compose does (docs.docker.com/reference/compose-file/merge: mappings merge, sequences
 * append, `command` / `entrypoint` / `healthcheck.test` replace, a `!override` node replaces).
 * Docker Compose itself is not installed where these tests run; this covers the subset the files use.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isMap, isScalar, isSeq, parseDocument, YAMLMap, YAMLSeq, type CollectionTag, type Node } from 'yaml'
import { GPU_DIR } from './support'

export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml }

/** Nodes tagged `!override` carry this (non-enumerable) mark until they are merged. */
const OVERRIDE = Symbol('override')
type Marked = Yaml
const isOverride = (v: Yaml): boolean => v !== null && typeof v === 'object' && OVERRIDE in v

// Compose's `!override` / `!reset` merge tags (Compose v2.24.4+) on sequences and maps.
export const customTags: CollectionTag[] = [
  { tag: '!override', collection: 'seq', nodeClass: YAMLSeq, resolve: (v) => v },
  { tag: '!override', collection: 'map', nodeClass: YAMLMap, resolve: (v) => v },
]

function toPlain(node: Node | null | undefined): Marked {
  let out: Marked
  if (node === null || node === undefined) return null
  if (isMap(node)) {
    const obj: { [key: string]: Yaml } = {}
    for (const pair of node.items) obj[String((pair.key as { value: unknown }).value)] = toPlain(pair.value as Node)
    out = obj
  } else if (isSeq(node)) {
    out = node.items.map((n) => toPlain(n as Node))
  } else if (isScalar(node)) {
    out = node.value as Yaml
  } else {
    throw new Error(`unsupported YAML node ${String(node)}`)
  }
  if (node.tag === '!override' && typeof out === 'object' && out !== null) {
    Object.defineProperty(out, OVERRIDE, { value: true, enumerable: false })
  }
  return out
}

export function loadFile(file: string): Marked {
  const doc = parseDocument(readFileSync(join(GPU_DIR, file), 'utf8'), { customTags })
  if (doc.errors.length > 0 || doc.warnings.length > 0) throw new Error(`${file}: ${[...doc.errors, ...doc.warnings].join('; ')}`)
  return toPlain(doc.contents as Node)
}

const REPLACED = new Set(['command', 'entrypoint', 'test'])

export function merge(base: Marked, over: Marked, key = ''): Marked {
  if (isOverride(over)) return over
  if (Array.isArray(base) && Array.isArray(over)) return REPLACED.has(key) ? over : [...base, ...over]
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: { [key: string]: Yaml } = { ...base }
    for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k]!, v, k) : v
    return out
  }
  return over
}

/** Compose interpolation: `${VAR}`, `${VAR:-default}` (also when empty), `${VAR:?err}` (required). */
export function interpolate(value: Yaml, env: Record<string, string>): Yaml {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/gu, (_, name: string, op?: string, arg?: string) => {
      const v = env[name]
      if (op === ':?' && !v) throw new Error(`required variable ${name} is missing: ${arg ?? ''}`)
      if (op === ':-' && !v) return arg ?? ''
      return v ?? ''
    })
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]))
  return value
}

export interface Service {
  environment?: Record<string, string>
  profiles?: string[]
  deploy?: { resources: { reservations: { devices: { driver: string; device_ids?: string[]; count?: number; capabilities: string[] }[] } } }
  [key: string]: unknown
}
export interface Project {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}

/** `docker compose -f a -f b config` for the files given, in order, under `env`. */
export function render(files: string[], env: Record<string, string>): Project {
  const merged = files.map(loadFile).reduce((a, b) => merge(a, b))
  return interpolate(merged, env) as unknown as Project
}

/** The `${NAME...}` references of a file (the variables an operator can set for it). */
export function variablesOf(file: string): Set<string> {
  const text = readFileSync(join(GPU_DIR, file), 'utf8')
  return new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/gu)].map((m) => m[1]!))
}
