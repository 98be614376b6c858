/**
 * @module request-id
 * Gives every request an id (the caller's `X-Request-Id` when it is a sane token, else a
 * UUID), echoes it in `X-Request-Id`, and parses the config once per env.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'

export const ALL_SCOPES: ReadonlySet<string> = new Set(['rerank', 'experiments', 'feedback'])

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/u

export const requestContext = (): MiddlewareHandler<AppEnv> =>
  async function requestContext(c, next) {
    const given = c.req.header('x-request-id')
    const id = given && SANE_ID.test(given) ? given : crypto.randomUUID()
    c.set('requestId', id)
    c.set('startedAt', Date.now())
    // Open by default; the access-control middleware narrows these when keys are configured.
    c.set('tenant', 'public')
    c.set('keyId', null)
    c.set('scopes', ALL_SCOPES)
    c.header('X-Request-Id', id)
    await next()
  }
