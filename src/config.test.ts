import { describe, expect, it } from 'vitest'
import { parseConfig, type ConfigEnv } from './config'

describe('parseConfig', () => {
  it('reads the former UPSTREAM_ATTEMPT_TIMEOUT_MS as UPSTREAM_HEDGE_AFTER_MS when that is unset (a renamed var keeps its meaning)', () => {
    const legacy = (v: string, extra: Record<string, string> = {}) => parseConfig({ UPSTREAM_ATTEMPT_TIMEOUT_MS: v, ...extra } as ConfigEnv).UPSTREAM_HEDGE_AFTER_MS
    expect(legacy('0')).toBe(0)
    expect(legacy('2000')).toBe(2000)
    expect(legacy('')).toBeUndefined()
    expect(legacy('2000', { UPSTREAM_HEDGE_AFTER_MS: '500' })).toBe(500)
    expect(() => legacy('-1')).toThrow(/UPSTREAM_HEDGE_AFTER_MS/u)
    expect(parseConfig({}).UPSTREAM_HEDGE_AFTER_MS).toBeUndefined()
  })
})
