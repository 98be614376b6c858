/**
 * @module schemas/model-list
 * The body of `GET /v1/models`: OpenAI's list shape (`{object: "list", data: [{id, object:
 * "model", created, owned_by}]}`, OpenAI API reference "Models: list"), which vLLM also serves at
 * its own /v1/models (vllm/entrypoints/openai/protocol.py `ModelList`), with vLLM's `ModelCard`
 * fields its clients read: `root` and `max_model_len` (Continue's vLLM provider,
 * core/llm/llms/Vllm.ts, takes its context length from `Number.parseInt(data[0].max_model_len)`).
 * vLLM's null `parent` and empty `permission` are left out: no client reads them.
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
      root: z.string().meta({ description: 'The model this one serves (vLLM `ModelCard.root`): the id itself.' }),
      max_model_len: z
        .number()
        .int()
        .optional()
        .meta({ description: 'Tokens one query-document pair may take (MAX_MODEL_LEN, vLLM `ModelCard.max_model_len`); absent for the lexical scorer, which has no context length.' }),
    })
  ),
})

export type ModelList = z.output<typeof modelListSchema>
