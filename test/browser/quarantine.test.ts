import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
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

/** A Playwright JSON report of one failed test with a screenshot, a trace and a video that was never written. */
const playwrightReport = (dir: string) => JSON.stringify({
  config: { version: '1.65.1' }, errors: [], stats: { startTime: new Date().toISOString(), duration: 1500, expected: 0, unexpected: 1, flaky: 0, skipped: 0 },
  suites: [{ title: 'checkout.spec.ts', file: 'checkout.spec.ts', specs: [{ title: 'pays with a card', file: 'checkout.spec.ts', line: 3, tests: [{
    projectName: 'chromium', expectedStatus: 'passed', status: 'unexpected', annotations: [],
    results: [{
      status: 'failed', duration: 1200, startTime: new Date().toISOString(),
      error: { message: 'expect(locator).toHaveText(expected) failed', stack: 'Error: expect(locator).toHaveText(expected) failed\n    at checkout.spec.ts:7:31' },
      stdout: [{ text: 'paying 42 EUR\n' }], stderr: [{ text: 'warn: the card form was slow\n' }],
      attachments: [
        { name: 'screenshot', contentType: 'image/png', path: `${dir}/test-failed-1.png` },
        { name: 'trace', contentType: 'application/zip', path: `${dir}/trace.zip` },
        { name: 'video', contentType: 'video/webm', path: `${dir}/video.webm` },
      ],
    }],
  }] }] }],
})

describe('quarantine and artifacts in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  let testCaseId = ''
  let checkoutId = ''
  let key = ''
  const consoleErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    // sweeps every 4 s of blobs older than 10 s: an upload in flight keeps its files, a deleted project's go soon
    server = await startServer({ PROOFDECK_BLOB_SWEEP_HOURS: '0.001', PROOFDECK_BLOB_SWEEP_GRACE_SECONDS: '10', PROOFDECK_JOBS_POLL_SECONDS: '1' })
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
    // a past date is refused with the sentence alone, not the API's field name before it
    const until = page.locator('[data-testid="quarantine-until"] input, input[data-testid="quarantine-until"]')
    await until.fill('2020-01-01')
    await page.getByTestId('quarantine-save').click()
    await expect.poll(() => page.getByTestId('quarantine').getByRole('alert').textContent())
      .toBe('An expiry is in the future; release the test instead of quarantining it until a past date.')
    // the refusal's 400 is the one console error this step expects
    expect(consoleErrors.splice(0)).toEqual([expect.stringMatching(/status of 400/)])
    await until.fill('')
    await page.getByTestId('quarantine-save').click()
    await page.getByTestId('quarantine-badge').waitFor()
    expect(await page.getByTestId('quarantine-reason').textContent()).toBe('Vendor sandbox times out; tracked in #412')
    expect(await page.getByTestId('quarantine').textContent()).toContain('by admin')
    await page.screenshot({ path: `${ARTIFACTS}/quarantine-test-page.png`, fullPage: true })
    await page.getByTestId('quarantine-release').click()
    await page.getByTestId('quarantine-reason-input').waitFor()
  })

  it('a keyboard quarantines and releases a test: focus goes to Release, then to the status, never back to the page\'s start', async () => {
    const active = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName)
    await page.goto(`${server.url}/tests/${testCaseId}`, { waitUntil: 'networkidle' })
    await page.getByTestId('quarantine-reason-input').focus()
    await page.keyboard.type('Flaky on the shared runner')
    await page.keyboard.press('Enter')
    await page.getByTestId('quarantine-badge').waitFor()
    // the form that had the focus is gone: the Release button that replaced it has it
    await expect.poll(active).toBe('quarantine-release')
    await page.keyboard.press('Enter')
    await page.getByTestId('quarantine-reason-input').waitFor()
    await expect.poll(active).toBe('quarantine-none')
    expect(await page.getByTestId('quarantine-none').textContent()).toContain('Not quarantined.')
    // and the next Tab is the form's first field, not the sidebar
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="quarantine-reason-input"]'))).toBe(true)
  })

  it('one upload of several files: its counts on its own line, each file with its own results', async () => {
    const xml = (cls: string, tests: number, failing: number) => `<testsuite name="${cls}">${Array.from({ length: tests }, (_, i) =>
      `<testcase classname="${cls}" name="case ${i}" time="0.1">${i < failing ? `<failure message="${cls} broke">at ${cls}</failure>` : ''}</testcase>`).join('')}</testsuite>`
    const sent = await upload(server, [
      { name: 'TEST-Pay.xml', content: xml('com.acme.Pay', 3, 1) },
      { name: 'TEST-Cart.xml', content: xml('com.acme.Cart', 5, 0) },
    ], { key, query: { project: 'files', branch: 'main' } })
    expect(sent.status, JSON.stringify(sent.body)).toBe(201)
    await page.goto(`${server.url}/runs/${sent.body.runId}`, { waitUntil: 'networkidle' })
    expect(await page.getByTestId('run-upload').count()).toBe(1)
    const counts = await page.getByTestId('run-upload-counts').textContent()
    expect(counts).toContain('2 files, 8 results')
    expect(counts).toContain('brought 1 new cluster, 0 newly flaky')
    // the files list only what is theirs: the upload's new cluster is not put against the first of them
    const files = await page.getByTestId('run-upload-file').allTextContents()
    expect(files.map(f => f.replace(/\s+/g, ' ').trim()).sort()).toEqual([
      expect.stringMatching(/^TEST-Cart\.xml · junit · 5 results · \d+ B$/),
      expect.stringMatching(/^TEST-Pay\.xml · junit · 3 results · \d+ B$/),
    ])
    await page.getByTestId('run-summary').screenshot({ path: `${ARTIFACTS}/run-uploads.png` })
  })

  it('a run two sharded jobs share: the badge names each job\'s missing shards until all six are in, each upload line its job', async () => {
    const send = async (job: string, shard: string) => {
      const xml = `<testsuite name="${job}"><testcase classname="${job}" name="part ${shard[0]}" time="0.1"/></testsuite>`
      const sent = await upload(server, [{ name: `${job}-${shard[0]}.xml`, content: xml }], { key, query: { project: 'jobs', branch: 'main', runKey: 'workflow-1', job, shard } })
      expect(sent.status, JSON.stringify(sent.body)).toBe(201)
      return sent.body.runId as string
    }
    const badge = async () => (await page.getByTestId('run-shards').textContent())!.replace(/\s+/g, ' ').trim()
    const runId = await send('e2e', '1/3')
    await send('api', '2/3')
    await send('e2e', '3/3')
    await page.goto(`${server.url}/runs/${runId}`, { waitUntil: 'networkidle' })
    expect(await badge()).toBe('3 of 6 shards uploaded; missing shards 1 and 3 of api and shard 2 of e2e: the counts are partial')
    // the status says so too: a green "passed" beside "3 of 6" read as the run's verdict
    expect((await page.getByTestId('run-status').textContent())!.trim()).toBe('passing so far')
    const lines = await page.getByTestId('run-upload').allTextContents()
    expect(lines.map(l => /Upload of [^·]+/.exec(l)?.[0].trim())).toEqual(['Upload of shard 1/3 of e2e', 'Upload of shard 2/3 of api', 'Upload of shard 3/3 of e2e'])
    await page.getByTestId('run-summary').screenshot({ path: `${ARTIFACTS}/run-shards-partial.png` })
    for (const [job, shard] of [['api', '1/3'], ['e2e', '2/3'], ['api', '3/3']] as const) await send(job, shard)
    await page.reload({ waitUntil: 'networkidle' })
    expect(await badge()).toBe('6 of 6 shards uploaded')
    expect((await page.getByTestId('run-status').textContent())!.trim()).toBe('passed')
  })

  it('a note saved alone on a regressed cluster keeps it regressed, and the keyboard\'s focus moves to its status', async () => {
    const cookie = await login(server)
    const red = (runKey: string) => upload(server, [{ name: 'r.json', content: report('failed') }], { key, query: { project: 'regress', branch: 'main', runKey } })
    const cluster = (await red('r1')).body.newClusters.find((c: { title: string }) => c.title.includes('got'))
    const patch = await fetch(`${server.url}/api/clusters/${cluster.id}`, {
      method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'resolved' }),
    })
    expect(patch.status).toBe(200)
    const again = (await red('r2')).body
    const read = async () => (await (await fetch(`${server.url}/api/clusters/${cluster.id}`, { headers: { cookie } })).json()) as { status: string, statusNote: string }
    expect((await read()).status).toBe('regressed')
    await page.goto(`${server.url}/clusters/${cluster.id}`, { waitUntil: 'networkidle' })
    expect(await page.getByTestId('triage-save').isDisabled()).toBe(true)
    expect(await page.getByTestId('triage-select').getByRole('radio', { checked: true }).count()).toBe(0)
    await page.getByTestId('triage-note').fill('Dana is on it')
    await page.getByTestId('triage-save').click()
    await expect.poll(read).toMatchObject({ status: 'regressed', statusNote: 'Dana is on it' })
    await expect.poll(() => page.evaluate(() => !!document.activeElement?.closest('[data-testid="triage"]'))).toBe(true)
    // "Diagnose again" is disabled while it runs: the keyboard's focus then goes to the new diagnosis's status line
    await page.getByTestId('diagnosis-recompute').waitFor({ timeout: 30_000 })
    await page.getByTestId('diagnosis-recompute').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('diagnosis-status')
    expect(await page.getByTestId('diagnosis-recompute').isEnabled()).toBe(true)
    // the run that failed again shows its cause's triage: the next reader sees someone is on it
    const run = await (await fetch(`${server.url}/api/runs/${again.runId}`, { headers: { cookie } })).json() as { failureGroups: { clusterId: string, status: string, statusNote: string }[] }
    expect(run.failureGroups.find(g => g.clusterId === cluster.id)).toMatchObject({ status: 'regressed', statusNote: 'Dana is on it' })
    await page.goto(`${server.url}/runs/${again.runId}`, { waitUntil: 'networkidle' })
    expect(await page.getByTestId('failure-group-note').allTextContents()).toContain('Dana is on it')
    expect(await page.getByTestId('failure-group-status').allTextContents()).toContain('regressed')

    // when the server refuses (a database going down, made here by answering the browser's request for it), the
    // sentence is an alert and the keyboard's focus is on it, not on <body>: Diagnose again, then Save
    await page.goto(`${server.url}/clusters/${cluster.id}`, { waitUntil: 'networkidle' })
    const refuse = (method: string) => (route: import('playwright-core').Route) => route.request().method() === method
      ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ message: 'The database is not answering: try again in a minute.' }) })
      : route.continue()
    await page.route(`**/api/clusters/${cluster.id}/diagnosis`, refuse('POST'))
    await page.getByTestId('diagnosis-recompute').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('diagnose-error')
    expect(await page.getByTestId('diagnose-error').getAttribute('role')).toBe('alert')
    expect(await page.getByTestId('diagnose-error').textContent()).toContain('The database is not answering')
    await page.route(`**/api/clusters/${cluster.id}`, refuse('PATCH'))
    await page.getByTestId('triage-note').fill('Dana and Sam are on it')
    await page.getByTestId('triage-save').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('triage-error')
    expect(await page.getByTestId('triage-error').getAttribute('role')).toBe('alert')
    await page.unrouteAll()
    // the refused requests are logged by the browser; an uncaught error (the diagnosis's, before) would still fail the test
    consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter(e => !e.includes('status of 503')))
  })

  it('shows the badge on the flaky list and proposes release on the flaky page after 10 passes in a row', async () => {
    await page.goto(`${server.url}/tests/${testCaseId}`, { waitUntil: 'networkidle' })
    await page.getByTestId('quarantine-reason-input').fill('Vendor sandbox times out')
    await page.getByTestId('quarantine-save').click()
    await page.getByTestId('quarantine-badge').waitFor()
    const checkout = await page.request.put(`${server.url}/api/test-cases/${checkoutId}/quarantine`, { data: { reason: 'Payment provider outage' } })
    expect(checkout.status(), await checkout.text()).toBe(200)
    // ten passes of the quarantined search test; checkout keeps failing, so it is broken (and stays on the list)
    let last: { runId: string } | undefined
    for (let i = 0; i < 10; i++) {
      last = (await upload(server, [{ name: 'r.json', content: report('passed') }], { key, query: { project: 'shop', branch: 'main', runKey: `pass-${i}` } })).body
    }
    // the run page says which failure a quarantine forgives: checkout failed in it, quarantined
    await page.goto(`${server.url}/runs/${last!.runId}`, { waitUntil: 'networkidle' })
    const row = page.getByTestId('failure-row').filter({ hasText: 'checkout pays' })
    expect(await row.getByTestId('quarantined-badge').textContent()).toContain('quarantined')
    expect(await page.getByTestId('results-table').getByTestId('quarantined-badge').count()).toBe(1)
    await page.goto(`${server.url}/projects/shop/flaky?label=any`, { waitUntil: 'networkidle' })
    await page.getByTestId('release-proposed').waitFor()
    expect(await page.getByTestId('quarantined-tests').textContent()).toContain('Passed 10 runs in a row: release')
    expect(await page.getByTestId('flaky-table').textContent()).toContain('checkout pays')
    await page.getByTestId('flaky-quarantine').first().waitFor()
    await page.screenshot({ path: `${ARTIFACTS}/quarantine-flaky-page.png`, fullPage: true })
  })

  it('the CLI uploads a Playwright report with its screenshot and trace; the run page shows them, the trace opens in the app', async () => {
    // a real trace and screenshot, written by playwright-core as a test run would
    const work = mkdtempSync(join(tmpdir(), 'pd-artifacts-'))
    const results = 'test-results/checkout-pays-with-a-card-chromium'
    mkdirSync(join(work, results), { recursive: true })
    const recorded = await browser.newContext({ viewport: { width: 640, height: 360 } })
    await recorded.tracing.start({ screenshots: true, snapshots: true })
    const shop = await recorded.newPage()
    await shop.setContent('<main style="font:24px sans-serif;padding:24px"><h1>Checkout</h1><p id="total">Total: 42 EUR</p><button>Pay</button></main>')
    await shop.getByRole('button', { name: 'Pay' }).click()
    await shop.screenshot({ path: join(work, results, 'test-failed-1.png') })
    await recorded.tracing.stop({ path: join(work, results, 'trace.zip') })
    await recorded.close()
    await writeFile(join(work, 'report.json'), playwrightReport(results))

    const ingestKey = (await createKey(server, await login(server), { scopes: ['ingest', 'read'] })).key
    const cli = (runKey: string) => promisify(execFile)(process.execPath, [
      'cli/proofdeck.mjs', 'upload', join(work, 'report.json'), '--project', 'web', '--branch', 'main', '--run-key', runKey, '--json', '--no-comment',
    ], { env: { ...process.env, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: ingestKey } })
    const first = await cli('artifacts-1')
    // the video the report names was never written: said, and the upload goes on
    expect(first.stderr).toContain(`1 attachment file named in the reports not found, sent without: ${results}/video.webm`)
    const receipt = JSON.parse(first.stdout)
    expect(receipt.counts.failed).toBe(1)
    // a retry of the same upload: the same run, no second row or blob
    const again = JSON.parse((await cli('artifacts-1')).stdout)
    expect(again.runId).toBe(receipt.runId)
    const listed = await page.request.get(`${server.url}/api/runs/${receipt.runId}/attachments`)
    const files = await listed.json() as { id: string, name: string, kind: string, url: string }[]
    expect(files.map(f => [f.name, f.kind]).sort()).toEqual([['screenshot', 'image'], ['trace', 'trace']])
    const blobs = () => readdirSync(server.env.PROOFDECK_BLOB_DIR!, { recursive: true, withFileTypes: true }).filter(d => d.isFile()).length
    expect(blobs()).toBe(2)
    // an upload whose report cannot be read stores nothing, not even its files
    const broken = await upload(server, [{ name: 'r.json', content: '{"suites": [' }, { name: 'x.png', content: 'new bytes', field: 'attachment' }], { key, query: { project: 'web' } })
    expect(broken.status).toBe(422)
    expect(blobs()).toBe(2)

    // the run page: the screenshot inline on the failure row, the full stack and the output when opened
    await page.goto(`${server.url}/runs/${receipt.runId}`, { waitUntil: 'networkidle' })
    const shot = page.getByTestId('attachment-image').locator('img')
    await shot.waitFor()
    await expect.poll(() => shot.evaluate((img: HTMLImageElement) => img.complete ? img.naturalWidth : 0)).toBe(640)
    await page.getByText('Stack and output').click()
    await page.getByTestId('evidence-stack').waitFor()
    expect(await page.getByTestId('evidence-stack').textContent()).toContain('at checkout.spec.ts:7:31')
    expect(await page.getByTestId('evidence-stdout').textContent()).toContain('paying 42 EUR')
    await page.screenshot({ path: `${ARTIFACTS}/artifacts-run.png`, fullPage: true })
    // the test page shows the same evidence for the result it was opened from
    await page.locator('[data-testid="failure-row"] a').first().click()
    await page.getByTestId('test-evidence').getByTestId('attachment-image').waitFor()
    expect(await page.getByTestId('test-evidence').getByTestId('evidence-stderr').textContent()).toContain('the card form was slow')

    // the trace opens in the trace viewer the app serves, from the same-origin (session-checked) blob URL
    const viewer = await page.getByTestId('attachment-trace').getAttribute('href')
    expect(viewer).toMatch(/^\/trace-viewer\/index\.html\?trace=/)
    await page.goto(`${server.url}${viewer}`)
    await page.getByText(/Click.*Pay/i).first().waitFor({ timeout: 30_000 })
    await page.screenshot({ path: `${ARTIFACTS}/artifacts-trace.png` })

    // outside the project, the blob does not exist: a member of another project, by session and by key
    const shotUrl = `${server.url}${files.find(f => f.kind === 'image')!.url}`
    const served = await page.request.get(shotUrl)
    expect(served.headers()).toMatchObject({ 'content-type': 'image/png', 'x-content-type-options': 'nosniff' })
    expect(served.headers()['content-security-policy']).toContain('sandbox')
    await upload(server, [{ name: 'r.json', content: report('passed') }], { key, query: { project: 'other' } })
    const stranger = { email: 'stranger@example.test', password: 'stranger password' }
    const made = await page.request.post(`${server.url}/api/users`, { data: { ...stranger, name: 'stranger', role: 'member', projectSlugs: ['other'] } })
    expect(made.status(), await made.text()).toBe(201)
    const cookie = await login(server, stranger)
    const strangerKey = (await createKey(server, cookie, { scopes: ['read'], projectSlug: 'other' })).key
    for (const headers of [{ cookie }, { authorization: `Bearer ${strangerKey}` }] as Record<string, string>[]) {
      const res = await fetch(shotUrl, { headers })
      expect(res.status).toBe(404)
      expect((await res.json()).message).toBe('No attachment with this id visible to you.')
    }

    // a run with no tests is neither green nor red: no mark in the tab's title, and its page says it has none
    const empty = await upload(server, [{ name: 'empty.xml', content: '<?xml version="1.0"?><testsuites tests="0"/>' }], { key, query: { project: 'other' } })
    expect(empty.status, JSON.stringify(empty.body)).toBe(201)
    await page.goto(`${server.url}/runs/${empty.body.runId}`, { waitUntil: 'networkidle' })
    await page.getByText('This run has no tests').waitFor()
    expect(await page.title()).toMatch(/^#\d+ run /)

    // a screenshot whose file is gone from the store (a bucket that lost it) is said in words, not drawn as a broken image
    const dir = server.env.PROOFDECK_BLOB_DIR!
    const png = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter(d => d.isFile()).map(d => join(d.parentPath, d.name))
      .find(f => readFileSync(f).subarray(1, 4).toString() === 'PNG')!
    rmSync(png)
    // a browser that has not cached it: this one keeps showing the copy it has, as it may
    const fresh = await browser.newContext({ storageState: await page.context().storageState() })
    const reader = await fresh.newPage()
    await reader.goto(`${server.url}/runs/${receipt.runId}`, { waitUntil: 'networkidle' })
    await reader.getByTestId('attachment-missing').waitFor()
    expect(await reader.getByTestId('attachment-image').locator('img').count()).toBe(0)
    await fresh.close()

    // deleting the project deletes its attachment rows with its runs, then the sweep deletes the files
    const gone = await page.request.delete(`${server.url}/api/projects/web`, { data: { confirm: 'web' } })
    expect(gone.status(), await gone.text()).toBe(204)
    await expect.poll(blobs, { timeout: 30_000 }).toBe(0)
  })
})
