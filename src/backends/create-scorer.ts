/**
 * @module create-scorer
 * Builds the scorer a config calls for. `createServices` (src/services.ts) memoises it per config
 * and isolate, with the isolate's upstream pools, so the pools' state lives as long as the isolate.
 */
import type { Config } from '../config'
import { maxUpstreamBatches, upstreamSubrequests } from './subrequest-budget'
import { createLexicalScorer } from './lexical/lexical-backend'
import type { PairScorer } from './types'
import { NoHealthyUpstreamError } from './vllm/upstream-errors'
import type { UpstreamPool } from './vllm/upstream-pool'
import { createVllmScorer } from './vllm/vllm-client'

/** The scorer for `config`; a vLLM scorer sends through `pool` (the isolate's pool for its upstreams) and keeps time with `now` (the isolate's clock). */
export function createScorer(config: Config, pool: () => UpstreamPool, now: () => number): PairScorer {
  return config.backend === 'vllm'
    ? createVllmScorer({
        pool: pool(),
        apiKey: config.VLLM_API_KEY,
        accessToken:
          config.VLLM_ACCESS_CLIENT_ID && config.VLLM_ACCESS_CLIENT_SECRET
            ? { clientId: config.VLLM_ACCESS_CLIENT_ID, clientSecret: config.VLLM_ACCESS_CLIENT_SECRET }
            : undefined,
        model: config.VLLM_MODEL,
        batchSize: config.BACKEND_BATCH_SIZE,
        maxBatches: maxUpstreamBatches(config.MAX_SUBREQUESTS, config.UPSTREAM_MAX_ATTEMPTS),
        maxUpstreamCalls: upstreamSubrequests(config.MAX_SUBREQUESTS),
        maxModelLen: config.MAX_MODEL_LEN,
        now,
      })
    : createLexicalScorer()
}

/**
 * Whether `error` calls for the lexical fallback: no upstream could serve and the operator chose
 * `FALLBACK=lexical`; otherwise the error stands (503). The fallback scorer's kind is 'lexical', so
 * the cache bypasses it and the response says `meta.backend: "lexical"`.
 */
export function wantsLexicalFallback(error: unknown, config: Config): boolean {
  return error instanceof NoHealthyUpstreamError && config.FALLBACK === 'lexical'
}
