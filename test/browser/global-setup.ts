/**
 * Browser project setup: finds Debian's Chromium and starts one `npm start` for every browser
 * test file. Without Chromium the project FAILS, saying how to install it: a page test that skips
 * itself would let the suite pass with the pages untested (`.ci/run` installs Chromium, and fails
 * when it cannot: `apt-get install -y chromium`, binary /usr/bin/chromium).
 */
import { existsSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { startDevServer } from './server'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser tests: no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH. ` +
        'These tests fail rather than skip, so a green suite always means the pages were tested.'
    )
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
