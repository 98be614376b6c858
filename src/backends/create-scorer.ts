/**
 * @module create-scorer
 * Builds the scorer a config calls for, once per config (so the upstream pool's state lives
 * as long as the isolate).
 */
import type { Config } from '../config'
import { createLexicalScorer } from './lexical/lexical-backend'
import type { PairScorer } from './types'
import { createRoundRobinPool } from './vllm/upstream-pool'
import { createVllmScorer } from './vllm/vllm-client'

const memo = new WeakMap<Config, PairScorer>()

export function scorerFor(config: Config): PairScorer {
  let s = memo.get(config)
  if (!s) {
    s =
      config.backend === 'vllm'
        ? createVllmScorer({
            pool: createRoundRobinPool(config.VLLM_URLS),
            apiKey: config.VLLM_API_KEY,
            model: config.VLLM_MODEL,
            batchSize: config.BACKEND_BATCH_SIZE,
          })
        : createLexicalScorer()
    memo.set(config, s)
  }
  return s
}
