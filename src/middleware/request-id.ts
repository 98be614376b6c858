/**
 * @module request-id
 * Gives every request our own id, a fresh UUID: the response's `id`, the error envelope's
 * `request_id`, the `X-Request-Id` response header, the access-log line and the key of an
 * experiment exposure. A caller's own `X-Request-Id` (when it is a sane token) is kept as a
 * correlation field, `clientRequestId`, and echoed in `X-Client-Request-Id`; it is never a key,
 * so a caller that reuses one for many calls still gets one exposure per call (README,
 * "Request ids").
 *
 * Also sets `X-Content-Type-Options: nosniff` on every response (errors, 404s, preflights, HTML
 * pages): a browser must not second-guess a JSON body as HTML or script (Fetch Standard §3.5,
 * "X-Content-Type-Options header"; OWASP Secure Headers).
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'

const ALL_SCOPES: ReadonlySet<string> = new Set(['rerank', 'experiments', 'feedback'])

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/u
const NOSNIFF = 'X-Content-Type-Options'

export const requestContext = (): MiddlewareHandler<AppEnv> =>
  async function requestContext(c, next) {
    const given = c.req.header('x-request-id')
    const id = crypto.randomUUID()
    const clientId = given !== undefined && SANE_ID.test(given) ? given : null
    c.set('requestId', id)
    c.set('clientRequestId', clientId)
    c.set('startedAt', c.get('services').now())
    // Placeholders: the access-control middleware, which runs on every route after this one, sets
    // the caller's tenant, key and scopes (every scope in an open deployment, the key's otherwise).
    c.set('tenant', 'public')
    c.set('keyId', null)
    c.set('scopes', ALL_SCOPES)
    c.header('X-Request-Id', id)
    if (clientId !== null) c.header('X-Client-Request-Id', clientId)
    // Prepared here so that c.json / c.body responses (errors and 404s too) carry it from the start.
    c.header(NOSNIFF, 'nosniff')
    await next()
    // A body the route never read (a 401, 404, 405… answered before it): cancel it, so that nothing
    // in front of the worker keeps the connection open waiting to deliver it (a request that
    // declares more bytes than it sends held `npm start` connections open indefinitely:
    // bench/lying-content-length.bench.ts).
    const raw = c.req.raw
    if (raw.body !== null && !raw.bodyUsed) raw.body.cancel().catch(() => undefined)
    // A Response built outside the context (a page, a cached body) may lack it: add it there too.
    if (c.res.headers.get(NOSNIFF) !== 'nosniff') {
      try {
        c.res.headers.set(NOSNIFF, 'nosniff')
      } catch {
        // Immutable headers (a fetched Response): re-wrap once.
        const res = new Response(c.res.body, c.res)
        res.headers.set(NOSNIFF, 'nosniff')
        c.res = res
      }
    }
  }
