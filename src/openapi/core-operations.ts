/**
 * @module openapi/core-operations
 * Descriptions of the public endpoints (each also documented in the README): rerank, health,
 * models, templates, experiments, feedback and the pages: the one place routes are described
 * (operation-doc.ts says how). An operation here whose route is not mounted is simply not listed
 * (build-document.ts).
 */
import { z } from 'zod'
import { experimentSchemas } from '../experiments/experiment-schema'
import { feedbackBodySchema } from '../experiments/feedback-schema'
import { modelListSchema } from '../schemas/model-list'
import { rerankBodyDocSchema } from '../schemas/rerank-request'
import { fusionSchema, fusionWeightsSchema } from '../scoring/fusion'
import { timeDecaySchema } from '../scoring/time-decay'
import { TEMPLATE_LANGUAGES, templateExampleSchema, templateIdSchema } from '../templates/template'
import { variableSpecSchema } from '../templates/variables'
import { boostRulesSchema } from '../scoring/business-score'
import { errorEnvelopeSchema, healthSchema, rerankResponseSchema } from './doc-schemas'
import { experimentReportSchema } from './report-doc-schema'
import { operationKey, type OpenApiDescriptions, type OperationDoc, type SchemaSource } from './operation-doc'

const templateListingSchema = z.object({
  id: templateIdSchema,
  version: z.number().int().positive().describe('Bumped on every change; part of the cache key of calls using it.'),
  description: z.string(),
  language: z.enum(TEMPLATE_LANGUAGES),
  origin: z.string().optional().describe('builtin, or an operator override.'),
  text: z.string().optional().describe('The template text with {variable} placeholders.'),
  variables: z.record(z.string(), variableSpecSchema).describe('Typed variables: type, description, default, required, bounds.'),
  example: templateExampleSchema.extend({ instruction: z.string().optional() }),
  fusion: fusionWeightsSchema.optional(),
  boosts: boostRulesSchema.optional(),
})

const templateListSchema = z
  .object({ templates: z.array(templateListingSchema) })
  .describe('The template registry: built-ins and operator overrides, sorted by id.')

const RERANK_EXAMPLE = {
  query: 'how do I parse JSON in Python',
  documents: [
    'Use json.loads(s) to parse a JSON string: `import json; data = json.loads(s)`.',
    'JSON (JavaScript Object Notation) is a lightweight data-interchange format.',
    { text: 'pandas.read_json reads a JSON file into a DataFrame.', id: 'doc-3', published_at: '2024-03-01', source: 'docs.python.org' },
  ],
  instruction: 'Prefer documents with code examples',
  top_n: 3,
}

const RERANK_FIELD_DOCS: Record<string, string> = {
  query: 'The search query.',
  documents:
    'Candidates to rank: strings, or objects `{ text, id?, published_at?, source?, fields? }`. Other keys in a document object, of any JSON type, are not read by the model and come back as sent in `document`. `id` is a string (at most 256 characters) or an integer, returned unchanged. `published_at` is ISO-8601 (`2024-03-01`, `2024-03-01T12:00:00Z`). Objects and arrays nest at most 32 levels in the whole body.',
  model: 'Accepted for compatibility; the served model scores (a different name adds a warning).',
  top_n: 'Return only the best N results (0 or absent: all, as vLLM; negative: 400, as Cohere). Cohere/Jina name.',
  top_k: 'Alias of top_n (vLLM name).',
  return_documents: 'Include each document in its result. Default: true on /v1/rerank and /rerank, false on /v2/rerank (Cohere v2).',
  max_tokens_per_doc: 'Truncate each document to this many tokens before scoring.',
  max_chunks_per_doc: 'Accepted for Cohere compatibility and not applied (documents are not chunked; long ones are cut to fit the model), which `meta.warnings` says.',
  rank_fields: 'Cohere v1: for object documents, the keys whose values are ranked (joined in the given order, `key: value` per line) instead of `text`; each document is still returned as sent.',
  instruction: 'Free-text instruction the reranker follows ("prefer documents with code examples"). Without one the model card default applies.',
  template: 'Template id from GET /v1/templates; its rendered text becomes the instruction.',
  template_vars: "Values for the template's variables (typed; see the template's `variables`). Unknown or ill-typed variables are a 400 naming `template_vars.<name>`.",
  experiment: 'Experiment id: the unit (`user` or X-Rerank-User) is assigned an arm whose instruction is used; `meta.experiment` says which.',
  user: 'The unit id for experiment assignment (also accepted as header X-Rerank-User).',
  time_decay: 'Recency component computed at the edge from `published_at` and `now`: exponential (half-life) or step. Never cached.',
  fusion: 'Final = w_semantic·model + w_business·business + w_time·time (defaults 0.6/0.3/0.1, normalised), with boost rules over `fields`/`source`.',
  explain: 'Return each result’s components, weights and fired rules in `explanation`.',
  now: 'The clock for time decay (ISO-8601), for reproducible evaluations. Default: the request time.',
  folding: "Per-call metadata folding options over the deployment's FOLDING config: how `published_at`, `source` and `fields` are written into the text the model reads (\"[2024-03] …\", \"[来源: …] …\").",
}

const RERANK_ERRORS = [400, 401, 403, 408, 413, 415, 429, 502, 503, 504] as const

function rerankOperation(path: string, operationId: string, note: string): OperationDoc {
  return {
    method: 'post',
    path,
    operationId,
    summary: `Rerank documents (${note})`,
    description:
      'Scores every document against the query under an instruction (raw, template, experiment arm or default) and returns them sorted by `relevance_score`, descending; `index` points into the request\'s `documents`. ' +
      'Per-pair scores are cached (`Cache-Status`, `meta.cache`); `Cache-Control: no-cache` recomputes, `no-store` bypasses the cache. ' +
      'Unknown top-level fields are ignored and reported in `meta.warnings`.',
    tags: ['Rerank'],
    parameters: [
      { name: 'Cache-Control', in: 'header', description: '`no-cache`: recompute and refresh cached scores; `no-store`: neither read nor write the cache.', schema: { type: 'string', enum: ['no-cache', 'no-store'] } },
      { name: 'X-Request-Id', in: 'header', description: 'Your id for this request (1–128 of A-Z a-z 0-9 . _ : -): a correlation field, echoed in X-Client-Request-Id and stored with an exposure; the call gets its own id (X-Request-Id).', schema: { type: 'string', maxLength: 128 } },
      { name: 'X-Rerank-User', in: 'header', description: 'Experiment unit id (same as body `user`), as UTF-8: a value holding U+FFFD (what the runtime makes of bytes that are not UTF-8) or a control character is a 400.', schema: { type: 'string', maxLength: 256 } },
      { name: 'X-Cache-Namespace', in: 'header', description: 'Optional sub-partition of your score cache (e.g. per index version).', schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$', maxLength: 64 } },
    ],
    requestBody: {
      schema: 'RerankRequest',
      example: RERANK_EXAMPLE,
    },
    responses: {
      200: { description: 'Ranked results.', schema: 'RerankResponse', headers: ['Cache-Status', 'Server-Timing', 'X-Request-Id'] },
    },
    errors: [...RERANK_ERRORS],
  }
}

const OPERATIONS: OperationDoc[] = [
  rerankOperation('/v1/rerank', 'rerankV1', 'Cohere v1 / Jina style'),
  rerankOperation('/v2/rerank', 'rerankV2', 'Cohere v2 style: no documents returned by default'),
  rerankOperation('/rerank', 'rerank', 'vLLM / Jina style'),
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Health',
    description:
      "The worker's state and which backend answers (vLLM upstreams or the embedded lexical scorer). `status`: `ok`, `degraded` (an upstream is out of service but calls are served, by another upstream or the lexical fallback) or `down` (503: no upstream can serve and there is no fallback).",
    tags: ['Service'],
    parameters: [
      { name: 'detail', in: 'query', description: '`1` (or `true`, `yes`, `on`, any case): each upstream (origin, breaker state, last error). On a keyed deployment it needs a key with the `stats` scope: 401 without a key or with one no configured key matches, 403 with a key that lacks the scope.', schema: { type: 'string' } },
      { name: 'probe', in: 'query', description: "`1` (or `true`, `yes`, `on`): also probe each upstream's `/health` now (implies `detail`; results reused for 5 s). Needs the `stats` scope.", schema: { type: 'string' } },
      { name: 'probe_timeout_ms', in: 'query', description: 'Probe timeout in ms (default 1,500); values outside 50–5,000 are clamped to it.', schema: { type: 'integer' } },
    ],
    responses: {
      200: { description: 'The worker serves (`ok` or `degraded`).', schema: 'Health' },
      503: { description: '`down`: no upstream can serve and there is no lexical fallback (the same body, for load balancers).', schema: 'Health' },
    },
    errors: [401, 403],
  },
  {
    method: 'get',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'List models (OpenAI shape)',
    description: 'The model this deployment scores with: `VLLM_MODEL` when vLLM backends are configured, else `lexical-bm25`.',
    tags: ['Service'],
    responses: {
      200: {
        description: 'One entry: the served model.',
        schema: 'ModelList',
        example: { object: 'list', data: [{ id: 'qwen3-reranker-8b', object: 'model', created: 1767225600, owned_by: 'vllm' }] },
      },
    },
    errors: [401],
  },
  {
    method: 'get',
    path: '/v1/stats',
    operationId: 'stats',
    summary: 'Rolling request statistics',
    description: "This isolate's summary of the last 5 minutes (or 10,000 requests): request rate, p50/p95 latency, status classes, cache hit ratio, backend errors, what the cache saved the GPU; and `edge_store`, the KV score tier's reads, writes, their failures and the writes merged into a later one (one write per scope per second) since the isolate started. Needs the `stats` scope when API keys are configured.",
    tags: ['Service'],
    responses: { 200: { description: 'The summary.' } },
    errors: [401, 403],
  },
  {
    method: 'get',
    path: '/v1/templates',
    operationId: 'listTemplates',
    summary: 'List instruction templates',
    description: 'Every template with its version, language, typed variables (defaults, bounds) and an example. Use `template` + `template_vars` in a rerank call.',
    tags: ['Templates'],
    responses: { 200: { description: 'The registry.', schema: 'TemplateList' } },
    errors: [401, 403, 503],
  },
  {
    method: 'get',
    path: '/v1/templates/{id}',
    operationId: 'getTemplate',
    summary: 'Get one instruction template',
    tags: ['Templates'],
    parameters: [{ name: 'id', in: 'path', description: 'Template id, e.g. `legal-authority`.', example: 'legal-authority', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } }],
    responses: { 200: { description: 'The template.', schema: 'TemplateListing' } },
    errors: [401, 403, 404, 503],
  },
  {
    method: 'post',
    path: '/v1/experiments',
    operationId: 'createExperiment',
    summary: 'Create an experiment',
    description: 'Admin. Variants are instructions or templates with weights summing to 1; the first is the control.',
    tags: ['Experiments'],
    requestBody: {
      schema: 'ExperimentCreate',
      example: {
        id: 'code-examples',
        name: 'Prefer code examples',
        variants: [
          { key: 'control', weight: 0.5, instruction: 'Given a web search query, retrieve relevant passages that answer the query' },
          { key: 'code', weight: 0.5, instruction: 'Given a programming question, retrieve passages that answer it; prefer documents with code examples' },
        ],
        status: 'running',
      },
    },
    responses: { 201: { description: 'Created; `Location` names it.' } },
    errors: [400, 401, 403, 408, 409, 413, 415, 503],
  },
  {
    method: 'get',
    path: '/v1/experiments',
    operationId: 'listExperiments',
    summary: 'List experiments',
    tags: ['Experiments'],
    parameters: [
      { name: 'status', in: 'query', description: 'Only experiments in this status.', schema: { type: 'string', enum: ['draft', 'running', 'stopped'] } },
      { name: 'limit', in: 'query', description: 'Page size, 1–100 (default 50).', schema: { type: 'integer', minimum: 1, maximum: 100 } },
      { name: 'after', in: 'query', description: 'The `next_after` of the previous page.', schema: { type: 'string' } },
    ],
    responses: { 200: { description: '`{ data: [experiment…], has_more, next_after }` (`next_after`: the id to pass as `after` for the next page, or null).' } },
    errors: [400, 401, 403, 503],
  },
  {
    method: 'get',
    path: '/v1/experiments/{id}',
    operationId: 'getExperiment',
    summary: 'Get an experiment',
    tags: ['Experiments'],
    parameters: [{ name: 'id', in: 'path', description: 'Experiment id (a slug).', schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$' } }],
    responses: { 200: { description: 'The experiment.' } },
    errors: [401, 403, 404, 503],
  },
  {
    method: 'patch',
    path: '/v1/experiments/{id}',
    operationId: 'updateExperiment',
    summary: 'Update an experiment',
    description: 'Admin. Give the `version` you last read to detect concurrent edits (409).',
    tags: ['Experiments'],
    parameters: [{ name: 'id', in: 'path', description: 'Experiment id.' }],
    requestBody: { schema: 'ExperimentUpdate', example: { status: 'stopped' } },
    responses: { 200: { description: 'Updated.' } },
    errors: [400, 401, 403, 404, 408, 409, 413, 415, 503],
  },
  {
    method: 'delete',
    path: '/v1/experiments/{id}',
    operationId: 'deleteExperiment',
    summary: 'Delete an experiment',
    description: 'Admin. Refused (409) while it runs or once it has exposures: stop it instead, so its report stays.',
    tags: ['Experiments'],
    parameters: [{ name: 'id', in: 'path', description: 'Experiment id.' }],
    responses: { 204: { description: 'Deleted.' } },
    errors: [401, 403, 404, 409, 503],
  },
  {
    method: 'get',
    path: '/v1/experiments/{id}/report',
    operationId: 'experimentReport',
    summary: 'Experiment report',
    description: 'Per arm: exposures, users, feedback events, CTR@1, MRR of clicks, mean nDCG; per treatment the difference from the control with its 95% CI and p-value (the test `significant` reads) and the relative lift, analysed over users (the randomised unit: ratio metrics, delta-method variance); sample-ratio-mismatch check on users with assigned and observed shares; `trustworthy`, and `untrusted_reason` when not. JSON, or the report page with charts for browsers. Graded exposures are read 500 per D1 query, each one of the call\'s `MAX_SUBREQUESTS` subrequests: past the most that fit (24,000 on Workers Free) a 503 says so.',
    tags: ['Experiments'],
    parameters: [
      { name: 'id', in: 'path', description: 'Experiment id.' },
      { name: 'format', in: 'query', description: '`json` (default) or `html` (the report page).', schema: { type: 'string', enum: ['json', 'html'] } },
      { name: 'method', in: 'query', description: '`welch` (default; frequentist) or `sequential` (always-valid intervals).', schema: { type: 'string', enum: ['welch', 'sequential'] } },
      { name: 'alpha', in: 'query', description: 'Significance level in [0.000001, 0.5); default 0.05 (95% intervals).', schema: { type: 'number', minimum: 0.000001, exclusiveMaximum: 0.5 } },
      { name: 'tuning', in: 'query', description: 'Sequential method: the anticipated total sample size (1 to 10^12).', schema: { type: 'integer', minimum: 1, maximum: 1e12 } },
    ],
    responses: { 200: { description: 'The report (JSON, or HTML with `format=html`).', schema: 'ExperimentReport' } },
    errors: [400, 401, 403, 404, 503],
  },
  {
    method: 'get',
    path: '/v1/experiments/{id}/report.html',
    operationId: 'experimentReportPage',
    summary: 'Experiment report page (HTML)',
    description: 'The report with charts, for people. Linked from the playground. Takes the same `method`, `alpha` and `tuning` as the JSON report.',
    tags: ['Experiments'],
    parameters: [{ name: 'id', in: 'path', description: 'Experiment id.' }],
    responses: { 200: { description: 'The report page.', contentType: 'text/html' } },
    errors: [400, 401, 403, 404, 503],
  },
  {
    method: 'post',
    path: '/v1/feedback',
    operationId: 'createFeedback',
    summary: 'Record feedback',
    description: 'Clicks, graded relevance per result, or a conversion, tied to the `request_id` of a rerank call. Bad or unknown ids are 4xx; feedback more than 7 days after the experiment stopped is a 409.',
    tags: ['Experiments'],
    requestBody: { schema: 'FeedbackRequest', example: { request_id: '5b7c2a8e-1f0d-4c6e-9a51-0d2f3e4b6c7a', clicks: ['doc-3'], grades: { 'doc-3': 3, 'doc-1': 0 } } },
    responses: { 201: { description: '`{ request_id, experiment, variant, recorded: { clicks, grades, conversions } }`.' } },
    errors: [400, 401, 403, 404, 408, 409, 413, 415, 503],
  },
  {
    method: 'get',
    path: '/',
    operationId: 'playground',
    summary: 'Playground (HTML)',
    description: 'An interactive page: query, candidates, templates, instructions, time decay, fusion, explain, and a compare mode with rank correlation. No external resources.',
    tags: ['Pages'],
    responses: { 200: { description: 'The playground page.', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'apiReference',
    summary: 'API reference (HTML)',
    description: 'This document rendered as a page, with a "try it" form for every operation.',
    tags: ['Pages'],
    responses: { 200: { description: 'The reference page.', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'OpenAPI 3.1 document',
    description: "Generated at request time from the running app's routes and the zod schemas that validate requests, with this deployment's limits.",
    tags: ['Service'],
    responses: { 200: { description: 'OpenAPI 3.1 document.', contentType: 'application/json' } },
  },
]

const SCHEMAS: Array<[id: string, source: SchemaSource, description?: string]> = [
  ['RerankRequest', (config) => rerankBodyDocSchema(config), 'Rerank request: a superset of Cohere v1/v2, Jina and vLLM rerank requests. Any optional field may also be `null`, which means the same as leaving it out (cohere-ai, Jina and vLLM clients send nulls for unset options).'],
  ['RerankResponse', rerankResponseSchema],
  ['ErrorEnvelope', errorEnvelopeSchema],
  ['ExperimentReport', experimentReportSchema],
  ['Health', healthSchema],
  ['ModelList', modelListSchema, 'The served model, in the OpenAI list shape.'],
  ['TimeDecay', timeDecaySchema, 'Time decay: `{ kind: "exponential", half_life_days, missing? }` or `{ kind: "step", after_days, factor | steps: [{ after_days, factor }], missing? }`; `missing` (default 0.5) scores documents without a date. Step factors must not increase with age.'],
  ['Fusion', fusionSchema, 'Fusion: `weights` (any non-negative numbers, normalised to sum 1; absent components take the defaults 0.6/0.3/0.1) and `boosts`: rules `{ name?, when: { field, equals|not_equals|in|gt|gte|lt|lte|exists }, add }` or `{ name?, source_order: [most, …, least], add? }`.'],
  ['TemplateList', templateListSchema],
  ['TemplateListing', templateListingSchema],
  // The routes build these with the live instruction limit (routes/experiments.ts), so the document does too.
  ['ExperimentCreate', (config) => experimentSchemas({ maxInstructionChars: config.MAX_INSTRUCTION_CHARS }).create, 'Variants: 2–10, each `instruction` or `template` (+ `template_vars`), weights summing to 1 (±0.01); unique keys; the first is the control.'],
  ['ExperimentUpdate', (config) => experimentSchemas({ maxInstructionChars: config.MAX_INSTRUCTION_CHARS }).update, 'Any subset of the create fields, plus the `version` last read (409 when it is stale).'],
  ['FeedbackRequest', feedbackBodySchema, 'Clicks, graded relevance (0–100 per document id) and/or a conversion for the results of one experimental rerank call. Document ids are the `id`s given in the call, else the indexes as strings.'],
]

/** Every operation and schema description the document is built from (fresh plain data per call). */
export function coreDescriptions(): OpenApiDescriptions {
  return {
    operations: new Map(OPERATIONS.map((op) => [operationKey(op.method, op.path), op])),
    schemas: new Map(SCHEMAS.map(([id, source, description]) => [id, description === undefined ? { source } : { source, description }])),
    fieldOverrides: [
      { schema: 'RerankRequest', property: 'time_decay', ref: 'TimeDecay' },
      { schema: 'RerankRequest', property: 'fusion', ref: 'Fusion' },
    ],
    fieldDescriptions: new Map([['RerankRequest', RERANK_FIELD_DOCS]]),
  }
}
