/**
 * @module schemas/model-list
 * The body of `GET /v1/models`: OpenAI's list shape (`{object: "list", data: [{id, object:
 * "model", created, owned_by}]}`, OpenAI API reference "Models: list"), which vLLM also serves at
 * its own /v1/models (vllm/entrypoints/openai/protocol.py `ModelList`).
 */
import { z } from 'zod'

export const modelListSchema = z.strictObject({
  object: z.literal('list'),
  data: z.array(
    z.strictObject({
      id: z.string().meta({ description: 'The model name a rerank call may send as `model`.' }),
      object: z.literal('model'),
      created: z.number().int().meta({ description: 'Unix seconds: the time of this answer (the backend does not report its load time here).' }),
      owned_by: z.string().meta({ description: '`vllm` for the GPU backend, `rerank-edge` for the embedded lexical scorer.' }),
    })
  ),
})

export type ModelList = z.output<typeof modelListSchema>
