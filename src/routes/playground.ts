/**
 * @module routes/playground
 * `GET /`: the playground page (src/ui/playground-page.ts), self-contained and offline.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { pageHeaders } from '../ui/html'
import { playgroundPage } from '../ui/playground-page'
import { allowOnly } from '../lib/allow-only'

export const playgroundRoutes = new Hono<AppEnv>()

playgroundRoutes.get('/', async (c) => {
  const pages = c.var.services.pages
  pages.playground ??= playgroundPage()
  const page = await pages.playground
  return c.body(page.html, 200, pageHeaders(page))
})
playgroundRoutes.all('/', allowOnly('GET', 'HEAD'))
