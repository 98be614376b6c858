/**
 * @module middleware/cors
 * CORS for a public API (Fetch Standard §3.2, "CORS protocol"): any origin, no credentials, the
 * headers a browser client needs to read exposed, preflights answered here with 204.
 *
 * Why not `hono/cors`: it writes its headers onto `c.res` before the handler runs, which makes
 * Hono build a placeholder Response and then, when the handler answers, a second Response with
 * every header copied across (hono/src/context.ts, `set res`). That copy was a measurable part
 * of each call's own cost in workerd (measured 2026-12-02, before bench/rerank-cpu.bench.ts). Here the headers go
 * into Hono's prepared headers (`c.header` before `next()`), which the handler's `c.json`/`c.body`
 * picks up when it builds the one Response; so do errors, so a browser can read a 4xx body.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'

export interface CorsOptions {
  /** Response headers a browser script may read (`Access-Control-Expose-Headers`). */
  exposeHeaders: readonly string[]
  /** How long a browser may cache a preflight (`Access-Control-Max-Age`), seconds. */
  maxAgeSeconds: number
}

/** Every method a route here answers (OPTIONS is the preflight itself). */
export const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'

export const cors = (options: CorsOptions): MiddlewareHandler<AppEnv> => {
  const expose = options.exposeHeaders.join(', ')
  const maxAge = String(options.maxAgeSeconds)
  return async function cors(c, next) {
    if (c.req.method === 'OPTIONS') {
      const headers: Record<string, string> = {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': CORS_ALLOW_METHODS,
        'Access-Control-Max-Age': maxAge,
        // The reply echoes the request's header list, so caches must key on it.
        Vary: 'Access-Control-Request-Headers',
      }
      const requested = c.req.header('access-control-request-headers')
      if (requested) headers['Access-Control-Allow-Headers'] = requested
      return c.body(null, 204, headers)
    }
    c.header('Access-Control-Allow-Origin', '*')
    c.header('Access-Control-Expose-Headers', expose)
    await next()
  }
}
