/**
 * @module app
 * Builds the Hono app: global middleware, route mounts, and the one error handler that maps
 * every failure to the JSON envelope `{ error: { code, message, field? }, request_id }` (src/errors.ts).
 */
import { Hono } from 'hono'
import type { AppEnv } from './app-env'
import { parseConfig, type Config } from './config'
import { ApiError, toWireError } from './errors'
import { redactorFor } from './lib/redact-secrets'
import { accessLog } from './middleware/access-log'
import { accessControl } from './middleware/auth'
import { cors } from './middleware/cors'
import { rateLimit } from './middleware/rate-limit'
import { requestContext } from './middleware/request-id'
import { healthRoutes } from './routes/health'
import { RERANK_MOUNTS } from './rerank/rerank-paths'
import { rerankRoutes } from './routes/rerank'
import { statsRoutes } from './routes/stats'
import { docsRoutes } from './routes/docs'
import { playgroundRoutes } from './routes/playground'
import { templateRoutes } from './routes/templates'
import { experimentRoutes } from './routes/experiments'
import { feedbackRoutes } from './routes/feedback'
import { modelRoutes } from './routes/models'
import { createServices, type Services } from './services'
import { toApiError } from './to-api-error'

/**
 * `services`: the isolate's long-lived state (src/services.ts); src/index.ts builds one per
 * isolate, a test may pass its own (with its own clock). Absent: a fresh set for this app.
 */
export function createApp(services: Services = createServices()): Hono<AppEnv> {
  // strict: false: `/v1/rerank/` is `/v1/rerank` (c.req.path is trimmed too, so access rules match).
  const app = new Hono<AppEnv>({ strict: false })

  app.use('*', async function provideServices(c, next) {
    c.set('services', services)
    await next()
  })
  app.use('*', requestContext())
  app.use('*', accessLog())
  app.use(
    '*',
    cors({
      // Location: the 201 of POST /v1/experiments; WWW-Authenticate: why a 401/403 (RFC 6750 §3,
      // insufficient_scope and scope=); Allow: the methods a 405 names (RFC 9110 §15.5.6);
      // Accept-Encoding: the request codings a 415 accepts (RFC 9110 §15.5.16).
      exposeHeaders: ['Cache-Status', 'Server-Timing', 'X-Request-Id', 'X-Client-Request-Id', 'Retry-After', 'Location', 'WWW-Authenticate', 'Allow', 'Accept-Encoding'],
      maxAgeSeconds: 86400,
    })
  )
  app.use('*', async function loadConfig(c, next) {
    c.set('config', parseConfig(c.env))
    await next()
  })
  app.use('*', accessControl())
  app.use('*', rateLimit())

  // Each sub-app is mounted at its own prefix and holds paths relative to it; sub-apps never
  // import each other (shared helpers live in lib/ or the capability folder).
  app.route('/healthz', healthRoutes)
  for (const mount of RERANK_MOUNTS) app.route(mount.path, rerankRoutes({ returnDocumentsDefault: mount.returnDocumentsDefault, apiVersion: mount.apiVersion }))
  app.route('/v1/templates', templateRoutes)
  app.route('/v1/experiments', experimentRoutes)
  app.route('/v1/feedback', feedbackRoutes)
  app.route('/v1/stats', statsRoutes)
  app.route('/v1/models', modelRoutes)
  app.route('/', playgroundRoutes)
  // Reads app.routes per request, so every route mounted here (before or after) is documented.
  app.route('/', docsRoutes(() => app.routes))

  app.notFound((c) => {
    const err = new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`)
    return c.json(toWireError(err, c.get('requestId') ?? ''), 404)
  })

  app.onError((e, c) => {
    const requestId = c.get('requestId') ?? ''
    const err = toApiError(e)
    // Backend text may quote a secret back (lib/redact-secrets.ts): masked on the wire and in logs.
    const redact = redactorFor(c.get('config') as Config | undefined)
    if (err.status >= 500 && err.code === 'internal_error') {
      console.error(redact(JSON.stringify({ level: 'error', request_id: requestId, error: String(e), stack: e instanceof Error ? e.stack : undefined })))
    }
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v)
    return c.json(toWireError(err, requestId, redact(err.message)), err.status as 400)
  })

  return app
}
