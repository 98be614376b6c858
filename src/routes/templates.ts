/**
 * @module routes/templates
 * A sub-app mounted at `/v1/templates` (app.ts):
 * `GET /v1/templates`: the instruction template registry (built-ins plus operator overrides from
 * the `TEMPLATES` var and the `TEMPLATES_KV` namespace), each with its version, language, typed
 * variables (defaults, bounds, enums), fusion defaults and an example with its rendered instruction.
 * `GET /v1/templates/:id`: one of them. Answers 500 naming the source when an override is invalid
 * (templates/template-source-store.ts).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { ApiError } from '../errors'
import { allowOnly } from '../lib/allow-only'
import { listTemplates } from '../templates/registry'
import { templateRegistryLoader } from '../templates/template-source-store'

export const templateRoutes = new Hono<AppEnv>()

templateRoutes.get('/', async (c) => {
  const registry = await templateRegistryLoader(c.get('config'), c.env, c.get('startedAt'), c.var.services.templates)()
  return c.json({ templates: listTemplates(registry) })
})
templateRoutes.all('/', allowOnly('GET', 'HEAD'))

templateRoutes.get('/:id', async (c) => {
  const id = c.req.param('id')
  const registry = await templateRegistryLoader(c.get('config'), c.env, c.get('startedAt'), c.var.services.templates)()
  const entry = listTemplates(registry).find((t) => t.id === id)
  if (entry === undefined) {
    throw new ApiError('not_found', `no template ${JSON.stringify(id.slice(0, 64))}; GET /v1/templates lists them`)
  }
  return c.json(entry)
})
templateRoutes.all('/:id', allowOnly('GET', 'HEAD'))
