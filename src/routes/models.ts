/**
 * @module routes/models
 * `GET /v1/models`: the served model in the OpenAI list shape
 * (`{object: "list", data: [{id, object: "model", created, owned_by}]}`, OpenAI API reference
 * "Models: list"; vLLM serves the same shape at its own /v1/models, vllm/entrypoints/openai/
 * protocol.py `ModelList`), so OpenAI-style tooling can discover which model answers here.
 * Needs a valid key when API keys are configured (auth/route-access.ts: "authenticated").
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../app-env'
import { registerOperation, registerSchema } from '../openapi/registry'
import { allowOnly } from './allow-only'

export const modelListSchema = z.strictObject({
  object: z.literal('list'),
  data: z.array(
    z.strictObject({
      id: z.string().meta({ description: 'The model name a rerank call may send as `model`.' }),
      object: z.literal('model'),
      /** Unix seconds; the backend's load time is unknown here, so the time of this answer. */
      created: z.number().int(),
      owned_by: z.string().meta({ description: '`vllm` for the GPU backend, `rerank-edge` for the embedded lexical scorer.' }),
    })
  ),
})

registerSchema('ModelList', modelListSchema, 'The served model, in the OpenAI list shape.')
registerOperation({
  method: 'get',
  path: '/v1/models',
  operationId: 'listModels',
  summary: 'List models (OpenAI shape)',
  description: 'The model this deployment scores with: `VLLM_MODEL` when vLLM backends are configured, else `lexical-bm25`.',
  tags: ['Service'],
  security: 'optional-bearer',
  responses: {
    200: {
      description: 'One entry: the served model.',
      schema: 'ModelList',
      example: { object: 'list', data: [{ id: 'qwen3-reranker-8b', object: 'model', created: 1767225600, owned_by: 'vllm' }] },
    },
  },
  errors: [401],
})

export const modelRoutes = new Hono<AppEnv>()

modelRoutes.get('/v1/models', (c) => {
  const config = c.get('config')
  const vllm = config.backend === 'vllm'
  const body: z.output<typeof modelListSchema> = {
    object: 'list',
    data: [
      {
        id: vllm ? config.VLLM_MODEL : 'lexical-bm25',
        object: 'model',
        created: Math.floor(c.get('startedAt') / 1000),
        owned_by: vllm ? 'vllm' : 'rerank-edge',
      },
    ],
  }
  return c.json(body)
})
modelRoutes.all('/v1/models', allowOnly('GET', 'HEAD'))
