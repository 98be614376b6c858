import { describe, expect, it } from 'vitest'
import { BUILTIN_TEMPLATES } from './builtins'
import { getTemplate } from './registry'
import { ApiError } from '../errors'
import { TemplateSourceError, buildTemplateRegistry, builtinRegistry, createTemplateRegistryMemo } from './template-source'
import { createTemplateState, loadTemplateRegistry } from './template-source-store'

const recency = (version: number, text: string) => ({
  id: 'recency',
  version,
  description: 'Prefer recent documents.',
  language: 'en',
  text,
  variables: { year: { type: 'integer', description: 'Earliest preferred year.', default: 2024 } },
  example: { template_vars: { year: 2025 } },
})

const added = (version: number) => ({
  id: 'acme',
  version,
  description: 'Acme.',
  language: 'en',
  text: 'Acme support articles only.',
  example: { template_vars: {} },
})

function sourceError(f: () => unknown): TemplateSourceError {
  try {
    f()
  } catch (e) {
    if (e instanceof TemplateSourceError) return e
    throw e
  }
  throw new Error('expected a TemplateSourceError')
}

describe('buildTemplateRegistry', () => {
  it('is the built-ins when no source is set', () => {
    for (const config of [undefined, '', '  ', null]) {
      const r = buildTemplateRegistry({ config, kv: null })
      expect([...r.templates.keys()].sort()).toEqual(BUILTIN_TEMPLATES.map((t) => t.id).sort())
    }
    expect(buildTemplateRegistry({})).toBe(builtinRegistry())
  })

  it('layers KV over the var over the built-ins, by id', () => {
    const r = buildTemplateRegistry({
      config: JSON.stringify([recency(2, 'Var: {year}.'), added(1)]),
      kv: JSON.stringify([recency(3, 'KV: {year}.')]),
    })
    expect(getTemplate(r, 'recency')).toMatchObject({ version: 3, text: 'KV: {year}.', origin: 'override' })
    expect(getTemplate(r, 'acme')).toMatchObject({ version: 1, origin: 'override' })
    expect(getTemplate(r, 'domain-expert')).toMatchObject({ version: 1, origin: 'builtin' })
    // Parsed JSON (a wrangler [vars] array) works the same as text.
    expect(getTemplate(buildTemplateRegistry({ config: [added(4)] }), 'acme')?.version).toBe(4)
  })

  it('refuses a change under an unchanged version in any layer, naming the source', () => {
    const builtin = sourceError(() => buildTemplateRegistry({ config: JSON.stringify([recency(1, 'Changed {year}.')]) }))
    expect(builtin.errors[0]?.field).toBe('TEMPLATES[0].version')
    expect(builtin.message).toMatch(/differs from the built-in version 1/u)
    const kv = sourceError(() =>
      buildTemplateRegistry({ config: JSON.stringify([added(1)]), kv: JSON.stringify([{ ...added(1), text: 'Other text.' }]) })
    )
    expect(kv.errors[0]?.field).toBe('TEMPLATES_KV["templates:overrides"][0].version')
    expect(kv.message).toMatch(/differs from the TEMPLATES version 1/u)
    // Re-stating a template unchanged (same version, same text) is fine.
    const same = BUILTIN_TEMPLATES.find((t) => t.id === 'recency')
    expect(() => buildTemplateRegistry({ kv: JSON.stringify([same]) })).not.toThrow()
  })

  it('names the bad path of an invalid definition, and bad JSON', () => {
    expect(sourceError(() => buildTemplateRegistry({ config: '[{' })).errors[0]?.field).toBe('TEMPLATES')
    const e = sourceError(() => buildTemplateRegistry({ config: JSON.stringify([recency(2, 'Prefer {year} in {region}.')]) }))
    expect(e.errors[0]).toEqual({ field: 'TEMPLATES[0].text', message: 'placeholder {region} is not a declared variable' })
    const dup = sourceError(() => buildTemplateRegistry({ kv: JSON.stringify([added(1), added(2)]) }))
    expect(dup.errors[0]?.field).toBe('TEMPLATES_KV["templates:overrides"][1].id')
  })

  it('a memo gives the same registry object for the same text (and the same error); another memo shares nothing', () => {
    const memo = createTemplateRegistryMemo()
    const config = JSON.stringify([added(7)])
    expect(memo.build({ config })).toBe(memo.build({ config }))
    expect(memo.build({ config: JSON.stringify([added(8)]) })).not.toBe(memo.build({ config }))
    expect(sourceError(() => memo.build({ config: '[' }))).toBe(sourceError(() => memo.build({ config: '[' })))
    expect(createTemplateRegistryMemo().build({ config })).not.toBe(memo.build({ config }))
    expect(buildTemplateRegistry({ config })).not.toBe(buildTemplateRegistry({ config }))
  })
})

describe('loadTemplateRegistry', () => {
  it('answers 503 with Retry-After when TEMPLATES_KV cannot be read (a store outage, not a bug: it was a 500), and reads again next time', async () => {
    let fail = true
    const kv = {
      get: async () => {
        if (fail) throw new Error('KV GET failed: 500 Internal Server Error')
        return null
      },
      put: async () => undefined,
      list: async () => ({ keys: [] }),
      delete: async () => undefined,
      getWithMetadata: async () => ({ value: null, metadata: null }),
    } as unknown as KVNamespace
    const state = createTemplateState()
    const load = () => loadTemplateRegistry({ config: undefined, kv, ttlSeconds: 60, nowMs: 1_000, state })
    const error = await load().then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ code: 'storage_unavailable', status: 503, headers: { 'Retry-After': '5' } })
    fail = false
    expect(getTemplate(await load(), 'recency')).toBeDefined()
  })
})
