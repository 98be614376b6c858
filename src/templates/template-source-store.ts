/**
 * @module templates/template-source-store
 * Loads the live template registry for a request: the `TEMPLATES` var plus, when the optional
 * `TEMPLATES_KV` binding exists, the JSON value at its key `templates:overrides` (format: a JSON
 * array of template definitions, as for the var; see template-source.ts for the layering).
 *
 * Why a dedicated KV namespace and not the score cache's: SCORE_CACHE holds disposable, expiring,
 * tenant-partitioned data that may be purged at any time (a MODEL_REVISION bump, reclaiming space);
 * templates are product configuration that must survive that, and whoever may write configuration
 * is not whoever may flush a cache. The binding is optional: without it the var alone applies.
 *
 * The KV value is read at most once per `TEMPLATES_TTL_SECONDS` per isolate (default 30 s; KV is
 * itself eventually consistent for up to 60 s, developers.cloudflare.com/kv/concepts/how-kv-works),
 * so a request does not pay a KV read; concurrent requests share one read. A failed read reuses the
 * last value this isolate read, if any. The parsed registry is memoised on the sources' text, so an
 * unchanged configuration is parsed once.
 *
 * A bad override fails closed: every call that needs the registry (a `template` call,
 * `GET /v1/templates`) answers 500 naming the source and the bad path, rather than silently serving
 * an older template under a newer name; calls that use no template are unaffected.
 */
import { ApiError } from '../errors'
import type { TemplateRegistry } from './registry'
import {
  TEMPLATE_OVERRIDES_KV_KEY,
  TEMPLATES_KV_BINDING,
  TemplateSourceError,
  buildTemplateRegistry,
  createTemplateRegistryMemo,
  type TemplateRegistryMemo,
} from './template-source'

export interface TemplateStoreInput {
  /** The `TEMPLATES` var as configured (JSON text or parsed JSON), or undefined. */
  config: unknown
  /** The `TEMPLATES_KV` binding, if the worker has one (anything else is ignored). */
  kv: unknown
  /** How long this isolate reuses a KV read, in seconds (0: read on every call). */
  ttlSeconds: number
  /** The request's clock (ms since the epoch). */
  nowMs: number
  /** The isolate's reused KV reads and parsed registries (src/services.ts `templates`); absent: none reused. */
  state?: TemplateState | undefined
}

interface KvEntry {
  fetchedAt: number
  pending: Promise<string | null>
  /** The last value read successfully, for when a later read fails. */
  last: { value: string | null } | undefined
}

/** The isolate's last KV read per TEMPLATES_KV namespace, reused for TEMPLATES_TTL_SECONDS. */
type TemplateKvReads = WeakMap<object, KvEntry>

/** What an isolate keeps of templates: the last KV reads and the registries parsed from them. */
export interface TemplateState {
  readonly reads: TemplateKvReads
  readonly registries: TemplateRegistryMemo
}

export function createTemplateState(): TemplateState {
  return { reads: new WeakMap(), registries: createTemplateRegistryMemo() }
}

/** The registry for this request (module doc). Throws ApiError 500 for a bad override source, 503 when TEMPLATES_KV cannot be read. */
export async function loadTemplateRegistry(input: TemplateStoreInput): Promise<TemplateRegistry> {
  const kv = isKvNamespace(input.kv) ? input.kv : undefined
  const kvValue = kv === undefined ? null : await readOverrides(kv, input.ttlSeconds, input.nowMs, input.state?.reads ?? new WeakMap())
  try {
    const sources = { config: input.config, kv: kvValue }
    return input.state === undefined ? buildTemplateRegistry(sources) : input.state.registries.build(sources)
  } catch (e) {
    if (e instanceof TemplateSourceError) {
      throw new ApiError('internal_error', `${e.message}; fix the configuration (templates are unavailable until then)`, { cause: e })
    }
    throw e
  }
}

async function readOverrides(kv: KVNamespace, ttlSeconds: number, nowMs: number, kvReads: TemplateKvReads): Promise<string | null> {
  let entry = kvReads.get(kv)
  if (entry === undefined || nowMs - entry.fetchedAt >= ttlSeconds * 1000 || nowMs < entry.fetchedAt) {
    const previous: KvEntry | undefined = entry
    const next: KvEntry = { fetchedAt: nowMs, pending: kv.get(TEMPLATE_OVERRIDES_KV_KEY, 'text'), last: previous?.last }
    next.pending.then(
      (value) => {
        next.last = { value }
      },
      () => undefined
    )
    entry = next
    kvReads.set(kv, entry)
  }
  try {
    return await entry.pending
  } catch (e) {
    if (entry.last !== undefined) return entry.last.value
    // Do not keep a failed read: the next call tries again.
    if (kvReads.get(kv) === entry) kvReads.delete(kv)
    // The store failed, not the code or the configuration: a 503 to retry, like any storage outage.
    throw new ApiError('storage_unavailable', `could not read template overrides from ${TEMPLATES_KV_BINDING} ("${TEMPLATE_OVERRIDES_KV_KEY}"); retry shortly`, {
      cause: e,
      headers: { 'Retry-After': '5' },
    })
  }
}

/**
 * A loader of one request's registry, read lazily (only template calls and the template routes
 * need it): the `TEMPLATES` var and TTL from the parsed config, the `TEMPLATES_KV` binding from the
 * worker's bindings, and the request's clock. It loads once per request, however often it is
 * called: an experiment arm and the control arm it falls back to (rerank/apply-experiment.ts
 * `resolveArm`) resolve against one registry, and at TEMPLATES_TTL_SECONDS=0 a second load would
 * read TEMPLATES_KV again, a subrequest the call's budget does not hold
 * (backends/subrequest-budget.ts `STORAGE_SUBREQUESTS.templateRead`).
 */
export function templateRegistryLoader(
  config: { readonly TEMPLATES?: unknown; readonly TEMPLATES_TTL_SECONDS: number },
  bindings: { readonly [TEMPLATES_KV_BINDING]?: unknown },
  nowMs: number,
  state: TemplateState
): () => Promise<TemplateRegistry> {
  let loaded: Promise<TemplateRegistry> | undefined
  return () => {
    loaded ??= loadTemplateRegistry({ config: config.TEMPLATES, kv: bindings[TEMPLATES_KV_BINDING], ttlSeconds: config.TEMPLATES_TTL_SECONDS, nowMs, state })
    return loaded
  }
}

function isKvNamespace(x: unknown): x is KVNamespace {
  return typeof x === 'object' && x !== null && typeof (x as { get?: unknown }).get === 'function'
}
