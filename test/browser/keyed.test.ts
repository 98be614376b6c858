/**
 * The playground on a deployment that requires API keys: its own `npm start` with API_KEYS set (the
 * project's shared server, global-setup.ts, is open). What a keyed user meets: the key box named
 * when a call is refused, the template picker once a key is typed, the experiment report opened
 * with the key.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { artifact, launchChromium, openPage, type WatchedPage, closeWatched } from './browser'
import { startDevServer, type DevServer } from './server'

const chromiumPath = inject('chromiumPath' as never) as string

/** Keys as `npm run hash-key -- <key>` stores them (README "Access control"). */
const KEYS = { all: 'browser-key-all', rerank: 'browser-key-rerank', feedback: 'browser-key-feedback' }
const hash = (key: string) => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`
const API_KEYS = JSON.stringify([
  { id: 'all', hash: hash(KEYS.all), tenant: 'browser', scopes: ['rerank', 'experiments', 'feedback', 'stats'] },
  { id: 'rerank', hash: hash(KEYS.rerank), tenant: 'browser', scopes: ['rerank'] },
  { id: 'feedback', hash: hash(KEYS.feedback), tenant: 'browser', scopes: ['feedback'] },
])

let server: DevServer
let browser: Browser
let w: WatchedPage | undefined

const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '')

async function gotoPlayground(page: Page): Promise<void> {
  await page.goto(`${server.url}/`)
  await page.waitForSelector('body[data-ready][data-templates]')
}

/** An experiment of the keys' tenant, created with the admin key (409: an earlier test made it). */
async function createExperiment(id: string): Promise<void> {
  const created = await fetch(`${server.url}/v1/experiments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.all}` },
    body: JSON.stringify({
      id,
      name: 'Keyed report',
      variants: [
        { key: 'control', weight: 0.5, instruction: 'Prefer official documentation' },
        { key: 'treatment', weight: 0.5, instruction: 'Prefer community answers' },
      ],
    }),
  })
  expect([201, 409]).toContain(created.status)
}

describe('with API keys on', () => {
  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startDevServer(90_000, { API_KEYS }), launchChromium(chromiumPath)])
    // The deployment really is keyed.
    expect((await fetch(`${server.url}/v1/templates`)).status).toBe(401)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  afterEach(async () => {
    const watched = w
    w = undefined
    await closeWatched(watched)
  })

  it('a refused call points at the API key box: opens "More options", says why there, focuses the box', async () => {
    w = await openPage(browser, server.url)
    const { page } = w
    await gotoPlayground(page)
    expect(await page.getAttribute('#options-panel', 'open')).toBeNull()
    await page.fill('#query', 'battery range')
    await page.fill('#candidates', 'first candidate\nsecond candidate')
    await page.click('#submit')
    await page.waitForSelector('#api-key-error')
    expect(await page.getAttribute('#options-panel', 'open')).toBe('')
    expect(await activeId(page)).toBe('api-key')
    expect(await page.getAttribute('#api-key', 'aria-invalid')).toBe('true')
    expect(await page.textContent('#api-key-error')).toMatch(/^this deployment requires an API key: enter it in "API key"/u)
    expect(await page.textContent('#form-error')).toMatch(/^API key needed \(401\):/u)

    // A key without the rerank scope: 403, named at the same box.
    await page.fill('#api-key', KEYS.feedback)
    await page.click('#submit')
    await page.waitForSelector('#api-key-error')
    expect(await page.textContent('#form-error')).toMatch(/^API key not allowed \(403\):/u)
    expect(await page.textContent('#api-key-error')).toContain('lacks the "rerank" scope')
    expect(await activeId(page)).toBe('api-key')

    // The right key: ranked.
    await page.fill('#api-key', KEYS.rerank)
    await page.click('#submit')
    await page.waitForSelector('#ranking-a li.result')
    expect(await page.$('#api-key-error')).toBeNull()
    expect(await page.locator('#ranking-a li.result').count()).toBe(2)
  })
  it('loads the template picker once a key is typed; an example needing a template says so rather than run without it', async () => {
    w = await openPage(browser, server.url)
    const { page } = w
    await gotoPlayground(page)
    // No key yet: the registry is refused, the picker hidden.
    expect(await page.getAttribute('body', 'data-templates')).toBe('unavailable')
    expect(await page.isHidden('#template-field-a')).toBe(true)

    // The e-commerce example ranks with the ecommerce-buyer template: not run without it, and why.
    await page.click('button[data-example="ecommerce"]')
    await page.waitForSelector('#api-key-error')
    expect(await page.textContent('#form-error')).toContain('the "E-commerce" example ranks with the template "ecommerce-buyer", which this page could not load (GET /v1/templates answered 401)')
    expect(await activeId(page)).toBe('api-key')
    expect(await page.locator('#ranking-a li.result').count()).toBe(0)
    expect(await page.inputValue('#query')).not.toBe('')

    // A key typed (the box loses focus: change): the picker appears with the registry.
    await page.fill('#api-key', KEYS.rerank)
    await page.keyboard.press('Tab')
    await page.waitForSelector('body[data-templates="ready"]')
    expect(await page.isVisible('#template-field-a')).toBe(true)
    const listed = (await (await fetch(`${server.url}/v1/templates`, { headers: { authorization: `Bearer ${KEYS.rerank}` } })).json()) as { templates: Array<{ id: string }> }
    const options = await page.locator('#template-a option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean))
    expect(options).toEqual(listed.templates.map((t) => t.id))

    // Now the example runs with its template.
    await page.click('button[data-example="ecommerce"]')
    await page.waitForSelector('#ranking-a li.result')
    expect(await page.inputValue('#template-a')).toBe('ecommerce-buyer')
    expect(await page.textContent('.instruction-used')).toContain('ecommerce-buyer')
    expect(await page.isHidden('#form-error')).toBe(true)
  })

  it('an example clicked straight after typing the key (no blur first) waits for the registry', async () => {
    w = await openPage(browser, server.url)
    const { page } = w
    await gotoPlayground(page)
    await page.click('#options-panel > summary')
    await page.fill('#api-key', KEYS.rerank)
    await page.click('button[data-example="legal"]')
    await page.waitForSelector('#ranking-a li.result')
    expect(await page.inputValue('#template-a')).toBe('legal-authority')
    expect(await page.getAttribute('body', 'data-templates')).toBe('ready')
  })
  it('"Open report" with a key saves the report as a file that shows styled; without a key it says where the key goes', async () => {
    await createExperiment('keyed-report')
    w = await openPage(browser, server.url)
    const { page } = w
    await gotoPlayground(page)

    // No key: the 401 is explained by the box, and the key box is shown.
    await page.fill('#report-id', 'keyed-report')
    await page.click('#report-open')
    await page.waitForSelector('#report-id-error:not([hidden])')
    expect(await page.textContent('#report-id-error')).toBe(
      'No report: this deployment requires an API key. Enter one in "API key" under More options, then open the report again.'
    )
    expect(await page.getAttribute('#options-panel', 'open')).toBe('')
    expect(await page.isVisible('#api-key')).toBe(true)

    // A key without the experiments scope.
    await page.fill('#api-key', KEYS.rerank)
    await page.click('#report-open')
    await page.waitForFunction(() => document.getElementById('report-id-error')?.textContent?.includes('scope'))
    expect(await page.textContent('#report-id-error')).toContain('this API key may not read reports (scope "experiments")')

    // The admin key: the report comes as a file, and the playground stays.
    await page.fill('#api-key', KEYS.all)
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-open')])
    expect(download.suggestedFilename()).toBe('experiment-keyed-report-report.html')
    expect(new URL(page.url()).pathname).toBe('/')
    expect(await page.isHidden('#report-id-error')).toBe(true)
    expect(await page.textContent('#report-note')).toContain('experiment-keyed-report-report.html')
    // Saved under its own name: Chromium reads a file:// page's type from the extension.
    const file = artifact(download.suggestedFilename())
    await download.saveAs(file)
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('Experiment report')
    expect(html).toContain(`<base href="${server.url}/v1/experiments/keyed-report/">`)

    // Opened from disk, the file is the styled report (no CSP header there to block its style),
    // and its links lead back to the service.
    const viewer = await browser.newPage()
    try {
      const problems: string[] = []
      viewer.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text())
      })
      viewer.on('pageerror', (e) => problems.push(e.message))
      await viewer.goto(pathToFileURL(file).href)
      expect(await viewer.title()).toBe('Experiment keyed-report: report')
      const banner = viewer.locator('.banner')
      expect(await banner.evaluate((el) => getComputedStyle(el).borderTopLeftRadius)).toBe('8px')
      expect(await viewer.getAttribute('a[href="/docs"]', 'href')).toBe('/docs')
      expect(await viewer.locator('a[href="/docs"]').evaluate((a) => (a as HTMLAnchorElement).href)).toBe(`${server.url}/docs`)
      expect(problems).toEqual([])
    } finally {
      await viewer.close()
    }
  })

  it('README "Access control": the report page is a 401 by URL and a file with the key; CORS from another origin as described', async () => {
    // `open …/report.html` only on an open deployment; `curl -H "Authorization: Bearer $KEY" … > report.html` here.
    await createExperiment('keyed-report')
    expect((await fetch(`${server.url}/v1/experiments/keyed-report/report.html`)).status).toBe(401)
    const page = await fetch(`${server.url}/v1/experiments/keyed-report/report.html`, { headers: { authorization: `Bearer ${KEYS.all}` } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toContain('Experiment report')

    // A page on another origin (another port) calling the API from the browser.
    const other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>other origin</title>'))
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const tab = await browser.newPage()
    try {
      await tab.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`)
      const seen = await tab.evaluate(
        async ({ api, key }) => {
          const body = JSON.stringify({ query: 'capital of France', documents: ['Paris is the capital of France.', 'Bananas.'] })
          const call = (init: RequestInit) => fetch(api + '/v1/rerank', { method: 'POST', body, ...init })
          const ok = await call({ headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' } })
          const refused = await call({ headers: { 'content-type': 'application/json' } })
          let withCredentials = 'answered'
          try {
            await call({ credentials: 'include', headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' } })
          } catch (e) {
            withCredentials = (e as Error).name
          }
          return {
            ok: ok.status,
            requestId: ok.headers.get('x-request-id'),
            refused: refused.status,
            wwwAuthenticate: refused.headers.get('www-authenticate'),
            withCredentials,
          }
        },
        { api: server.url, key: KEYS.rerank }
      )
      expect(seen.ok).toBe(200)
      expect(seen.requestId).toMatch(/\S/u)
      expect(seen.refused).toBe(401)
      expect(seen.wwwAuthenticate).toMatch(/^Bearer realm=/u)
      expect(seen.withCredentials).toBe('TypeError')
    } finally {
      await tab.close()
      other.close()
    }
  })

  describe('API reference with API keys on', () => {
    it('names the scope each operation needs (from the access table) and has one key box for every "Try it" form', async () => {
      w = await openPage(browser, server.url)
      const { page } = w
      await page.goto(`${server.url}/docs`)
      await page.waitForSelector('body[data-ready]')
      const auth = (op: string) => page.locator(`#op-${op} [data-auth]`)
      expect(await auth('createFeedback').getAttribute('data-auth')).toBe('feedback')
      expect(await auth('createFeedback').textContent()).toBe(
        // This deployment has keys, so the document (built from auth/route-access.ts) makes the key required.
        'Auth: Authorization: Bearer <key> with the "feedback" scope.'
      )
      expect(await auth('createExperiment').textContent()).toBe('Auth: Authorization: Bearer <key> with the "experiments" scope.')
      expect(await auth('stats').getAttribute('data-auth')).toBe('stats')
      expect(await auth('listTemplates').getAttribute('data-auth')).toBe('rerank')
      expect(await page.textContent('#operations')).not.toContain('(admin)')

      // One key box on the page; each form sends what it holds.
      expect(await page.locator('input[type=password]').count()).toBe(1)
      const send = async (op: string) => {
        const section = page.locator(`#op-${op}`)
        if ((await section.locator('details.try').getAttribute('open')) === null) await section.locator('details.try > summary').click()
        await section.locator('.response').evaluate((el) => (el.textContent = ''))
        await section.locator('button[type=submit]').click()
        const status = section.locator('[data-status]')
        await status.waitFor()
        return status.getAttribute('data-status')
      }
      expect(await send('listTemplates')).toBe('401')
      await page.fill('#docs-api-key', KEYS.rerank)
      expect(await send('listTemplates')).toBe('200')
      expect(await send('listExperiments')).toBe('403')
      await page.fill('#docs-api-key', KEYS.all)
      expect(await send('listExperiments')).toBe('200')
    })
  })
})
