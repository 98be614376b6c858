/**
 * @module openapi/doc-schemas
 * zod schemas of what the worker *returns* (request schemas are the validators themselves, from
 * src/schemas and the capability folders). They mirror the TypeScript types the responses are built
 * from (src/rerank/build-response.ts, src/errors.ts, src/scoring/rank.ts, src/routes/health.ts), and
 * the workerd tests parse real responses with them, so a drift fails a test.
 */
import { z } from 'zod'
import type { ErrorCode } from '../errors'

/** Every wire error code (src/errors.ts `ErrorCode`); the type check below keeps the two in step. */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_json',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'request_timeout',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'backend_error',
  'backend_unavailable',
  'backend_timeout',
  'storage_unavailable',
  'overloaded',
] as const satisfies readonly ErrorCode[]

// A compile error here means src/errors.ts gained a code that ERROR_CODES lacks.
type MissingCode = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>
const allCodesListed: MissingCode extends never ? true : never = true
void allCodesListed

export const errorEnvelopeSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(ERROR_CODES).describe('Stable machine-readable code; the HTTP status follows from it.'),
      message: z.string().describe('Human-readable; for a bad field it starts with the field path ("documents[3].text: …"); for 413 it states the limit.'),
      field: z
        .string()
        .optional()
        .describe('The offending field as a path (`query`, `documents[3].text`, `template_vars.year`, `body`), present on 400/413.'),
    }),
    message: z.string().describe('`error.message` again, where Cohere clients read it.'),
    detail: z.string().describe('`error.message` again, where Jina clients (FastAPI style) read it.'),
    request_id: z.string().describe('Echo of the X-Request-Id response header; quote it when reporting a problem.'),
  })
  .describe('The one error shape of every endpoint: `{ error: { code, message, field? }, message, detail, request_id }`.')

export const explanationSchema = z
  .looseObject({
    final: z.number().min(0).max(1).describe('The final fused score (equals relevance_score).'),
    components: z
      .object({
        semantic: z.number().min(0).max(1).describe('Model relevance in [0, 1].'),
        business: z.number().min(0).max(1).nullable().describe('Normalised boost-rule score; null when no rule can move it.'),
        time: z.number().min(0).max(1).nullable().describe('Time-decay score; null without `time_decay`.'),
      })
      .describe('Each component in [0, 1].'),
    weights: z
      .object({ semantic: z.number(), business: z.number(), time: z.number() })
      .describe('Weights applied: inactive components 0, the rest sum to 1.'),
    fired: z.array(z.string()).describe('Names of the boost rules that fired, in rule order.'),
    points: z.array(z.number()).describe('Points of each fired rule before normalisation, parallel to `fired`.'),
    time: z.looseObject({}).optional().describe('Age, decay and `published_at` used, when the call has `time_decay`.'),
  })
  .describe('Why a result scored what it did (`explain: true`).')

export const rerankResultSchema = z.object({
  index: z.number().int().min(0).describe("Position of the document in the request's `documents`."),
  relevance_score: z.number().min(0).max(1).describe('Final score in [0, 1]; results are sorted by it, descending.'),
  document: z
    .union([z.object({ text: z.string(), id: z.string().optional() }), z.record(z.string(), z.unknown())])
    .optional()
    .describe('The document as scored, when `return_documents` is true (default on /v1/rerank and /rerank, off on /v2/rerank): `{text}` for a string document, an object document as sent, every key kept.'),
  explanation: explanationSchema.optional(),
})

export const rerankResponseSchema = z
  .object({
    id: z.string().describe('The request id (also X-Request-Id).'),
    model: z.string().describe('The model that scored (or `lexical-bm25` for the embedded scorer).'),
    results: z.array(rerankResultSchema),
    usage: z.looseObject({
      total_tokens: z.number().int().min(0),
      prompt_tokens: z.number().int().min(0).describe('Prompt tokens the backend read for this call (vLLM `RerankUsage`); 0 when nothing was scored or the scorer counts none.'),
      search_units: z.number().int().min(0).describe('Cohere-style billing units: one per 100 pairs this call sent to the backend (cache hits, repeated documents and pairs another call was already scoring are free).'),
      pairs: z.number().int().min(0),
      pairs_scored: z.number().int().min(0).describe('Pairs this call sent to the backend: a document repeated in the call once, and none another call was already scoring (those are shared: `Cache-Status` says `collapsed`).'),
      pairs_cached: z.number().int().min(0).describe('Pairs served from the score cache.'),
      cached_prompt_tokens: z.number().int().min(0).describe('Prompt tokens the cached pairs cost when they were scored (each pair\'s share of its batch\'s usage): not spent again.'),
    }),
    meta: z.looseObject({
      api_version: z.object({ version: z.enum(['1', '2']) }).describe('The Cohere API the path speaks, as Cohere answers: `"1"` from /v1/rerank and /rerank, `"2"` from /v2/rerank.'),
      billed_units: z.object({ search_units: z.number().int().min(0) }),
      backend: z.enum(['vllm', 'lexical']).describe('`lexical`: the embedded BM25 fallback answered (no GPU backend); it ignores instructions.'),
      model: z.string(),
      cache: z.object({ hits: z.number().int().min(0), misses: z.number().int().min(0) }).describe('Per-pair score cache hits and misses for this call.'),
      cache_savings: z
        .object({
          prompt_tokens: z.number().int().min(0).describe('Prompt tokens the cache hits cost when scored (each pair\'s share of its backend batch\'s usage, apportioned by prompt bytes).'),
          gpu_ms: z.number().min(0).optional().describe('GPU-ms those tokens took at CACHE_GPU_TOKENS_PER_SECOND (absent when not configured).'),
          hits_cost_unknown: z.number().int().min(0).optional().describe('Hits cached before costs were kept: saved, by an unknown amount.'),
        })
        .describe('What the cache hits of this call saved the GPU.'),
      instruction: z.string().describe('The instruction the pairs were scored under (raw, rendered template, experiment arm or default).'),
      instruction_source: z.string().describe('Where the instruction came from: default, raw, template, experiment, or query (read from a query preformatted in the Qwen3-Reranker template).'),
      template: z.unknown().optional().describe('The template used ({ id, version, … }) when the call named one.'),
      experiment: z.unknown().optional().describe('{ id, variant } when the call was part of an experiment.'),
      truncated_documents: z.number().int().min(0).optional(),
      warnings: z.array(z.string()).optional().describe('Ignored unknown fields, model substitution, lexical fallback, …'),
    }),
  })
  .describe('Cohere/Jina-compatible rerank response.')

export const healthSchema = z.looseObject({
  status: z.enum(['ok', 'degraded', 'down']).describe('`ok`; `degraded`: an upstream is out of service but calls are served; `down`: nothing can serve (503).'),
  backend: z.enum(['vllm', 'lexical']),
  model: z.string(),
  auth: z.enum(['open', 'api_keys']),
  upstreams: z
    .array(z.looseObject({ id: z.string(), origin: z.string() }))
    .optional()
    .describe('Only with `?detail=1` or `?probe=1` and the `stats` scope: each vLLM server (origin only; never credentials), breaker state, last error (secrets redacted).'),
})
