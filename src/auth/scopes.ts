/**
 * @module auth/scopes
 * The scopes an API key can hold. Each guards one capability (see route-access.ts for which
 * route needs which):
 *  - `rerank`: the rerank endpoints and reading the template registry;
 *  - `experiments`: the admin API under /v1/experiments (and other operator writes);
 *  - `feedback`: POST /v1/feedback;
 *  - `stats`: GET /v1/stats (operator metrics, which aggregate over every tenant of the isolate).
 */
export const SCOPES = ['rerank', 'experiments', 'feedback', 'stats'] as const

export type Scope = (typeof SCOPES)[number]

/** What an open deployment (no API_KEYS) grants every caller. */
export const OPEN_SCOPES: ReadonlySet<string> = new Set<string>(SCOPES)

/** What a public route grants when keys are configured: nothing (fail closed). */
export const NO_SCOPES: ReadonlySet<string> = new Set<string>()
