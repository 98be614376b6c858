/**
 * @module middleware/auth
 * Access control. With no `API_KEYS` configured the deployment is open (every caller is tenant
 * 'public' with all scopes) and the worker says so once per isolate, as a structured warning.
 * With keys, every route but the public ones (auth/route-access.ts) needs a valid key: 401 with
 * `WWW-Authenticate: Bearer` (RFC 6750 §3) when it is missing, malformed or not recognised (the
 * message says which, and names the headers a key is accepted in), 403 when the key lacks the
 * route's scope. The key's tenant partitions the score cache (c.var.tenant).
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { ACCEPTED_KEY_HEADERS, readCredential } from '../auth/credentials'
import { findKeyByDigest, sha256 } from '../auth/key-digest'
import { clientOf, type FailedAuthPolicy } from '../auth/failed-auth-limiter'
import { accessRuleFor } from '../auth/route-access'
import { NO_SCOPES, OPEN_SCOPES, type Scope } from '../auth/scopes'
import { ApiError } from '../errors'

const REALM = 'Bearer realm="rerank-edge"'

/** Once per isolate (`warned`: src/services.ts `warnedOnce`). */
function warnOpenOnce(warned: Set<string>): void {
  if (warned.has('auth_open')) return
  warned.add('auth_open')
  console.warn(
    JSON.stringify({
      ts: new Date().toISOString(),
      level: 'warn',
      msg: 'auth_open',
      detail:
        'no API_KEYS configured: access is open, every caller is tenant "public" with all scopes; ' +
        'set API_KEYS (hashes from `npm run hash-key -- <key>`) to require keys',
    })
  )
}

function unauthorized(message: string, invalidToken: boolean): ApiError {
  return new ApiError('unauthorized', message, {
    headers: { 'WWW-Authenticate': invalidToken ? `${REALM}, error="invalid_token"` : REALM },
  })
}

function tooManyFailures(retryAfterSec: number, p: FailedAuthPolicy): ApiError {
  return new ApiError(
    'rate_limited',
    `too many failed authentications from this client (${p.maxFailures} per ${Math.round(p.windowMs / 1000)} s); retry after ${retryAfterSec} s`,
    { headers: { 'Retry-After': String(retryAfterSec) } }
  )
}

function forbidden(scope: Scope): ApiError {
  return new ApiError('forbidden', `this API key lacks the "${scope}" scope this route needs`, {
    headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` },
  })
}

export const accessControl = (): MiddlewareHandler<AppEnv> =>
  async function accessControl(c, next) {
    const keys = c.get('config').API_KEYS
    if (keys.length === 0) {
      warnOpenOnce(c.get('services').warnedOnce)
      c.set('scopes', OPEN_SCOPES)
      return next()
    }
    const rule = accessRuleFor(c.req.method, c.req.path, (name) => c.req.query(name))
    const credential = readCredential(c.req.header('authorization'), c.req.header('x-api-key'))
    if (rule.kind === 'public') {
      c.set('scopes', NO_SCOPES)
      // A public route serves everyone; a key, when sent, is read (the tenant and scopes it
      // grants). A wrong one is counted like anywhere else, but the public answer is still given.
      if (credential.kind === 'missing') return next()
      const client = clientOf(c.req.header('cf-connecting-ip'))
      const { failedAuth, now: clock } = c.get('services')
      const now = clock()
      if (failedAuth.lockedFor(client, now) > 0) return next()
      const key = credential.kind === 'key' ? findKeyByDigest(keys, await sha256(credential.token)) : null
      if (key === null) {
        failedAuth.fail(client, now)
        return next()
      }
      c.set('keyId', key.id)
      c.set('tenant', key.tenant)
      c.set('scopes', key.scopes)
      return next()
    }
    if (credential.kind === 'missing') {
      // RFC 6750 §3.1: a request with no credentials gets the challenge without an error code.
      throw unauthorized(`missing API key: none was sent; send it as ${ACCEPTED_KEY_HEADERS}`, false)
    }
    // Key guessing: past the failure budget a client's credentials are not checked at all, so a
    // right guess looks like a wrong one until the window ends (auth/failed-auth-limiter.ts).
    const client = clientOf(c.req.header('cf-connecting-ip'))
    const { failedAuth, now: clock } = c.get('services')
    const now = clock()
    const locked = failedAuth.lockedFor(client, now)
    if (locked > 0) throw tooManyFailures(locked, failedAuth.policy)
    if (credential.kind === 'malformed') {
      failedAuth.fail(client, now)
      throw unauthorized(credential.message, true)
    }
    const key = findKeyByDigest(keys, await sha256(credential.token))
    if (key === null) {
      failedAuth.fail(client, now)
      throw unauthorized(
        `API key not recognised: the key sent in ${credential.header} matches no key configured for this deployment (keys are accepted as ${ACCEPTED_KEY_HEADERS})`,
        true
      )
    }
    c.set('keyId', key.id)
    c.set('tenant', key.tenant)
    c.set('scopes', key.scopes)
    if (rule.kind === 'scope' && !key.scopes.has(rule.scope)) throw forbidden(rule.scope)
    await next()
  }

/**
 * Route-level guard for sub-apps (e.g. `experimentsRoutes.use('*', requireScope('experiments'))`).
 * accessControl already enforces the route table; this states the requirement where the route is
 * defined and keeps it if the table and the route ever disagree. Open deployments pass.
 */
export const requireScope = (scope: Scope): MiddlewareHandler<AppEnv> =>
  async function requireScope(c, next) {
    if (!c.get('scopes').has(scope)) throw forbidden(scope)
    await next()
  }
