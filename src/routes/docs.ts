/**
 * @module routes/docs
 * `GET /openapi.json` (OpenAPI 3.1, generated: src/openapi/build-document.ts) and `GET /docs`
 * (the same document rendered as a page: src/ui/docs-page.ts). The route table is read when a
 * request comes, so routes mounted after this module are documented too.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import type { Config } from '../config'
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/build-document'
import type { RouteRecord } from '../openapi/route-paths'
import { docsPage } from '../ui/docs-page'
import { pageHeaders } from '../ui/html'
import { allowOnly } from '../lib/allow-only'

export function docsRoutes(routes: () => readonly RouteRecord[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  // One document per parsed config (config.ts memoises Config per env object).
  const documents = new WeakMap<Config, OpenApiDocument>()
  const documentFor = (config: Config): OpenApiDocument => {
    let doc = documents.get(config)
    if (!doc) {
      doc = buildOpenApiDocument(config, routes())
      documents.set(config, doc)
    }
    return doc
  }

  app.get('/openapi.json', (c) => {
    c.header('Cache-Control', 'no-cache')
    return c.json(documentFor(c.get('config')))
  })
  app.all('/openapi.json', allowOnly('GET', 'HEAD'))

  app.get('/docs', async (c) => {
    const doc = documentFor(c.get('config'))
    const pages = c.var.services.pages.docs
    let built = pages.get(doc)
    if (built === undefined) {
      built = docsPage(doc)
      pages.set(doc, built)
    }
    const page = await built
    return c.body(page.html, 200, pageHeaders(page))
  })
  app.all('/docs', allowOnly('GET', 'HEAD'))
  return app
}
