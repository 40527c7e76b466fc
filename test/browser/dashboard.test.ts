import { mkdirSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_ADMIN, type TestServer } from '../e2e/server'
import { createKey, login, upload } from '../e2e/client'

const ARTIFACTS = 'test/.artifacts'
// Without the background-networking flags Chromium keeps dialling Google on this closed network.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

describe('dashboard in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  const consoleErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    server = await startServer()
    const key = (await createKey(server, await login(server), { scopes: ['ingest'] })).key
    const report = JSON.stringify({ format: 'proofdeck', version: 1, results: [
      { title: 'checkout works', status: 'passed' },
      { title: 'refund works', status: 'failed', errorMessage: 'expected 200, got 500' },
    ] })
    await upload(server, [{ name: 'r.json', content: report }], { key, query: { project: 'shop', branch: 'main' } })
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.on('console', (m) => {
      // the deliberate wrong-password attempt below is logged by Chromium as a failed resource load
      if (m.type() === 'error' && !m.text().includes('status of 401')) consoleErrors.push(m.text())
    })
    page.on('pageerror', e => consoleErrors.push(e.message))
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('sends a visitor to sign in, then shows the projects with their latest run', async () => {
    await page.goto(`${server.url}/`)
    await page.waitForURL(/\/login/)
    await page.getByLabel('Email').fill(TEST_ADMIN.email)
    await page.getByLabel('Password').fill('wrong password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('Wrong email or password')
    await page.screenshot({ path: `${ARTIFACTS}/login.png` })
    await page.getByLabel('Password').fill(TEST_ADMIN.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${server.url}/`)
    const row = page.getByTestId('projects-table').locator('tbody tr').first()
    await row.waitFor()
    expect(await row.textContent()).toMatch(/shop.*failed.*1 passed · 1 failed/)
    await page.screenshot({ path: `${ARTIFACTS}/projects.png` })
  })

  it('creates a key, shows it once, and revokes it', async () => {
    await page.goto(`${server.url}/settings/keys`)
    await page.getByPlaceholder('GitHub Actions').fill('browser-ci')
    await page.getByRole('button', { name: 'Create key' }).click()
    const value = page.getByTestId('created-key-value')
    await value.waitFor()
    expect(await value.textContent()).toMatch(/^pd_[0-9a-f]{64}$/)
    await page.getByTestId('keys-table').getByText('browser-ci').waitFor()
    await page.screenshot({ path: `${ARTIFACTS}/api-keys.png` })
    await page.getByTestId('revoke-browser-ci').click()
    await page.getByTestId('keys-table').getByText('revoked').waitFor()
  })

  it('logged no console errors', () => {
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([])
  })
})
