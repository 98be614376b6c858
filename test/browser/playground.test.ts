/**
 * The playground and the API reference in a real browser: Debian's Chromium driven by
 * playwright-core against `npm start` (lexical backend). Every test also checks that the page
 * logged no error (a CSP violation is one) and requested nothing outside the server under test.
 * Screenshots go to test-artifacts/ (git-ignored).
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { formatRankChange, kendallTauB, spearmanRho } from '../../src/ui/rank-correlation'
import { artifact, launchChromium, openPage, type WatchedPage, closeWatched } from './browser'

const chromiumPath = inject('chromiumPath' as never) as string
const baseUrl = inject('baseUrl' as never) as string

interface ShownResult {
  index: number
  score: number
  shownScore: string
  text: string
  delta: string | null
  arrow: string | null
}

async function readRanking(page: Page, id: string): Promise<ShownResult[]> {
  return page.locator(`#${id} li.result`).evaluateAll((items) =>
    items.map((li) => ({
      index: Number(li.getAttribute('data-index')),
      score: Number(li.getAttribute('data-score')),
      shownScore: li.querySelector('.score')?.textContent ?? '',
      text: li.querySelector('.doc')?.textContent ?? '',
      delta: li.querySelector('.delta')?.getAttribute('data-delta') ?? null,
      arrow: li.querySelector('.delta [aria-hidden]')?.textContent ?? null,
    }))
  )
}

async function gotoPlayground(w: WatchedPage): Promise<void> {
  await w.page.goto(`${baseUrl}/`)
  await w.page.waitForSelector('body[data-ready][data-templates]')
}

const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '')

async function tabTo(page: Page, id: string, max = 60): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab')
    if ((await activeId(page)) === id) return i
  }
  throw new Error(`Tab never reached #${id}`)
}

let browser: Browser

// No skip: global-setup.ts fails the project when Chromium is missing.
describe('pages in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium(chromiumPath)
  })
  afterAll(async () => {
    await browser?.close()
  })

  describe('playground', () => {
    let w: WatchedPage | undefined

    afterEach(async () => {
      const watched = w
      w = undefined
      await closeWatched(watched)
    })

    it('reranks with a template that has a typed variable, and shows ranked results with scores', async () => {
      w = await openPage(browser, baseUrl)
      const { page } = w
      await gotoPlayground(w)
      expect(await page.getAttribute('body', 'data-templates')).toBe('ready')

      const query = 'electric car battery range in winter'
      const documents = [
        'Cold weather can reduce an electric car battery range by 20 to 30 percent.',
        'The history of the bicycle begins in the early 19th century.',
        'Preheating the cabin while plugged in preserves battery range in winter.',
        'Electric cars have fewer moving parts than petrol cars.',
      ]
      await page.fill('#query', query)
      await page.fill('#candidates', documents.join('\n'))
      await page.selectOption('#template-a', 'recency')
      // The variable is a typed control with the template's bounds and default.
      const year = page.locator('#var-a-year')
      expect(await year.getAttribute('type')).toBe('number')
      expect(await year.getAttribute('min')).toBe('1900')
      expect(await year.inputValue()).toBe('2024')
      expect(await page.isDisabled('#instruction-a')).toBe(true)
      await year.fill('2023')
      await page.check('#explain')
      await page.click('#submit')
      await page.waitForSelector('#ranking-a li.result')

      const ranking = await readRanking(page, 'ranking-a')
      expect(ranking).toHaveLength(documents.length)
      for (const r of ranking) {
        expect(r.score).toBeGreaterThanOrEqual(0)
        expect(r.score).toBeLessThanOrEqual(1)
        expect(r.shownScore).toBe(r.score.toFixed(4))
        expect(r.text).toBe(documents[r.index])
      }
      const scores = ranking.map((r) => r.score)
      expect([...scores].sort((a, b) => b - a)).toEqual(scores)
      expect(new Set(ranking.map((r) => r.index)).size).toBe(documents.length)

      // The page shows what the API answers for the same request.
      const api = (await (
        await fetch(`${baseUrl}/v1/rerank`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, documents, template: 'recency', template_vars: { year: 2023 }, explain: true }),
        })
      ).json()) as { results: Array<{ index: number; relevance_score: number }>; meta: { instruction: string } }
      expect(ranking.map((r) => r.index)).toEqual(api.results.map((r) => r.index))
      expect(scores).toEqual(api.results.map((r) => r.relevance_score))

      // The rendered template (with the variable in it), the backend flagged, the cache status.
      const used = await page.textContent('.instruction-used')
      expect(used).toContain('2023 or later')
      expect(used).toContain('recency')
      expect(api.meta.instruction).toContain('2023 or later')
      const backend = page.locator('[data-backend]')
      expect(await backend.getAttribute('data-backend')).toBe('lexical')
      expect(await backend.getAttribute('class')).toContain('warn')
      expect(await page.textContent('[data-cache-status]')).toMatch(/^Cache-Status: \S/u)
      expect(await page.getAttribute('[data-cache]', 'data-cache')).toMatch(/^\d+\/\d+$/u)

      // Explanation on demand.
      const why = page.locator('#ranking-a li.result').first().locator('button.why')
      expect(await why.getAttribute('aria-expanded')).toBe('false')
      expect(await page.isHidden('#exp-a-0')).toBe(true)
      await why.click()
      expect(await why.getAttribute('aria-expanded')).toBe('true')
      const explanation = await page.textContent('#exp-a-0')
      expect(explanation).toContain('semantic')
      expect(explanation).toContain('final')
      await page.screenshot({ path: artifact('playground-rerank.png'), fullPage: true })
    })

    it('compares two arms side by side with rank-change arrows and rank correlation', async () => {
      w = await openPage(browser, baseUrl)
      const { page } = w
      await gotoPlayground(w)
      // One click: the e-commerce example fills the form (arm A: the ecommerce-buyer template, whose
      // default boosts favour new and best-selling items; arm B: a free instruction) and runs it.
      await page.click('button[data-example="ecommerce"]')
      await page.waitForSelector('#ranking-a li.result')
      expect(await page.inputValue('#template-a')).toBe('ecommerce-buyer')
      await page.check('#compare')
      expect(await page.isVisible('#arm-b')).toBe(true)
      expect(await page.textContent('#submit')).toBe('Compare A and B')
      await page.click('#submit')
      await page.waitForSelector('#ranking-b li.result')

      const a = await readRanking(page, 'ranking-a')
      const b = await readRanking(page, 'ranking-b')
      expect(a).toHaveLength(5)
      expect(b).toHaveLength(5)
      // Arrows: B's position against A's, for every document.
      b.forEach((r, j) => {
        const rankA = a.findIndex((x) => x.index === r.index) + 1
        expect(rankA).toBeGreaterThan(0)
        expect(Number(r.delta)).toBe(rankA - (j + 1))
        expect(r.arrow).toBe(formatRankChange(rankA - (j + 1)))
      })
      expect(b.some((r) => r.delta !== '0')).toBe(true)

      // The correlations shown are the ones computed from the two score lists the page shows.
      const byIndex = (list: ShownResult[]) => [0, 1, 2, 3, 4].map((i) => list.find((r) => r.index === i)?.score as number)
      const tau = kendallTauB(byIndex(a), byIndex(b))
      const rho = spearmanRho(byIndex(a), byIndex(b))
      expect(Number(await page.getAttribute('#kendall-tau', 'data-value'))).toBeCloseTo(tau, 12)
      expect(Number(await page.getAttribute('#spearman-rho', 'data-value'))).toBeCloseTo(rho, 12)
      expect(await page.textContent('#kendall-tau')).toBe(tau.toFixed(3))
      expect(await page.textContent('#spearman-rho')).toBe(rho.toFixed(3))
      expect(tau).toBeLessThan(1)
      expect(await page.textContent('#correlation')).toMatch(/Kendall τ-b .* Spearman ρ /u)
      await page.screenshot({ path: artifact('playground-compare.png'), fullPage: true })
    })

    it('shows errors inline at the field the API names', async () => {
      w = await openPage(browser, baseUrl)
      const { page } = w
      await gotoPlayground(w)

      // Empty query: the server's 400 names `query`; the message sits under the query box.
      await page.fill('#candidates', 'first candidate\nsecond candidate')
      await page.click('#submit')
      await page.waitForSelector('#query-error')
      expect(await page.textContent('#query-error')).toMatch(/^query: /u)
      expect(await page.getAttribute('#query', 'aria-invalid')).toBe('true')
      expect(await page.getAttribute('#query', 'aria-describedby')).toContain('query-error')
      expect(await activeId(page)).toBe('query')
      expect(await page.textContent('#form-error')).toContain('field "query"')

      // A template variable out of range: named at that variable's control.
      await page.fill('#query', 'battery range')
      await page.selectOption('#template-a', 'recency')
      await page.fill('#var-a-year', '1800')
      await page.click('#submit')
      await page.waitForSelector('#var-a-year-error')
      expect(await page.textContent('#var-a-year-error')).toMatch(/^template_vars\.year: /u)
      expect(await page.$('#query-error')).toBeNull()
      expect(await activeId(page)).toBe('var-a-year')

      // Candidates that look like JSON but are not: caught before sending, named as `documents`.
      await page.fill('#var-a-year', '2024')
      await page.fill('#candidates', '[{"text": "unfinished"')
      await page.click('#submit')
      await page.waitForSelector('#candidates-error')
      expect(await page.textContent('#candidates-error')).toMatch(/^documents: not a valid JSON array/u)
      await page.screenshot({ path: artifact('playground-error.png'), fullPage: false })
    })

    it('words a server failure (5xx) as the service\'s, a 4xx as a rejected request', async () => {
      w = await openPage(browser, baseUrl)
      const { page } = w
      await gotoPlayground(w)
      // The lexical backend never fails: the 503 a GPU outage gives (src/errors.ts) is answered here.
      await page.route('**/v1/rerank', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          headers: { 'retry-after': '5' },
          body: JSON.stringify({ error: { code: 'backend_unavailable', message: 'no backend can be reached' }, request_id: 'req-503' }),
        })
      )
      await page.fill('#query', 'battery range')
      await page.fill('#candidates', 'first candidate\nsecond candidate')
      await page.click('#submit')
      await page.waitForSelector('#form-error:not([hidden])')
      expect(await page.textContent('#form-error')).toBe('The service could not answer (503 backend_unavailable): no backend can be reached (request req-503)')
      expect(await page.textContent('#form-error')).not.toContain('rejected')
      // The page's watcher counts every 5xx as an error: here the one answered above is the point.
      expect(w.errors.length).toBeGreaterThan(0)
      expect(w.errors.every((e) => /503/u.test(e))).toBe(true)
      w.errors.length = 0
      await page.unroute('**/v1/rerank')
      await page.fill('#query', '')
      await page.click('#submit')
      await page.waitForSelector('#query-error')
      expect(await page.textContent('#form-error')).toMatch(/^Request rejected \(400 /u)
    })

    it('works at 375 px and by keyboard alone', async () => {
      w = await openPage(browser, baseUrl, { viewport: { width: 375, height: 812 } })
      const { page } = w
      await gotoPlayground(w)
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth)
      expect(await overflow()).toBeLessThanOrEqual(375)

      await tabTo(page, 'query')
      await page.keyboard.type('read a file line by line in python')
      await page.keyboard.press('Tab')
      expect(await activeId(page)).toBe('candidates')
      await page.keyboard.type('for line in open(path): print(line)')
      await page.keyboard.press('Enter')
      await page.keyboard.type('Python was created by Guido van Rossum.')
      await tabTo(page, 'submit')
      // The focus ring is visible on the focused control.
      const ring = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement as Element)
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }
      })
      expect(ring.style).not.toBe('none')
      expect(ring.width).toBeGreaterThanOrEqual(2)
      await page.keyboard.press('Enter')
      await page.waitForSelector('#ranking-a li.result')
      const ranking = await readRanking(page, 'ranking-a')
      expect(ranking).toHaveLength(2)
      expect(ranking[0]?.text).toBe('for line in open(path): print(line)')
      expect(await overflow()).toBeLessThanOrEqual(375)
      await page.screenshot({ path: artifact('playground-375.png'), fullPage: true })
    })

    it('links to the reference and to experiment reports; an unknown id is explained in place', async () => {
      w = await openPage(browser, baseUrl)
      const { page } = w
      await gotoPlayground(w)
      expect(await page.getAttribute('a[href="/docs"]', 'href')).toBe('/docs')

      // An id the API does not know: its 404 message next to the box, and the playground stays.
      await page.fill('#report-id', 'no-such-experiment')
      await page.click('#report-open')
      await page.waitForSelector('#report-id-error:not([hidden])')
      expect(await page.textContent('#report-id-error')).toBe('No report: no experiment "no-such-experiment"')
      expect(await page.getAttribute('#report-id', 'aria-invalid')).toBe('true')
      expect(await activeId(page)).toBe('report-id')
      expect(new URL(page.url()).pathname).toBe('/')

      // An experiment that exists (created through the admin API; 409 when an earlier run made it).
      const created = await fetch(`${baseUrl}/v1/experiments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'playground-report-link',
          name: 'Playground report link',
          variants: [
            { key: 'control', weight: 0.5, instruction: 'Prefer official documentation' },
            { key: 'treatment', weight: 0.5, instruction: 'Prefer community answers' },
          ],
        }),
      })
      expect([201, 409]).toContain(created.status)
      await page.fill('#report-id', 'playground-report-link')
      await Promise.all([page.waitForURL(/\/v1\/experiments\/playground-report-link\/report\?format=html$/u), page.click('#report-open')])
    })
  })

  describe('API reference', () => {
    it('renders the document and its "try it" form sends a request', async () => {
      const w = await openPage(browser, baseUrl)
      try {
        const { page } = w
        await page.goto(`${baseUrl}/docs`)
        await page.waitForSelector('body[data-ready]')
        const section = page.locator('#op-rerankV1')
        expect(await section.locator('h3').textContent()).toContain('/v1/rerank')
        // Fields with their limits, from the schema.
        expect(await section.textContent()).toContain('max length 8000')
        // An open deployment (no API_KEYS): the document lists "no key" first, a key is still accepted.
        expect(await page.locator('#op-createFeedback [data-auth]').textContent()).toBe(
          'Auth: none on open deployments; Authorization: Bearer <key> with the "feedback" scope when API keys are configured.'
        )
        await section.locator('details.try > summary').click()
        await section.locator('button[type=submit]').click()
        const status = section.locator('[data-status]')
        await status.waitFor()
        expect(await status.getAttribute('data-status')).toBe('200')
        expect(await section.locator('.response pre.body').textContent()).toContain('"relevance_score"')
        await page.screenshot({ path: artifact('docs.png'), fullPage: false })
        expect(w.errors).toEqual([])
        expect(w.foreignRequests).toEqual([])
      } finally {
        await w.close()
      }
    })
  })
})
