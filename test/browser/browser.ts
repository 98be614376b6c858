/**
 * Drives Debian's Chromium (`apt-get install chromium`) with playwright-core (no browser download),
 * with the flags that keep it offline, and watches each page for console errors, uncaught
 * exceptions and any request that leaves the server under test.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import { expect } from 'vitest'

export const ARTIFACTS = join(new URL('../..', import.meta.url).pathname, 'test-artifacts')

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export interface WatchedPage {
  page: Page
  /** Console errors, page errors (uncaught exceptions) and CSP violations, as text. */
  errors: string[]
  /** Requests to anything but the server under test (data: URLs aside). */
  foreignRequests: string[]
  close(): Promise<void>
}

export async function openPage(browser: Browser, baseUrl: string, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options })
  const page = await context.newPage()
  const errors: string[] = []
  const foreignRequests: string[] = []
  page.on('console', (m) => {
    // Chromium logs every 4xx fetch as "Failed to load resource"; the pages answer 4xx on purpose
    // (validation errors shown inline), so those are left out here and 5xx answers are caught below.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/u.test(m.text())) {
      errors.push(`console: ${m.text()}`)
    }
  })
  page.on('response', (r) => {
    if (r.status() >= 500) errors.push(`HTTP ${r.status()} from ${r.url()}`)
  })
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('request', (r) => {
    const url = r.url()
    if (!url.startsWith(baseUrl) && !url.startsWith('data:')) foreignRequests.push(url)
  })
  return { page, errors, foreignRequests, close: () => context.close() }
}

/** Closes a watched page, failing the test on any console error, exception, CSP violation or request to another host. */
export async function closeWatched(w: WatchedPage | undefined): Promise<void> {
  if (!w) return
  const { errors, foreignRequests } = w
  await w.close()
  expect(errors, 'console errors, exceptions or CSP violations').toEqual([])
  expect(foreignRequests, 'requests outside the server under test').toEqual([])
}

export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}
