/**
 * @module middleware/cors
 * CORS for a public API (Fetch Standard §3.2, "CORS protocol"): any origin, no credentials, the
 * headers a browser client needs to read exposed, preflights answered here with 204 (400 when the
 * requested header list is not a list of header names: it is echoed, so it is checked first).
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
import { badField } from '../errors'

export interface CorsOptions {
  /** Response headers a browser script may read (`Access-Control-Expose-Headers`). */
  exposeHeaders: readonly string[]
  /** How long a browser may cache a preflight (`Access-Control-Max-Age`), seconds. */
  maxAgeSeconds: number
}

/** Every method a route here answers (OPTIONS is the preflight itself). */
export const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'

/** RFC 9110 §5.6.2 `token`, the grammar of a field name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/u

/**
 * Whether `value` is a list of header names (RFC 9110 §5.6.1: elements split by commas, optional
 * spaces or tabs around them, empty elements allowed), as every browser sends it. Anything else is
 * refused rather than echoed: the runtime hands the worker a header's bytes decoded as UTF-8, with
 * U+FFFD for bytes that are not, and control characters such as 0x01 as they are
 * (test/e2e/header-bytes.test.ts), and echoing those would put them into the response head.
 */
function isHeaderNameList(value: string): boolean {
  return value.split(',').every((element) => {
    const name = element.replace(/^[\t ]+|[\t ]+$/gu, '')
    return name === '' || TOKEN.test(name)
  })
}

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
      if (requested) {
        if (!isHeaderNameList(requested)) {
          c.header('Access-Control-Allow-Origin', '*')
          throw badField('Access-Control-Request-Headers', 'expected a comma-separated list of header names (RFC 9110 §5.6.2 tokens: visible ASCII without separators)')
        }
        headers['Access-Control-Allow-Headers'] = requested
      }
      return c.body(null, 204, headers)
    }
    c.header('Access-Control-Allow-Origin', '*')
    c.header('Access-Control-Expose-Headers', expose)
    await next()
  }
}
