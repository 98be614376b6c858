/**
 * @module middleware/rate-limit
 * Per-key rate limits, after access control:
 *  - the Workers rate-limiting binding `RATE_LIMITER` (wrangler.toml `[[ratelimits]]`,
 *    600 requests per 60 s), keyed by the API key id, shared by the isolates of a location;
 *  - a key's own `rate_limit` (API_KEYS), when set, counted in-isolate (auth/window-limiter.ts)
 *    on top: the binding's limit is fixed per namespace, so it cannot carry per-key limits.
 * Open deployments are not limited unless RATE_LIMIT_ANONYMOUS=true, which keys the binding by
 * the client IP (CF-Connecting-IP, an IPv6 address by its /64: auth/client-network.ts; requests
 * without it are not limited). Over the limit: 429
 * `rate_limited` with `Retry-After` (RFC 9110 §10.2.3). A failing binding lets the call through.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { clientNetwork } from '../auth/client-network'
import { ApiError } from '../errors'

/** wrangler.toml `[[ratelimits]] simple.period` of RATE_LIMITER; the binding does not expose it. */
const BINDING_PERIOD_SECONDS = 60

function limited(message: string, retryAfterSec: number): ApiError {
  return new ApiError('rate_limited', `${message}; retry after ${retryAfterSec} s`, {
    headers: { 'Retry-After': String(retryAfterSec) },
  })
}

export const rateLimit = (): MiddlewareHandler<AppEnv> =>
  async function rateLimit(c, next) {
    const config = c.get('config')
    const keyId = c.get('keyId')
    let subject: string | null = null
    if (keyId !== null) subject = `key:${keyId}`
    else if (config.API_KEYS.length === 0 && config.RATE_LIMIT_ANONYMOUS) {
      const ip = c.req.header('cf-connecting-ip')
      if (ip) subject = `ip:${clientNetwork(ip.trim().slice(0, 64))}`
    }
    if (subject === null) return next()

    const own = keyId === null ? null : (config.API_KEYS.find((k) => k.id === keyId)?.rateLimit ?? null)
    if (own) {
      const services = c.get('services')
      const d = services.keyRateLimits.hit(subject, own.limit, own.period * 1000, services.now())
      if (!d.ok) throw limited(`rate limit of key "${keyId}" exceeded: ${own.limit} requests per ${own.period} s`, d.retryAfterSec)
    }
    const binding = c.env.RATE_LIMITER
    if (binding) {
      let success = true
      try {
        success = (await binding.limit({ key: subject })).success
      } catch (e) {
        // Availability over strictness: a limiter outage must not take the API down.
        console.warn(JSON.stringify({ level: 'warn', msg: 'rate_limiter_failed', request_id: c.get('requestId'), error: String(e).slice(0, 200) }))
      }
      if (!success) {
        const who = keyId === null ? 'this client' : `key "${keyId}"`
        throw limited(`rate limit exceeded for ${who}`, BINDING_PERIOD_SECONDS)
      }
    }
    await next()
  }
