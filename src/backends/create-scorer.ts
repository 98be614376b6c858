/**
 * @module create-scorer
 * Builds the scorer a config calls for, once per config (so the upstream pool's state lives
 * as long as the isolate).
 */
import type { Config } from '../config'
import { createLexicalScorer } from './lexical/lexical-backend'
import type { PairScorer } from './types'
import { NoHealthyUpstreamError } from './vllm/upstream-errors'
import { upstreamPoolFor } from './vllm/upstream-registry'
import { createVllmScorer } from './vllm/vllm-client'

const memo = new WeakMap<Config, PairScorer>()

export function scorerFor(config: Config): PairScorer {
  let s = memo.get(config)
  if (!s) {
    s =
      config.backend === 'vllm'
        ? createVllmScorer({
            pool: upstreamPoolFor(config),
            apiKey: config.VLLM_API_KEY,
            accessToken:
              config.VLLM_ACCESS_CLIENT_ID && config.VLLM_ACCESS_CLIENT_SECRET
                ? { clientId: config.VLLM_ACCESS_CLIENT_ID, clientSecret: config.VLLM_ACCESS_CLIENT_SECRET }
                : undefined,
            model: config.VLLM_MODEL,
            batchSize: config.BACKEND_BATCH_SIZE,
            maxModelLen: config.MAX_MODEL_LEN,
          })
        : createLexicalScorer()
    memo.set(config, s)
  }
  return s
}

const lexicalFallback = createLexicalScorer()

/**
 * The scorer to retry with when `error` says no upstream could serve and the operator chose
 * `FALLBACK=lexical`; undefined otherwise (the error stands: 503). The fallback scorer's kind is
 * 'lexical', so the cache bypasses it and the response says `meta.backend: "lexical"`.
 */
export function fallbackScorerFor(error: unknown, config: Config): PairScorer | undefined {
  return error instanceof NoHealthyUpstreamError && config.FALLBACK === 'lexical' ? lexicalFallback : undefined
}
