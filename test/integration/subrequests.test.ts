/**
 * A rerank call's subrequests against the Workers Free plan's 50 (MAX_SUBREQUESTS), counted by the
 * strict invocation double (subrequest-limit.ts): every fetch, KV, D1 and rate-limiter call of one
 * invocation, `waitUntil` work included, with the 51st refused as the runtime refuses it.
 */
import { describe, expect, it } from 'vitest'
import { RESERVED_SUBREQUESTS, upstreamSubrequests } from '../../src/backends/subrequest-budget'
import { BUILTIN_TEMPLATE_DEFINITIONS } from '../../src/templates/builtins'
import { createExperiment, exposureRows } from './experiments-helpers'
import { fakeVllm, rerank, workerEnv } from './helpers'
import { WORKERS_FREE_SUBREQUESTS } from './subrequest-limit'

/** D1's words for a transient failure (developers.cloudflare.com/d1/observability/debug-d1/): retried. */
const CONNECTION_LOST = 'D1_ERROR: Network connection lost.'

/** The score cache's KV, whose first read fails (the call's edge read): the write after the response must read again. */
function firstReadFails(kv: KVNamespace): KVNamespace {
  let reads = 0
  return new Proxy(kv, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      const f = (v as (...a: unknown[]) => Promise<unknown>).bind(target)
      if (prop !== 'get') return f
      return (...a: unknown[]) => (++reads === 1 ? Promise.reject(new Error('KV GET failed: 500 Internal Server Error')) : f(...a))
    },
  })
}

/**
 * D1 whose exposure inserts fail twice: the first before it runs, the second after it ran (its
 * answer lost), so the third finds the row and reads it back (exposure-repo.ts: INSERT, then SELECT).
 */
function exposureInsertsFailTwice(db: D1Database): D1Database {
  let inserts = 0
  const statement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop, target)
        if (typeof v !== 'function') return v
        const f = (v as (...a: unknown[]) => unknown).bind(target)
        if (prop === 'bind') return (...values: unknown[]) => statement(f(...values) as D1PreparedStatement, sql)
        if (prop === 'run' && sql.includes('INSERT OR IGNORE INTO exposures')) {
          return async (...a: unknown[]) => {
            const n = ++inserts
            if (n === 1) throw new Error(CONNECTION_LOST)
            const result = await f(...a)
            if (n === 2) throw new Error(CONNECTION_LOST)
            return result
          }
        }
        return f
      },
    })
  return new Proxy(db, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target)
      if (prop === 'prepare') return (sql: string) => statement((v as (s: string) => D1PreparedStatement).call(target, sql), sql)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

const expert = BUILTIN_TEMPLATE_DEFINITIONS.find((t) => t.id === 'domain-expert')
if (expert === undefined) throw new Error('the built-in domain-expert template is gone')

describe('subrequests of one rerank call (Workers Free: 50)', () => {
  it('the worst case stays within MAX_SUBREQUESTS: a failed edge read, a retried exposure, a template read and every upstream fetch the budget allows', async () => {
    const fake = fakeVllm('subrequests-worst')
    await createExperiment({
      id: 'exp-subrequests',
      name: 'Subrequest worst case',
      variants: [
        { key: 'control', weight: 0, instruction: 'plain control' },
        { key: 'expert', weight: 1, template: 'domain-expert', template_vars: { role: 'librarian' } },
      ],
    })
    // One attempt a batch and batches of one document: the call is cut into as many batches as the
    // budget allows, each one fetch, so it spends its whole upstream allowance and succeeds.
    const documents = Array.from({ length: 2 * upstreamSubrequests(WORKERS_FREE_SUBREQUESTS) }, (_, i) => ({ id: `d${i}`, text: `worst case passage ${i} on library cataloguing` }))
    const vars = {
      VLLM_URLS: fake.url,
      UPSTREAM_MAX_ATTEMPTS: '1',
      BACKEND_BATCH_SIZE: '1',
      MAX_SUBREQUESTS: String(WORKERS_FREE_SUBREQUESTS),
      // Read TEMPLATES_KV on this call (the isolate would reuse an earlier read otherwise).
      TEMPLATES_TTL_SECONDS: '0',
      RATE_LIMIT_ANONYMOUS: 'true',
      SCORE_CACHE: firstReadFails(workerEnv.SCORE_CACHE as KVNamespace),
      DB: exposureInsertsFailTwice(workerEnv.DB as D1Database),
    } as unknown as Record<string, string>
    const r = await rerank(
      { query: `library cataloguing ${Date.now()}`, documents, experiment: 'exp-subrequests', user: 'someone' },
      { vars, headers: { 'cf-connecting-ip': '203.0.113.7' } }
    )
    expect(r.status, r.text).toBe(200)
    expect(r.json.meta.experiment).toMatchObject({ variant: 'expert', in_experiment: true })
    const s = r.subrequests
    // Every fetch the budget leaves was spent on the backend (batches of two).
    expect(s.of('fetch'), s.made.join('\n')).toBe(upstreamSubrequests(WORKERS_FREE_SUBREQUESTS))
    // The rate limiter, TEMPLATES_KV, the score cache's read, its second read (the first failed) and
    // write, the experiment's read and the exposure's insert, twice retried, and its read-back.
    expect({ ratelimit: s.of('ratelimit'), kv: s.of('kv'), d1: s.of('d1') }, [...s.made, ...s.refused.map((x) => `REFUSED ${x}`)].join('\n')).toEqual({ ratelimit: 1, kv: 4, d1: 5 })
    expect(s.refused).toEqual([])
    expect(s.count).toBeLessThanOrEqual(WORKERS_FREE_SUBREQUESTS)
    // Within the reserve, which must hold the worst case of each (subrequest-budget.ts).
    expect(s.count - s.of('fetch')).toBeLessThanOrEqual(RESERVED_SUBREQUESTS)
    // The exposure was written (by the attempt whose answer was lost) and the edge write happened.
    expect((await exposureRows('exp-subrequests')).map((e) => e.request_id)).toEqual([r.json.id])
    expect(s.made.filter((m) => m.startsWith('kv SCORE_CACHE.put'))).toHaveLength(1)
  })

  it('reads TEMPLATES_KV once per call even with TEMPLATES_TTL_SECONDS=0, when an arm falls back to a templated control', async () => {
    const fake = fakeVllm('subrequests-templates')
    await createExperiment({
      id: 'exp-subrequests-tpl',
      name: 'Templated control',
      variants: [
        { key: 'control', weight: 0, template: 'domain-expert', template_vars: { role: 'historian' } },
        { key: 'expert', weight: 1, template: 'domain-expert', template_vars: { role: 'librarian' } },
      ],
    })
    // A version 2 of the arm's template: the arm (pinned to version 1) falls back to the control
    // arm, whose template is resolved too, from the same registry.
    const v2 = { ...expert, version: 2, text: `${expert.text} Prefer recent sources.` }
    const r = await rerank(
      { query: `templated control ${Date.now()}`, documents: ['a catalogue of maps', 'a recipe'], experiment: 'exp-subrequests-tpl', user: 'someone' },
      { vars: { VLLM_URLS: fake.url, TEMPLATES_TTL_SECONDS: '0', TEMPLATES: JSON.stringify([v2]) } }
    )
    expect(r.status, r.text).toBe(200)
    expect(r.json.meta.experiment).toMatchObject({ variant: 'control', in_experiment: false, reason: 'arm_template_changed' })
    expect(r.subrequests.made.filter((m) => m.startsWith('kv TEMPLATES_KV.get'))).toHaveLength(1)
  })
})
