/**
 * @module index
 * The worker entry point: one set of services (src/services.ts) and one app per isolate.
 */
import type { Env } from './app-env'
import { createApp } from './app'
import { createServices } from './services'

/** The isolate's services; integration tests reach them here to start from a clean state. */
export const isolateServices = createServices()

const app = createApp(isolateServices)

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>
