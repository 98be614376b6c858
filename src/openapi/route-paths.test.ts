import { describe, expect, it } from 'vitest'
import { collectPaths, toOpenApiPath } from './route-paths'

describe('route paths', () => {
  it('turns Hono parameters into OpenAPI templates', () => {
    expect(toOpenApiPath('/v1/experiments/:id/report')).toEqual({ path: '/v1/experiments/{id}/report', params: ['id'] })
    expect(toOpenApiPath('/x/:n{[0-9]+}/:slug')).toEqual({ path: '/x/{n}/{slug}', params: ['n', 'slug'] })
    expect(toOpenApiPath('/')).toEqual({ path: '/', params: [] })
  })

  it('lists endpoints, not middleware; ALL on a concrete path means 405 for other methods', () => {
    const entries = collectPaths([
      { method: 'ALL', path: '/*' },
      { method: 'POST', path: '/v1/rerank' },
      { method: 'ALL', path: '/v1/rerank' },
      { method: 'GET', path: '/healthz' },
      { method: 'DELETE', path: '/v1/experiments/:id' },
      { method: 'GET', path: '/v1/experiments/:id' },
      { method: 'ALL', path: '/only-all' },
    ])
    expect(entries).toEqual([
      { path: '/healthz', honoPath: '/healthz', methods: ['get'], params: [], answers405: false },
      { path: '/v1/experiments/{id}', honoPath: '/v1/experiments/:id', methods: ['get', 'delete'], params: ['id'], answers405: false },
      { path: '/v1/rerank', honoPath: '/v1/rerank', methods: ['post'], params: [], answers405: true },
    ])
  })
})
