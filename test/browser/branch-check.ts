import type { BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'

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
 * project page and the overview showing the default branch's pass rate. Run by pages.test.ts (PGlite in CI) and
 * quality.test.ts (Postgres in CI), so the action is checked on both databases. `afterFilter` runs once the page
 * shows the feature branch (pages.test.ts takes its screenshots there).
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
