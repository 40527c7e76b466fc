import { mkdirSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_ADMIN, type TestServer } from '../e2e/server'
import { createKey, login, upload } from '../e2e/client'

const ARTIFACTS = 'test/.artifacts'
// Without the background-networking flags Chromium keeps dialling Google on this closed network.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const report = (status: string) => JSON.stringify({ format: 'proofdeck', version: 1, results: [
  { title: 'search is fast', status, errorMessage: status === 'failed' ? 'Timeout 5000ms exceeded' : undefined },
  { title: 'checkout pays', status: 'failed', errorMessage: 'expected 200, got 502' },
] })

describe('quarantine in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  let testCaseId = ''
  let checkoutId = ''
  let key = ''
  const consoleErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    server = await startServer()
    key = (await createKey(server, await login(server), { scopes: ['ingest'] })).key
    const first = await upload(server, [{ name: 'r.json', content: report('failed') }], { key, query: { project: 'shop', branch: 'main' } })
    const idOf = (title: string) => first.body.failures.blocking.find((t: { title: string }) => t.title === title).testCaseId
    testCaseId = idOf('search is fast')
    checkoutId = idOf('checkout pays')
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS })
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    page.on('pageerror', e => consoleErrors.push(e.message))
    await page.goto(`${server.url}/login`, { waitUntil: 'networkidle' })
    await page.getByLabel('Email').fill(TEST_ADMIN.email)
    await page.getByLabel('Password').fill(TEST_ADMIN.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${server.url}/`)
  })
  afterEach(() => {
    const errors = consoleErrors.splice(0)
    expect(errors, errors.join('\n')).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('quarantines a test from its page with a reason, shows who and why, and releases it', async () => {
    await page.goto(`${server.url}/tests/${testCaseId}`, { waitUntil: 'networkidle' })
    await page.getByTestId('quarantine-reason-input').fill('Vendor sandbox times out; tracked in #412')
    await page.getByTestId('quarantine-save').click()
    await page.getByTestId('quarantine-badge').waitFor()
    expect(await page.getByTestId('quarantine-reason').textContent()).toBe('Vendor sandbox times out; tracked in #412')
    expect(await page.getByTestId('quarantine').textContent()).toContain('by admin')
    await page.screenshot({ path: `${ARTIFACTS}/quarantine-test-page.png`, fullPage: true })
    await page.getByTestId('quarantine-release').click()
    await page.getByTestId('quarantine-reason-input').waitFor()
  })

  it('shows the badge on the flaky list and proposes release on the flaky page after 10 passes in a row', async () => {
    await page.goto(`${server.url}/tests/${testCaseId}`, { waitUntil: 'networkidle' })
    await page.getByTestId('quarantine-reason-input').fill('Vendor sandbox times out')
    await page.getByTestId('quarantine-save').click()
    await page.getByTestId('quarantine-badge').waitFor()
    const checkout = await page.request.put(`${server.url}/api/test-cases/${checkoutId}/quarantine`, { data: { reason: 'Payment provider outage' } })
    expect(checkout.status(), await checkout.text()).toBe(200)
    // ten passes of the quarantined search test; checkout keeps failing, so it is broken (and stays on the list)
    for (let i = 0; i < 10; i++) {
      await upload(server, [{ name: 'r.json', content: report('passed') }], { key, query: { project: 'shop', branch: 'main', runKey: `pass-${i}` } })
    }
    await page.goto(`${server.url}/projects/shop/flaky?label=any`, { waitUntil: 'networkidle' })
    await page.getByTestId('release-proposed').waitFor()
    expect(await page.getByTestId('quarantined-tests').textContent()).toContain('Passed 10 runs in a row: release')
    expect(await page.getByTestId('flaky-table').textContent()).toContain('checkout pays')
    await page.getByTestId('flaky-quarantine').first().waitFor()
    await page.screenshot({ path: `${ARTIFACTS}/quarantine-flaky-page.png`, fullPage: true })
  })
})
