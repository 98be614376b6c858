/**
 * @module lib/allow-only
 * A catch-all handler that answers 405 with `Allow` (RFC 9110 §15.5.6) for a known path
 * called with the wrong method.
 */
import type { Handler } from 'hono'
import type { AppEnv } from '../app-env'
import { ApiError } from '../errors'

export const allowOnly =
  (...methods: string[]): Handler<AppEnv> =>
  (c) => {
    throw new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${methods.join(', ')}`, {
      headers: { Allow: methods.join(', ') },
    })
  }
