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

  it('refuses a VLLM_URLS entry that ends in an API path (the client appends /v1/rerank), naming its position only', () => {
    const urls = (v: string) => parseConfig({ VLLM_URLS: v } as ConfigEnv).VLLM_URLS
    for (const bad of ['https://gpu.example/v1', 'https://gpu.example/v1/', 'https://gpu.example/v1/rerank', 'http://10.0.0.2:8000/rerank', 'https://gpu.example/V1']) {
      expect(() => urls(`https://ok.example, ${bad}`), bad).toThrow(/VLLM_URLS: entry 2 of 2 ends in an API path/u)
    }
    expect(() => urls('https://gpu.example/v1?token=s3cr3t')).toThrow(/^(?!.*s3cr3t)/su)
    // A base URL, with or without a reverse proxy's path prefix, is kept as given (trailing slash dropped).
    expect(urls('https://gpu.example, https://proxy.example/gpu-a/, http://10.0.0.2:8000')).toEqual(['https://gpu.example', 'https://proxy.example/gpu-a', 'http://10.0.0.2:8000'])
  })
})
