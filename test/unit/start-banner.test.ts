/**
 * `npm start`'s banner states what /healthz says the worker enforces (scripts/start-banner.mjs);
 * the e2e tests (test/e2e/config-*.test.ts, npm-start.test.ts) check it against a real worker.
 * Here: every shape of answer, e.g. a config the worker refuses, which must never read "ready".
 */
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs module without types
import { bannerLines } from '../../scripts/start-banner.mjs'

const url = 'http://127.0.0.1:8787'
const banner = (o: Record<string, unknown>) =>
  (bannerLines as (o: Record<string, unknown>) => { ready: boolean; lines: string[] })({
    url,
    configured: [],
    apiKeysSource: 'environment',
    vllmUrls: undefined,
    ...o,
  })

describe('npm start banner', () => {
  it('says open only when /healthz says open, and ends with the ready line', () => {
    const { ready, lines } = banner({ status: 200, health: { auth: 'open', backend: 'lexical' } })
    expect(ready).toBe(true)
    expect(lines.join('\n')).toMatch(/access is OPEN/u)
    expect(lines.at(-1)).toBe(`rerank-edge: ready on ${url}`)
  })

  it('says a key is required, and from where, when /healthz says api_keys', () => {
    const { ready, lines } = banner({ status: 200, health: { auth: 'api_keys', backend: 'vllm', model: 'm' }, apiKeysSource: '.dev.vars', vllmUrls: 'https://gpu' })
    expect(ready).toBe(true)
    expect(lines.join('\n')).toMatch(/access requires an API key \(API_KEYS from \.dev\.vars\)/u)
    expect(lines.join('\n')).toMatch(/vLLM \(m\) at https:\/\/gpu/u)
    expect(lines.join('\n')).not.toMatch(/OPEN/u)
  })

  it('a backend that is down (503 with a health body) is still a started server', () => {
    const { ready, lines } = banner({ status: 503, health: { status: 'down', auth: 'open', backend: 'vllm', model: 'm' } })
    expect(ready).toBe(true)
    expect(lines.at(-1)).toBe(`rerank-edge: ready on ${url}`)
  })

  it("a refused configuration is reported with the worker's message, and is not ready", () => {
    const { ready, lines } = banner({
      status: 500,
      health: { error: { code: 'internal_error', message: 'invalid configuration var API_KEYS: not valid JSON' }, request_id: 'x' },
    })
    expect(ready).toBe(false)
    expect(lines[0]).toBe('rerank-edge: the worker refuses its configuration: invalid configuration var API_KEYS: not valid JSON')
    expect(lines.join('\n')).not.toMatch(/OPEN|requires an API key|ready on/u)
  })

  it('an answer without a health body is not ready either', () => {
    const { ready, lines } = banner({ status: 502, health: null })
    expect(ready).toBe(false)
    expect(lines[0]).toMatch(/HTTP 502/u)
    expect(lines.join('\n')).not.toMatch(/ready on/u)
  })
})
