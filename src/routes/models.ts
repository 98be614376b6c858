/**
 * @module routes/models
 * `GET /v1/models` (a sub-app mounted at `/v1/models` in app.ts): the served model in the OpenAI list shape (schemas/model-list.ts), so
 * OpenAI-style tooling can discover which model answers here. Needs a valid key when API keys
 * are configured (auth/route-access.ts: "authenticated"). Documented in openapi/core-operations.ts.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { allowOnly } from '../lib/allow-only'
import type { ModelList } from '../schemas/model-list'

export const modelRoutes = new Hono<AppEnv>()

modelRoutes.get('/', (c) => {
  const config = c.get('config')
  const vllm = config.backend === 'vllm'
  const id = vllm ? config.VLLM_MODEL : 'lexical-bm25'
  const card: ModelList['data'][number] = { id, object: 'model', created: Math.floor(c.get('startedAt') / 1000), owned_by: vllm ? 'vllm' : 'rerank-edge', root: id }
  // vLLM clients read the context length here (schemas/model-list.ts); the lexical scorer has none.
  if (vllm) card.max_model_len = config.MAX_MODEL_LEN
  const body: ModelList = { object: 'list', data: [card] }
  return c.json(body)
})
modelRoutes.all('/', allowOnly('GET', 'HEAD'))
