/**
 * @module middleware/access-log
 * One structured JSON log line per request (observability/request-record.ts), the in-isolate
 * rolling stats behind GET /v1/stats, and an Analytics Engine data point when the `ANALYTICS`
 * binding exists. Registered outermost (after the request id), so 401s, 429s and errors are
 * recorded too. Nothing is awaited on the response path: the line and the data point are written
 * in `waitUntil` after the response is built. `LOG_REQUESTS=false` silences the line only.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../app-env'
import { BackendError } from '../backends/backend-error'
import { ApiError } from '../errors'
import { redactorFor, type Redactor } from '../lib/redact-secrets'
import { toDataPoint } from '../observability/analytics'
import { buildRequestRecord, type RequestRecord } from '../observability/request-record'

const STATUS_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'backend_error',
  503: 'backend_unavailable',
  504: 'backend_timeout',
}

function errorCodeOf(c: Context<AppEnv>, status: number): string | null {
  const e = c.error
  if (e instanceof ApiError) return e.code
  if (e instanceof BackendError) return e.toApiError().code
  if (e instanceof HTTPException && e.status < 500) return STATUS_CODES[e.status] ?? 'invalid_request'
  if (e !== undefined) return 'internal_error'
  if (status < 400) return null
  return STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request')
}

export const accessLog = (): MiddlewareHandler<AppEnv> =>
  async function accessLog(c, next) {
    await next()
    const services = c.get('services')
    const now = services.now()
    // c.var.config is unset when the config itself failed to parse (a 500 that is still logged).
    const config = c.get('config') as AppEnv['Variables']['config'] | undefined
    const record = buildRequestRecord({
      now,
      startedAt: c.get('startedAt') ?? now,
      requestId: c.get('requestId') ?? '',
      keyId: c.get('keyId') ?? null,
      tenant: c.get('tenant') ?? 'public',
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      errorCode: errorCodeOf(c, c.res.status),
      rerank: c.get('rerankInfo'),
      configuredBackend: config?.backend ?? null,
    })
    // Polling the stats must not move them; a refused poll (401, 403, 429) is counted, so key
    // guessing against the operator's endpoint shows.
    if (!(record.path === '/v1/stats' && record.status < 400)) services.requestStats.record(record, now)
    const log = config?.LOG_REQUESTS ?? true
    const analytics = c.env?.ANALYTICS
    // Nothing to write: skip the waitUntil too (it keeps the request's context open).
    if (!log && !analytics) return
    // The line holds no backend text today; masked anyway, so a field added later cannot leak a secret.
    const redact = redactorFor(config)
    const emit = () => write(record, log, analytics, redact)
    try {
      c.executionCtx.waitUntil(Promise.resolve().then(emit))
    } catch {
      emit() // no ExecutionContext (app.request in a unit test): write now
    }
  }

function write(record: RequestRecord, log: boolean, analytics: AnalyticsEngineDataset | undefined, redact: Redactor): void {
  if (log) console.log(redact(JSON.stringify(record)))
  if (analytics) {
    try {
      analytics.writeDataPoint(toDataPoint(record))
    } catch {
      // Metrics are best effort; a failing sink must not surface.
    }
  }
}
