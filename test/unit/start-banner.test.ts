/**
 * `npm start`'s banner states what /healthz says the worker enforces (scripts/start-banner.mjs);
 * the e2e tests (test/e2e/config-*.test.ts) check it against a real worker for open and keyed
 * starts. Here: the cases a test launch cannot cheaply reach, e.g. a config the worker refuses.
 */
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs module without types
import { bannerLines } from '../../scripts/start-banner.mjs'

const url = 'http://127.0.0.1:8787'
const banner = (o: Record<string, unknown>) =>
  (bannerLines as (o: Record<string, unknown>) => string[])({ url, configured: [], apiKeysSource: 'environment', vllmUrls: undefined, ...o })

describe('npm start banner', () => {
  it('says open only when /healthz says open, and ends with the ready line', () => {
    const lines = banner({ status: 200, health: { auth: 'open', backend: 'lexical' } })
    expect(lines.join('\n')).toMatch(/access is OPEN/u)
    expect(lines.at(-1)).toBe(`rerank-edge: ready on ${url}`)
  })

  it('says a key is required, and from where, when /healthz says api_keys', () => {
    const lines = banner({ status: 200, health: { auth: 'api_keys', backend: 'vllm', model: 'm' }, apiKeysSource: '.dev.vars', vllmUrls: 'https://gpu' })
    expect(lines.join('\n')).toMatch(/access requires an API key \(API_KEYS from \.dev\.vars\)/u)
    expect(lines.join('\n')).toMatch(/vLLM \(m\) at https:\/\/gpu/u)
    expect(lines.join('\n')).not.toMatch(/OPEN/u)
  })

  it('a refused configuration is reported with the worker\'s message, not as open or keyed', () => {
    const lines = banner({
      status: 500,
      health: { error: { code: 'internal_error', message: 'invalid configuration var API_KEYS: not valid JSON' }, request_id: 'x' },
    })
    expect(lines[0]).toBe('rerank-edge: the worker answers but refuses its configuration: invalid configuration var API_KEYS: not valid JSON')
    expect(lines.join('\n')).not.toMatch(/OPEN|requires an API key/u)
    expect(banner({ status: 502, health: null })[0]).toMatch(/HTTP 502/u)
  })
})
