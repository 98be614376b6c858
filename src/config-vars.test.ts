/**
 * `npm start` passes config through by name pattern; every var the worker's config schema
 * reads must match it, or setting it in the environment would silently do nothing.
 */
import { describe, expect, it } from 'vitest'
import { configSchema } from './config'
// @ts-expect-error: a plain .mjs module without types
import { CONFIG_VAR } from '../scripts/config-vars.mjs'

describe('npm start config pass-through', () => {
  it('passes every config var the worker reads', () => {
    const keys = Object.keys(configSchema.shape)
    expect(keys.length).toBeGreaterThan(10)
    const missing = keys.filter((k) => !(CONFIG_VAR as RegExp).test(k))
    expect(missing).toEqual([])
  })

  it('does not pass unrelated environment variables', () => {
    for (const name of ['PATH', 'HOME', 'NODE_OPTIONS', 'PORT', 'npm_config_cache']) {
      expect((CONFIG_VAR as RegExp).test(name)).toBe(false)
    }
  })
})
