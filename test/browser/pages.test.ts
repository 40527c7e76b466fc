import { mkdirSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_ADMIN, type TestServer } from '../e2e/server'

const ARTIFACTS = 'test/.artifacts/pages'
// Without the background-networking flags Chromium keeps dialling Google on this closed network.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const LAPTOP = { width: 1366, height: 800 }
const PHONE = { width: 390, height: 844 }
const FIRST_LOAD_BUDGET = 300 * 1024

describe('dashboard pages on the demo dataset, in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const consoleErrors: string[] = []
  const firstLoad: Record<string, number> = {}

  /** GET on our API with the browser's session: what the page should show. */
  async function api<T = any>(path: string): Promise<T> {
    const res = await context.request.get(`${server.url}${path}`)
    expect(res.status(), `${path}: ${await res.text()}`).toBe(200)
    return await res.json() as T
  }

  async function open(path: string, ready: string) {
    await page.goto(`${server.url}${path}`)
    await page.getByTestId(ready).first().waitFor()
  }

  /**
   * Screenshots of the current page in light and dark, laptop and phone width. The dashboard panel scrolls inside a
   * full-height shell, so the viewport is stretched to the panel's content for a whole-page picture.
   */
  async function shoot(name: string) {
    for (const mode of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: mode })
      await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(mode === 'dark')
      for (const [size, vp] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
        await page.setViewportSize(vp)
        await page.waitForTimeout(150)
        const height = await page.evaluate(() => {
          const body = document.querySelector<HTMLElement>('[id^="dashboard-panel-"] > [data-slot="body"]')
          return body ? body.scrollHeight - body.clientHeight : 0
        })
        await page.setViewportSize({ width: vp.width, height: Math.min(vp.height + height, 6000) })
        await page.waitForTimeout(250)
        await page.screenshot({ path: `${ARTIFACTS}/${name}-${size}-${mode}.png` })
      }
    }
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize(LAPTOP)
  }

  /** Gzip bytes of every script a fresh tab fetches for this URL until the network is idle. */
  async function measureFirstLoad(name: string, path: string) {
    const tab = await context.newPage()
    const sizes: Promise<number>[] = []
    tab.on('response', (res) => {
      if (res.request().resourceType() === 'script') sizes.push(res.body().then(b => gzipSync(b).length, () => 0))
    })
    await tab.goto(`${server.url}${path}`, { waitUntil: 'networkidle' })
    const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0)
    await tab.close()
    firstLoad[name] = total
    expect(total, `${name}: ${(total / 1024).toFixed(1)} KB gzip of JS`).toBeLessThanOrEqual(FIRST_LOAD_BUDGET)
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    server = await startServer({ PROOFDECK_DEMO: '1' })
    for (const deadline = Date.now() + 120_000; !/demo data loaded/.test(server.logs());) {
      if (Date.now() > deadline) throw new Error(`the demo data did not load:\n${server.logs()}`)
      await new Promise(r => setTimeout(r, 250))
    }
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS })
    context = await browser.newContext({ viewport: LAPTOP })
    page = await context.newPage()
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`)
    })
    page.on('pageerror', e => consoleErrors.push(`${page.url()}: ${e.message}`))
  })
  afterAll(async () => {
    const kb = Object.fromEntries(Object.entries(firstLoad).map(([k, v]) => [k, +(v / 1024).toFixed(1)]))
    if (Object.keys(kb).length) writeFileSync(`${ARTIFACTS}/first-load-js.json`, `${JSON.stringify({ unit: 'KB gzip', budget: 300, pages: kb }, null, 2)}\n`)
    await browser?.close()
    await server?.stop()
  })

  it('signs in and shows every project with its latest run, and what needs attention', async () => {
    await page.goto(`${server.url}/`)
    await page.waitForURL(/\/login/)
    await page.getByLabel('Email').fill(TEST_ADMIN.email)
    await page.getByLabel('Password').fill(TEST_ADMIN.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${server.url}/`)
    const projects = await api<{ slug: string, name: string }[]>('/api/projects')
    const rows = page.getByTestId('projects-table').locator('tbody tr')
    await rows.first().waitFor()
    expect(await rows.count()).toBe(projects.length)
    expect(await rows.first().textContent()).toContain(projects[0]!.name)
    const attention = await api<{ newClusters: unknown[], regressedClusters: unknown[], newlyFlaky: unknown[] }>('/api/attention?days=7&limit=10')
    expect(await page.getByTestId('attention-new').count()).toBe(attention.newClusters.length)
    expect(await page.getByTestId('attention-flaky').count()).toBe(attention.newlyFlaky.length)
    await shoot('overview')
  })

  it('stays within the first-load JavaScript budget', async () => {
    await measureFirstLoad('overview', '/')
  })

  it('logged no console errors', () => {
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([])
  })
})
