/**
 * @module openapi/route-paths
 * Turns the Hono app's route table (`app.routes`) into the paths and methods the OpenAPI document
 * lists. Pure: it takes the plain `{ method, path }` records.
 *
 *  - `app.use('*', mw)` middleware shows up as method ALL on a path with `*`; wildcard paths are
 *    left out (they are not endpoints).
 *  - `routes.all('/x', allowOnly(...))` on a concrete path is the 405 fallback (src/lib/allow-only.ts):
 *    the path answers 405 with `Allow` for other methods, which the document states.
 *  - Hono parameters `:id` and `:id{[0-9]+}` become OpenAPI templates `{id}`.
 *  - HEAD is implied by GET (Hono answers HEAD through the GET handler), so it is not listed.
 */
import type { HttpMethod } from './operation-doc'

export interface RouteRecord {
  method: string
  path: string
}

export interface PathEntry {
  /** OpenAPI path template. */
  path: string
  /** The Hono path it came from. */
  honoPath: string
  methods: HttpMethod[]
  /** Path parameter names in order. */
  params: string[]
  /** True when other methods get 405 (a method-agnostic fallback handler is mounted). */
  answers405: boolean
}

const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete']

/** `/v1/experiments/:id{[a-z0-9-]+}/report` → `/v1/experiments/{id}/report`, params ['id']. */
export function toOpenApiPath(honoPath: string): { path: string; params: string[] } {
  const params: string[] = []
  const segments = honoPath.split('/').map((segment) => {
    const m = /^:([A-Za-z_][A-Za-z0-9_]*)(\{.*\})?\??$/u.exec(segment)
    if (!m) return segment
    const name = m[1] as string
    params.push(name)
    return `{${name}}`
  })
  const path = segments.join('/') || '/'
  return { path, params }
}

export function collectPaths(routes: readonly RouteRecord[]): PathEntry[] {
  const byPath = new Map<string, PathEntry>()
  for (const route of routes) {
    if (route.path.includes('*')) continue
    const { path, params } = toOpenApiPath(route.path)
    let entry = byPath.get(path)
    if (!entry) {
      entry = { path, honoPath: route.path, methods: [], params, answers405: false }
      byPath.set(path, entry)
    }
    const method = route.method.toLowerCase()
    if (method === 'all') entry.answers405 = true
    else if ((METHODS as readonly string[]).includes(method) && !entry.methods.includes(method as HttpMethod)) {
      entry.methods.push(method as HttpMethod)
    }
  }
  return [...byPath.values()]
    .filter((e) => e.methods.length > 0)
    .map((e) => ({ ...e, methods: METHODS.filter((m) => e.methods.includes(m)) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
