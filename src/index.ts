/**
 * @module index
 * The worker entry point.
 */
import type { Env } from './app-env'
import { createApp } from './app'

const app = createApp()

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>
