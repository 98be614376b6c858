/**
 * @module upstream-registry
 * The upstream pools of one isolate, one per upstream configuration, so breakers, latency
 * estimates and outstanding counts span requests (and `/healthz` reads the same pool the rerank
 * routes use). Built once per isolate by `createServices` (src/services.ts); no module state.
 *
 * Keyed by the settings' values rather than by the `Config` object: a fresh `env` object (and so
 * a fresh `Config`) for the same settings must find the same pool. The key holds URLs but never
 * the API key. A handful of configurations at most exist per isolate; the map is capped anyway.
 */
import type { Config } from '../../config'
import { DEFAULT_BREAKER_POLICY } from './upstream-breaker'
import { createUpstreamPool, defaultHedgeAfterMs, type UpstreamPool } from './upstream-pool'

const MAX_POOLS = 32

export type UpstreamConfig = Pick<
  Config,
  | 'VLLM_URLS'
  | 'UPSTREAM_MAX_ATTEMPTS'
  | 'UPSTREAM_HEDGE_AFTER_MS'
  | 'UPSTREAM_BREAKER_FAILURES'
  | 'UPSTREAM_BREAKER_COOLDOWN_MS'
  | 'BACKEND_TIMEOUT_MS'
>

export interface UpstreamRegistry {
  /** The pool for these settings (created on first use, least recently used evicted past 32). */
  poolFor(config: UpstreamConfig): UpstreamPool
}

export function createUpstreamRegistry(clock: { now: () => number; random: () => number }): UpstreamRegistry {
  const pools = new Map<string, UpstreamPool>()
  return {
    poolFor(config) {
      // Unset: half the deadline (upstream-pool.ts defaultHedgeAfterMs); 0: no hedging.
      const hedgeAfterMs = config.UPSTREAM_HEDGE_AFTER_MS ?? defaultHedgeAfterMs(config.BACKEND_TIMEOUT_MS)
      const key = JSON.stringify([
        config.VLLM_URLS,
        config.UPSTREAM_MAX_ATTEMPTS,
        hedgeAfterMs,
        config.BACKEND_TIMEOUT_MS,
        config.UPSTREAM_BREAKER_FAILURES,
        config.UPSTREAM_BREAKER_COOLDOWN_MS,
      ])
      let pool = pools.get(key)
      if (pool) {
        // Refresh recency so the cap evicts the least recently used configuration.
        pools.delete(key)
        pools.set(key, pool)
        return pool
      }
      pool = createUpstreamPool(config.VLLM_URLS, {
        maxAttempts: config.UPSTREAM_MAX_ATTEMPTS,
        hedgeAfterMs,
        breaker: {
          failureThreshold: config.UPSTREAM_BREAKER_FAILURES,
          cooldownMs: config.UPSTREAM_BREAKER_COOLDOWN_MS,
          maxCooldownMs: Math.max(DEFAULT_BREAKER_POLICY.maxCooldownMs, config.UPSTREAM_BREAKER_COOLDOWN_MS),
          // A probe is presumed lost only once its attempt could have timed out (every attempt may run
          // to the call's deadline): a fixed 15 s let a second probe join a live first one whenever
          // BACKEND_TIMEOUT_MS is longer.
          probeStaleMs: Math.max(DEFAULT_BREAKER_POLICY.probeStaleMs, config.BACKEND_TIMEOUT_MS + 1_000),
        },
        now: clock.now,
        random: clock.random,
      })
      pools.set(key, pool)
      if (pools.size > MAX_POOLS) {
        const oldest = pools.keys().next().value
        if (oldest !== undefined) pools.delete(oldest)
      }
      return pool
    },
  }
}
