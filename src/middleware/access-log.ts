/**
 * @module middleware/access-log
 * One structured JSON log line per request (observability/request-record.ts), the in-isolate
 * rolling stats behind GET /v1/stats, and an Analytics Engine data point when the `ANALYTICS`
 * binding exists. Registered outermost (after the request id), so 401s, 429s and errors are
 * recorded too. Nothing is awaited on the response path: the line and the data point are written
 * in `waitUntil` after the response is built. `LOG_REQUESTS=false` silences the line only.
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { codeForStatus } from '../errors'
import { redactorFor, type Redactor } from '../lib/redact-secrets'
import { toDataPoint } from '../observability/analytics'
import { buildRequestRecord, type RequestRecord } from '../observability/request-record'
import { toApiError } from '../to-api-error'

/** The code the wire showed: the error handler's own mapping (to-api-error.ts), else the status's. */
function errorCodeOf(c: Context<AppEnv>, status: number): string | null {
  if (c.error !== undefined) return toApiError(c.error).code
  return status < 400 ? null : codeForStatus(status)
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
