/**
 * Browser project setup: finds Debian's Chromium and, when it is there, starts one `npm start`
 * for every browser test file. Without Chromium nothing is started and the tests skip, saying why
 * (`.ci/run` installs it; see shared/notes/toolchain.md "A real browser for page tests").
 */
import { existsSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { startDevServer } from './server'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    project.provide('chromiumPath' as never, '' as never)
    project.provide('baseUrl' as never, '' as never)
    return
  }
  const started = Date.now()
  const server = await startDevServer()
  console.log(`browser tests: npm start answered at ${server.url} after ${Date.now() - started} ms`)
  project.provide('chromiumPath' as never, CHROMIUM as never)
  project.provide('baseUrl' as never, server.url as never)
  return async () => {
    await server.stop()
  }
}
