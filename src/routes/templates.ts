/**
 * @module routes/templates
 * `GET /v1/templates`: the instruction template registry (built-ins plus operator overrides from
 * the `TEMPLATES` var and the `TEMPLATES_KV` namespace), each with its version, language, typed
 * variables (defaults, bounds, enums), fusion defaults and an example with its rendered instruction.
 * `GET /v1/templates/:id`: one of them. Answers 500 naming the source when an override is invalid
 * (templates/template-source-store.ts).
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env'
import { ApiError } from '../errors'
import { listTemplates, type TemplateRegistry } from '../templates/registry'
import { TEMPLATES_KV_BINDING } from '../templates/template-source'
import { loadTemplateRegistry } from '../templates/template-source-store'
import { allowOnly } from './allow-only'

/** A loader of this request's registry (read lazily: only template calls and these routes need it). */
export function templateRegistryLoader(c: Context<AppEnv>): () => Promise<TemplateRegistry> {
  return () => {
    const config = c.get('config')
    return loadTemplateRegistry({
      config: config.TEMPLATES,
      kv: c.env[TEMPLATES_KV_BINDING],
      ttlSeconds: config.TEMPLATES_TTL_SECONDS,
      nowMs: c.get('startedAt'),
    })
  }
}

export const templateRoutes = new Hono<AppEnv>()

templateRoutes.get('/v1/templates', async (c) => {
  const registry = await templateRegistryLoader(c)()
  return c.json({ templates: listTemplates(registry) })
})
templateRoutes.all('/v1/templates', allowOnly('GET', 'HEAD'))

templateRoutes.get('/v1/templates/:id', async (c) => {
  const id = c.req.param('id')
  const registry = await templateRegistryLoader(c)()
  const entry = listTemplates(registry).find((t) => t.id === id)
  if (entry === undefined) {
    throw new ApiError('not_found', `no template ${JSON.stringify(id.slice(0, 64))}; GET /v1/templates lists them`)
  }
  return c.json(entry)
})
templateRoutes.all('/v1/templates/:id', allowOnly('GET', 'HEAD'))
