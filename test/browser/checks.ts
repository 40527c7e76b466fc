import type { BrowserContext, Page, Route } from 'playwright-core'
import { expect } from 'vitest'

/**
 * Checks of pages and their actions shared by pages.test.ts (PGlite in CI) and quality.test.ts (Postgres in CI), so
 * each is made on both databases. A check that takes `shoot` calls it where pages.test.ts takes its screenshots.
 */

/**
 * Opens a page and waits until Vue has hydrated it: a click or a key on server-rendered HTML before that does nothing,
 * and on a loaded machine "network idle" can come first.
 */
export async function openHydrated(page: Page, url: string, ready: string): Promise<void> {
  await page.goto(url)
  await page.getByTestId(ready).first().waitFor()
  await page.waitForFunction(() => {
    const app = (document.querySelector('#__nuxt') as { __vue_app__?: { config: { globalProperties: { $nuxt?: { isHydrating?: boolean } } } } } | null)?.__vue_app__
    return app?.config.globalProperties.$nuxt?.isHydrating === false
  })
  await page.waitForLoadState('networkidle')
}

/** What a browser test file gives the shared checks: its page, its session's context, its server and helpers. */
export interface BrowserCheck {
  page: Page
  context: BrowserContext
  server: { url: string }
  /** GET on our API with the browser's session. */
  api: <T = any>(path: string) => Promise<T>
  /** Opens a page and waits for the element with this test id. */
  open: (path: string, ready: string) => Promise<void>
}

/**
 * The test page's history filtered by branch and "fails only on this branch" against the default branch, then the
 * project page and the overview showing the default branch's pass rate. `afterFilter` runs once the page shows the
 * feature branch.
 */
export async function checkTestPageBranches(
  { page, context, server, api, open }: BrowserCheck, afterFilter?: () => Promise<void>,
): Promise<void> {
  const key = await context.request.post(`${server.url}/api/keys`, { data: { name: 'branches', scopes: ['ingest'] }, headers: { origin: server.url } })
  expect(key.status(), await key.text()).toBe(201)
  const token = (await key.json() as { key: string }).key
  const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString()
  for (const [branch, failed, ago] of [['main', false, 3], ['feature-pay', true, 2], ['main', false, 1]] as const) {
    const xml = `<testsuite name="s"><testcase classname="s" name="pays the order" file="tests/pay.spec.ts" time="0.2">${
      failed ? '<failure message="expected 200, got 500">boom</failure>' : ''}</testcase></testsuite>`
    const res = await context.request.post(`${server.url}/api/v1/runs?project=branch-ui&branch=${branch}&startedAt=${day(ago)}&runKey=${branch}-${ago}`, {
      headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/xml' }, data: xml,
    })
    expect(res.status(), await res.text()).toBe(201)
  }
  const [test] = (await api<{ items: { testCaseId: string }[] }>('/api/projects/branch-ui/tests?query=pays')).items
  await open(`/tests/${test!.testCaseId}`, 'test-summary')
  await expect.poll(() => page.getByTestId('branch-filter').locator('option').count()).toBe(3)
  await page.getByTestId('branch-filter').selectOption('feature-pay')
  await page.waitForURL(/branch=feature-pay/)
  await expect.poll(() => page.getByTestId('branch-comparison').textContent()).toContain('Fails only on this branch')
  expect(await page.getByTestId('branch-comparison').textContent()).toContain('passed all 2 runs on main')
  await expect.poll(() => page.getByTestId('history-table').locator('tbody tr').count()).toBe(1)
  await afterFilter?.()
  await page.getByTestId('branch-filter').selectOption('main')
  await page.waitForURL(/branch=main/)
  await expect.poll(() => page.getByTestId('history-table').locator('tbody tr').count()).toBe(2)
  expect(await page.getByTestId('branch-comparison').count()).toBe(0)

  // the project page and the overview show the same pass rate, the default branch's, and say so (feature-pay failed)
  await open('/projects/branch-ui', 'project-stats')
  expect(await page.getByTestId('stat-pass-rate').textContent()).toBe('100.0%')
  expect(await page.getByTestId('stat-pass-rate-branch').textContent()).toContain('Pass rate on main')
  await open('/', 'projects-table')
  const row = page.getByTestId('projects-table').locator('tbody tr', { hasText: 'branch-ui' })
  expect(await row.getByTestId('pass-rate-branch').textContent()).toBe('main')
  expect(await row.textContent()).toContain('100%')
}

interface PageWire<T> {
  items: T[]
  nextCursor: string | null
}
type Shoot = (name: string) => Promise<void>
const rowsOf = (page: Page, table: string) => page.getByTestId(table).locator('tbody tr')

/**
 * The test explorer of a project: rows match the API, the window is named, a header sorts (and again, ascending),
 * the duration-regressions view drops the sort, and the text filter lives in the URL.
 */
export async function checkExplorer({ page, api, open }: BrowserCheck, slug: string, shoot?: Shoot): Promise<void> {
  type Explored = PageWire<{ title: string, p50Ms: number | null }> & { window: { from: string, to: string } }
  await open(`/projects/${slug}/tests`, 'explorer-table')
  const first = await api<Explored>(`/api/projects/${slug}/tests?limit=25`)
  await expect.poll(() => rowsOf(page, 'explorer-table').count()).toBe(first.items.length)
  expect(await rowsOf(page, 'explorer-table').first().textContent()).toContain(first.items[0]!.title)
  expect(await page.getByTestId('explorer-window').textContent()).toContain(`${first.window.from} to ${first.window.to}`)
  await page.getByTestId('sparkline').first().waitFor()
  await shoot?.('explorer')
  await page.getByTestId('sort-p50').click()
  await page.waitForURL(/sort=p50/)
  const byP50 = await api<Explored>(`/api/projects/${slug}/tests?sort=p50&limit=25`)
  await expect.poll(async () => (await rowsOf(page, 'explorer-table').first().textContent())?.includes(byP50.items[0]!.title)).toBe(true)
  await page.getByTestId('sort-p50').click()
  await page.waitForURL(/dir=asc/)
  expect(await page.getByTestId('explorer-table').locator('th[aria-sort="ascending"]').count()).toBe(1)
  await page.getByTestId('explorer-view').getByRole('tab', { name: 'Duration regressions' }).click()
  await page.waitForURL(/view=regressions/)
  expect(page.url()).not.toContain('sort=')
  const regressions = await api<Explored>(`/api/projects/${slug}/tests?view=regressions&limit=25`)
  if (regressions.items.length) await expect.poll(() => rowsOf(page, 'explorer-table').count()).toBe(regressions.items.length)
  else await page.getByTestId('explorer-empty').waitFor()
  await page.getByTestId('explorer-view').getByRole('tab', { name: 'Slowest' }).click()
  await page.waitForURL(/view=slowest/)
  const slowest = await api<Explored>(`/api/projects/${slug}/tests?view=slowest&limit=25`)
  await expect.poll(async () => (await rowsOf(page, 'explorer-table').first().textContent())?.includes(slowest.items[0]!.title)).toBe(true)
  await open(`/projects/${slug}/tests`, 'explorer-table')
  await page.locator('[data-testid="explorer-query"] input, input[data-testid="explorer-query"]').fill('checkout')
  await page.waitForURL(/query=checkout/)
  const matching = await api<Explored>(`/api/projects/${slug}/tests?query=checkout&limit=25`)
  if (matching.items.length) await expect.poll(() => rowsOf(page, 'explorer-table').count()).toBe(matching.items.length)
  else await page.getByTestId('explorer-empty').waitFor()
}

/**
 * Search across history and run compare: the search page with a filter chosen in its toolbar and kept in the URL, the
 * Ctrl+K palette asking the server as you type and linking to the page, a run found by its number (#N) in the palette
 * and on the search page (which opens it), and a failed run compared with its previous from the run page.
 */
export async function checkSearchAndCompare({ page, server, api, open }: BrowserCheck, slug: string, shoot?: Shoot): Promise<void> {
  interface Found {
    runs: { runId: string, project: string, number: number }[]
    tests: PageWire<{ testCaseId: string }>
    clusters: PageWire<unknown>
  }
  const failed = (await api<PageWire<{ title: string }>>(`/api/projects/${slug}/failed-results?limit=1`)).items[0]!
  const q = failed.title.slice(0, 12).trim()
  const found = await api<Found>(`/api/search?q=${encodeURIComponent(q)}&project=${slug}&limit=20`)
  expect(found.tests.items.length).toBeGreaterThan(0)
  await open(`/search?q=${encodeURIComponent(q)}&project=${slug}`, 'search-tests')
  await expect.poll(() => page.getByTestId('search-tests').locator('li').count()).toBe(found.tests.items.length)
  await shoot?.('search')
  // a filter picked in the toolbar goes into the URL and narrows the list as the API does
  await page.getByRole('combobox', { name: 'Latest status' }).click()
  await page.getByRole('option', { name: 'failed', exact: true }).click()
  await page.waitForURL(/status=failed/)
  const failing = await api<Found>(`/api/search?q=${encodeURIComponent(q)}&project=${slug}&status=failed&limit=20`)
  if (failing.tests.items.length) await expect.poll(() => page.getByTestId('search-tests').locator('li').count()).toBe(failing.tests.items.length)
  else await page.getByTestId('search-empty').waitFor()

  // rows that "More" added stay on Back from a test opened from them, and on a reload
  const long = (await Promise.all(['spec', 'test', 'ts'].map(async w => ({ w, found: await api<Found>(`/api/search?q=${w}&project=${slug}&limit=20`) }))))
    .find(x => x.found.tests.nextCursor)
  expect(long, 'a search of the demo project with more than 20 tests').toBeDefined()
  const second = await api<Found>(`/api/search?q=${long!.w}&project=${slug}&kind=tests&limit=20&cursor=${encodeURIComponent(long!.found.tests.nextCursor!)}`)
  const shown = long!.found.tests.items.length + second.tests.items.length
  const testRows = page.getByTestId('search-tests').locator('li')
  await open(`/search?q=${long!.w}&project=${slug}`, 'search-tests')
  await expect.poll(() => testRows.count()).toBe(long!.found.tests.items.length)
  await page.getByRole('button', { name: 'More tests' }).click()
  await expect.poll(() => testRows.count()).toBe(shown)
  await testRows.nth(shown - 1).getByRole('link').first().click()
  await page.waitForURL(url => url.pathname === `/tests/${second.tests.items.at(-1)!.testCaseId}`)
  await page.goBack()
  await page.waitForURL(url => url.pathname === '/search')
  await expect.poll(() => testRows.count()).toBe(shown)
  await page.reload()
  await expect.poll(() => testRows.count()).toBe(shown)

  // the palette asks the server as you type and links to the page
  await open(`/projects/${slug}`, 'search-button')
  await page.getByTestId('search-button').click()
  const input = page.getByPlaceholder('Search projects, tests, clusters, runs…')
  await input.fill(q)
  await page.getByText(`All results for “${q}”`).click()
  await page.waitForURL(url => url.pathname === '/search' && url.searchParams.get('q') === q)
  await page.getByTestId('search-tests').waitFor()

  // one test run in two Playwright projects (the demo's web: chromium, firefox) is two rows across history, each with
  // its variant; asked on another project's page, so the rows are the server's search, not that project's own list
  const twin = (await api<PageWire<{ title: string, variant: string | null }>>('/api/projects/web/flaky-tests?label=any&limit=100'))
    .items.find(t => t.variant)!
  const twins = await api<{ tests: PageWire<{ title: string, project: string, variant: string | null }> }>(
    `/api/search?q=${encodeURIComponent(twin.title)}&limit=5`)
  const variants = twins.tests.items.filter(t => t.title === twin.title && t.project === 'web').map(t => `[${t.variant}]`).sort()
  expect(variants.length).toBeGreaterThan(1)
  const other = (await api<{ slug: string, runCount: number }[]>('/api/projects')).find(p => p.slug !== 'web' && p.runCount > 0)!
  await open(`/projects/${other.slug}`, 'search-button')
  await page.getByTestId('search-button').click()
  await input.fill(twin.title)
  const twinRows = page.getByRole('option').filter({ hasText: twin.title }).filter({ hasText: 'web ·' })
  await expect.poll(() => twinRows.count()).toBe(variants.length)
  expect((await twinRows.allTextContents()).map(t => /\[[\w-]+\]/.exec(t)?.[0]).sort()).toEqual(variants)
  await page.keyboard.press('Escape')

  // a project named as typed is the palette's first option, above the tests and clusters that mention it: Enter opens it
  await open('/', 'search-button')
  await page.getByTestId('search-button').click()
  await input.fill(slug)
  await page.getByText(`All results for “${slug}”`).waitFor()
  await page.keyboard.press('Enter')
  await page.waitForURL(url => url.pathname === `/projects/${slug}`)

  // a run by its number: the palette lists it first and opens it; the search page opens it when it is the only one
  const run = (await api<PageWire<{ id: string, number: number }>>(`/api/projects/${slug}/runs?status=failed&limit=3`)).items[2]!
  const byNumber = await api<Found>(`/api/search?q=%23${run.number}&limit=20`)
  expect(byNumber.runs.map(r => r.runId)).toContain(run.id)
  await open(`/projects/${slug}`, 'search-button')
  await page.getByTestId('search-button').click()
  await input.fill(`#${run.number}`)
  const hit = page.getByRole('option').filter({ hasText: `Run #${run.number}` }).filter({ hasText: slug })
  await hit.first().waitFor()
  await hit.first().click()
  await page.waitForURL(url => url.pathname === `/runs/${run.id}`)
  await page.getByTestId('compare-link').waitFor()
  await page.goto(`${server.url}/search?q=%23${run.number}&project=${slug}`)
  await page.waitForURL(url => url.pathname === `/runs/${run.id}`)
  // typed at a person's pace, a number opens its run on Enter, not on its first digit ("#9" on its way to "#93")
  await open(`/search?project=${slug}`, 'search-input')
  const box = page.locator('[data-testid="search-input"] input, input[data-testid="search-input"]')
  await box.pressSequentially(`#${run.number}`, { delay: 450 })
  await page.waitForURL(url => url.pathname === '/search' && url.searchParams.get('q') === `#${run.number}`)
  await box.press('Enter')
  await page.waitForURL(url => url.pathname === `/runs/${run.id}`)
  // typed fast and Enter at once, before the pause that puts the text in the URL: the run still opens, also when its
  // page's code is slow to come (a phone, a loaded machine): the pause's own change to the URL, the same as Enter's,
  // a moment later, cancelled the run's page on its way (failed 8 of 8 that way, and now and then in CI)
  await open(`/search?project=${slug}`, 'search-input')
  const slowCode = (route: Route) => {
    setTimeout(() => route.continue().catch(() => {}), 1000)
  }
  await page.route('**/_nuxt/**', slowCode)
  try {
    await box.fill(`#${run.number}`)
    await box.press('Enter')
    await page.waitForURL(url => url.pathname === `/runs/${run.id}`)
  }
  finally {
    await page.unroute('**/_nuxt/**', slowCode)
  }

  const compared = await api<{ changes: Record<string, { total: number }> }>(`/api/runs/${run.id}/compare`)
  await open(`/runs/${run.id}`, 'compare-link')
  await page.getByTestId('compare-link').click()
  await page.getByTestId('compare-summary').waitFor()
  for (const [kind, { total }] of Object.entries(compared.changes)) expect(await page.getByTestId(`compare-${kind}`).count(), kind).toBe(total ? 1 : 0)
  await shoot?.('compare')
}

/**
 * Owners from a CODEOWNERS upload: the explorer sorts and filters by status, then groups by owner (sections counted in
 * full, "Show all" opens one owner's list); the flaky list filters by branch and groups by owner; the clusters page
 * groups by owner. It gives the project's tests owners, so it goes after checks that read them as they were.
 */
export async function checkOwners({ page, context, server, api, open }: BrowserCheck, slug: string, shoot?: Shoot): Promise<void> {
  const made = await context.request.post(`${server.url}/api/keys`, { data: { name: 'owners', scopes: ['ingest'] }, headers: { origin: server.url } })
  expect(made.status(), await made.text()).toBe(201)
  const first = (await api(`/api/projects/${slug}/tests?sort=title&limit=1`)).items[0]
  const owned = await context.request.put(`${server.url}/api/v1/projects/${slug}/codeowners`, {
    headers: { 'authorization': `Bearer ${(await made.json()).key}`, 'content-type': 'text/plain' },
    data: `* @demo/all\n/${first.file} @demo/all @demo/checkout\n`,
  })
  expect(owned.status(), await owned.text()).toBe(200)

  await open(`/projects/${slug}/tests`, 'explorer-table')
  await page.getByTestId('sort-p50').click()
  await page.waitForURL(/sort=p50/)
  const byP50 = await api(`/api/projects/${slug}/tests?sort=p50&limit=25`)
  await expect.poll(async () => (await rowsOf(page, 'explorer-table').first().textContent())?.includes(byP50.items[0].title)).toBe(true)
  await page.getByTestId('explorer-status').selectOption('passing')
  await page.waitForURL(/status=passing/)
  const passing = await api(`/api/projects/${slug}/tests?sort=p50&status=passing&limit=25`)
  await expect.poll(async () => (await rowsOf(page, 'explorer-table').first().textContent())?.includes(passing.items[0].title)).toBe(true)
  await page.getByRole('checkbox', { name: 'Group by owner' }).click()
  await page.waitForURL(/groupBy=owner/)
  const grouped = await api(`/api/projects/${slug}/tests?sort=p50&status=passing&groupBy=owner&limit=25`)
  expect(grouped.groups.map((g: any) => g.owner)).toEqual(['@demo/all', '@demo/checkout'])
  await expect.poll(() => page.getByTestId('owner-group').count()).toBe(2)
  expect(await page.getByTestId('owner-group-count').allTextContents()).toEqual(grouped.groups.map((g: any) => `${g.count} test${g.count === 1 ? '' : 's'}`))
  expect(await page.getByTestId('owner-group').nth(1).textContent()).toContain(first.title)
  await shoot?.('explorer-grouped')
  if (grouped.groups[0].count > 25) {
    await page.getByRole('button', { name: `Show all ${grouped.groups[0].count}` }).click()
    await page.waitForURL(/owner=(%40|@)demo(%2F|\/)all/)
    await expect.poll(() => rowsOf(page, 'explorer-table').count()).toBe(25)
  }

  await open(`/projects/${slug}/flaky?label=any&branch=main`, 'label-filter')
  const onMain = await api(`/api/projects/${slug}/flaky-tests?label=any&branch=main&limit=25`)
  expect(onMain.items.length).toBeGreaterThan(0)
  await expect.poll(() => rowsOf(page, 'flaky-table').count()).toBe(onMain.items.length)
  expect(await page.getByTestId('branch-filter').inputValue()).toBe('main')
  await page.getByRole('checkbox', { name: 'Group by owner' }).click()
  await page.waitForURL(/groupBy=owner/)
  await expect.poll(() => page.getByTestId('owner-group').count()).toBeGreaterThan(0)
  await shoot?.('flaky-grouped')

  await open(`/projects/${slug}/clusters?groupBy=owner`, 'owner-group')
  const clusters = await api(`/api/projects/${slug}/clusters?groupBy=owner&limit=25`)
  await expect.poll(() => page.getByTestId('owner-group').count()).toBe(clusters.groups.length)
  await shoot?.('clusters-grouped')
}
