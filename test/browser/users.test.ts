import { mkdirSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_ADMIN, type TestServer } from '../e2e/server'
import { createKey, login, upload } from '../e2e/client'

const ARTIFACTS = 'test/.artifacts'
// Without the background-networking flags Chromium keeps dialling Google on this closed network. proofdeck.test is
// this machine under a name that is not localhost: a plain-HTTP origin that is not a secure context, all on loopback.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP proofdeck.test 127.0.0.1',
]

/** Signs in from a signed-out state, whoever the page was signed in as before. */
async function signIn(page: Page, url: string, email: string, password: string) {
  await page.context().clearCookies()
  // until the form is hydrated a click on Sign in is a plain HTML form post; under load that race was lost now and then
  await page.goto(`${url}/login`, { waitUntil: 'networkidle' })
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${url}/`)
}

/** Resolves after the page has painted two more frames: long enough for a re-mounted form to show any error. */
const nextFrames = (page: Page) => page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))

describe('user management in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let admin: Page
  let member: Page
  const consoleErrors: string[] = []
  // Mia, the member the tests after the first work with (the first creates a user of its own through the form)
  let memberPassword = 'mia initial password'

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    server = await startServer()
    const cookie = await login(server)
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    for (const project of ['shop', 'internal-tools']) {
      const report = JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: `${project} works`, status: 'passed' }] })
      await upload(server, [{ name: 'r.json', content: report }], { key, query: { project, branch: 'main' } })
    }
    const mia = await fetch(`${server.url}/api/users`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ email: 'mia@example.test', name: 'Mia Member', password: memberPassword, projectSlugs: ['shop'] }),
    })
    expect(mia.status, await mia.text()).toBe(201)
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS })
    const watch = (page: Page, who: string) => {
      page.on('console', (m) => {
        // a deliberate wrong-password attempt is logged by Chromium as a failed resource load
        if (m.type() === 'error' && !m.text().includes('status of 400')) consoleErrors.push(`${who}: ${m.text()}`)
      })
      page.on('pageerror', e => consoleErrors.push(`${who}: ${e.message}`))
      return page
    }
    // two contexts: two people with their own cookies
    admin = watch(await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage(), 'admin')
    member = watch(await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage(), 'member')
  })
  // each test answers for the console errors logged while it ran
  afterEach(() => {
    const errors = consoleErrors.splice(0)
    expect(errors, errors.join('\n')).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('an admin creates a member of one project and sees the generated password once', async () => {
    await signIn(admin, server.url, TEST_ADMIN.email, TEST_ADMIN.password)
    await admin.locator('[id^=dashboard-sidebar]').getByRole('link', { name: 'Users' }).click()
    await admin.waitForURL(/\/settings\/users/)
    await admin.getByTestId('users-table').getByText(TEST_ADMIN.email).waitFor()

    const form = admin.getByTestId('user-form')
    await form.getByLabel('Name').fill('Noa Newcomer')
    await form.getByLabel('Email').fill('noa@example.test')
    await form.getByTestId('user-form-projects').click()
    await admin.getByRole('option', { name: 'shop' }).click()
    await admin.keyboard.press('Escape')
    await form.getByRole('button', { name: 'Create user' }).click()

    const value = admin.getByTestId('revealed-password-value')
    await value.waitFor()
    expect((await value.textContent())!.trim()).toMatch(/^[\w-]{22}$/)
    const row = admin.getByTestId('users-table').locator('tbody tr', { hasText: 'noa@example.test' })
    await row.waitFor()
    expect(await row.textContent()).toMatch(/Noa Newcomer.*noa@example\.test.*shop.*active/)
    expect(await row.textContent()).not.toContain('internal-tools')
    // the form is re-mounted empty for the next user, and not flagged as invalid
    await expect.poll(() => form.getByLabel('Name').inputValue()).toBe('')
    await nextFrames(admin)
    expect(await form.getByText(/Enter a/).count()).toBe(0)
    await admin.screenshot({ path: `${ARTIFACTS}/users.png`, fullPage: true })
  })

  it('the member signs in, sees only their project and no user management', async () => {
    await signIn(member, server.url, 'mia@example.test', memberPassword)
    const rows = member.getByTestId('projects-table').locator('tbody tr')
    await rows.first().waitFor()
    expect(await rows.count()).toBe(1)
    expect(await rows.first().textContent()).toContain('shop')
    expect(await member.getByRole('link', { name: 'Users' }).count()).toBe(0)
    await member.screenshot({ path: `${ARTIFACTS}/member-projects.png` })
    await member.goto(`${server.url}/settings/users`)
    await member.getByTestId('users-error').waitFor()
    expect(await member.getByTestId('users-error').textContent()).toContain('Only an admin can manage users.')
  })

  it('the member changes their own password, and only the new one works', async () => {
    await signIn(member, server.url, 'mia@example.test', memberPassword)
    await member.locator('[id^=dashboard-sidebar]').getByRole('link', { name: 'Account' }).click()
    await member.waitForURL(/\/settings\/account/)
    expect(await member.getByTestId('account').textContent()).toMatch(/Mia Member.*mia@example\.test.*member.*shop/)
    const form = member.getByTestId('password-form')
    await form.getByLabel('Current password').fill('not my password')
    await form.getByLabel('New password').fill('mia chose this one')
    await form.getByRole('button', { name: 'Change password' }).click()
    await expect.poll(() => member.getByTestId('password-error').textContent()).toContain('Your current password is not right.')
    await form.getByLabel('Current password').fill(memberPassword)
    await form.getByRole('button', { name: 'Change password' }).click()
    await member.getByText('Password changed').first().waitFor()
    // the form is fresh again, not flagged as invalid
    await expect.poll(() => member.getByTestId('password-form').getByLabel('Current password').inputValue()).toBe('')
    await nextFrames(member)
    expect(await member.getByTestId('password-form').getByText(/needs at least|Enter your/).count()).toBe(0)
    await member.screenshot({ path: `${ARTIFACTS}/account.png` })
    // still signed in here
    await member.goto(`${server.url}/`)
    await member.getByTestId('projects-table').locator('tbody tr').first().waitFor()
    await expect(login(server, { email: 'mia@example.test', password: memberPassword })).rejects.toThrow(/401/)
    await login(server, { email: 'mia@example.test', password: 'mia chose this one' })
    memberPassword = 'mia chose this one'
  })

  it('the admin changes the member\'s projects and role, and resets their password; the member is signed out', async () => {
    await signIn(admin, server.url, TEST_ADMIN.email, TEST_ADMIN.password)
    await signIn(member, server.url, 'mia@example.test', memberPassword)
    await admin.goto(`${server.url}/settings/users`)
    const row = admin.getByTestId('users-table').locator('tbody tr', { hasText: 'mia@example.test' })
    await row.waitFor()
    await admin.getByTestId('actions-mia@example.test').click()
    await admin.getByRole('menuitem', { name: 'Projects…' }).click()
    await admin.getByTestId('memberships-select').click()
    await admin.getByRole('option', { name: 'internal-tools' }).click()
    await admin.keyboard.press('Escape')
    await admin.getByRole('listbox').waitFor({ state: 'hidden' })
    await admin.screenshot({ path: `${ARTIFACTS}/users-projects.png` })
    await admin.getByTestId('memberships-save').click()
    await expect.poll(() => row.textContent()).toMatch(/internal-tools.*shop/)
    await admin.getByTestId('role-mia@example.test').click()
    await admin.getByRole('option', { name: 'Viewer' }).click()
    await admin.getByText('Mia Member is now a viewer').first().waitFor()
    await expect.poll(() => row.textContent()).toContain('Viewer')
    await admin.getByTestId('actions-mia@example.test').click()
    await admin.getByRole('menuitem', { name: 'Reset password…' }).click()
    await admin.getByTestId('confirm').click()
    await admin.getByTestId('revealed-password-value').waitFor()
    await admin.screenshot({ path: `${ARTIFACTS}/users-reset.png`, fullPage: true })
    await member.goto(`${server.url}/`)
    await member.waitForURL(/\/login/)
  })

  it('signs in over plain HTTP at an address that is not this machine\'s, with a calm note on the login page', async () => {
    await admin.goto(`${server.url}/login`, { waitUntil: 'networkidle' })
    expect(await admin.getByTestId('login-plain-http').count()).toBe(0)
    const lan = server.url.replace('127.0.0.1', 'proofdeck.test')
    await admin.context().clearCookies()
    await admin.goto(`${lan}/login`, { waitUntil: 'networkidle' })
    expect(await admin.getByTestId('login-plain-http').textContent()).toContain('This address is plain HTTP')
    await admin.screenshot({ path: `${ARTIFACTS}/login-plain-http.png` })
    await admin.getByLabel('Email').fill(TEST_ADMIN.email)
    await admin.getByLabel('Password').fill(TEST_ADMIN.password)
    await admin.getByRole('button', { name: 'Sign in' }).click()
    await admin.waitForURL(`${lan}/`)
    expect(await admin.evaluate(() => fetch('/api/me').then(r => r.status))).toBe(200)
    const session = (await admin.context().cookies(lan)).find(c => c.name === 'nuxt-session')
    expect(session?.secure).toBe(false)
  })
})
