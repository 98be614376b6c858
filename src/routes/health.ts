/**
 * @module routes/health
 * `GET /healthz`: the worker's state and which backend answers.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { allowOnly } from './allow-only'

export const healthRoutes = new Hono<AppEnv>()

healthRoutes.get('/healthz', (c) => {
  const config = c.get('config')
  return c.json({
    status: 'ok',
    backend: config.backend,
    model: config.backend === 'vllm' ? config.VLLM_MODEL : 'lexical-bm25',
    upstreams: config.VLLM_URLS.map((url, i) => ({ id: `u${i}`, url: new URL(url).origin })),
  })
})
healthRoutes.all('/healthz', allowOnly('GET', 'HEAD'))
