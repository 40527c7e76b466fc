/**
 * Dashboard pages: loads the demo dataset (through ingest) into a fresh database, then measures for every page the
 * server-rendered time (the whole HTML response with a session cookie, one request at a time), the server's CPU time per
 * request and the first-load JavaScript (gzip bytes of every script a fresh Chromium tab fetches until the network is idle).
 *
 *   npm run bench:pages [-- --scale 1 --requests 100 --chunks]   (DATABASE_URL=postgres://… to measure on Postgres)
 *   npm run bench:pages -- --scale 40                              (~1M results: the size the targets are set for)
 *   … --keep / --reuse <database>  (Postgres: keep the loaded database, or measure on a kept one; see lib/bench-db.ts)
 *   … --history <title>            with --reuse: the sections are "<title>: dashboard pages on Postgres" and so on (e.g.
 *                                  "10M results", a history made as docs/scaling.md says) instead of the demo-scale ones
 * It also times search across history (GET /api/search, the palette's and the search page's read; target p95 ≤ 100 ms);
 * `--search` times only that. It times the test explorer's reads too (GET /api/projects/web/tests, its views and sorts, read
 * from the per-test day rollups); `--explorer` times only those, and `--pages` only the pages (e.g. two builds alternated on a
 * kept database: PROOFDECK_BUILD_DIR=/tmp/before-output … --reuse <database> --pages, then the same without the variable).
 */
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { z } from 'zod'
import { benchDatabase, demoSize } from './lib/bench-db'
import { machineLine, processCpuMs, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions, count } from './lib/options'
import { spawnServer } from './lib/spawn-server'

const options = benchOptions({
  scale: z.coerce.number().positive().default(1),
  /** The named history a kept database holds (`--history <title>`): its own BENCHMARKS.md sections. */
  history: z.string().optional(),
  requests: count(100),
  chunks: z.boolean().default(false),
  /** `--search`: only the search timings (e.g. on a kept 1M database), leaving the pages' section as it is. */
  search: z.boolean().default(false),
  /** `--explorer`: only the test explorer's timings. */
  explorer: z.boolean().default(false),
  /** `--pages`: only the pages' timings, leaving the search and explorer sections as they are. */
  pages: z.boolean().default(false),
})
const { scale: SCALE, history: HISTORY, requests: REQUESTS, chunks: CHUNKS } = options
const { search: SEARCH_ONLY, explorer: EXPLORER_ONLY, pages: PAGES_ONLY } = options
/** A section's title: the demo scale's, or the named history's. */
const sectionTitle = (what: string, label: string) => (HISTORY ? `${HISTORY}: ${what.toLowerCase()} on ${label}` : `${what} on ${label}, demo scale ${SCALE}`)
/** How the measured data was made, for a section's text. */
const dataHow = (loaded: [number, number]) => `${HISTORY ? 'the kept database named by --reuse' : `demo dataset at scale ${SCALE}`} (${
  loaded[0].toLocaleString('en')} runs, ${loaded[1].toLocaleString('en')} results)${HISTORY ? '' : ' loaded through ingest'}`
const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
const SSR_TARGET_MS = 150
const JS_BUDGET_KB = 300
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

async function main() {
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  const db = await benchDatabase('pd_bench_pages')
  const server = await spawnServer({
    ...db.env, PROOFDECK_DEMO: db.reused ? '0' : '1', PROOFDECK_DEMO_SCALE: String(SCALE), NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef',
    PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4',
  }, { timeoutMs: 120_000 * Math.max(1, SCALE) }) // PGlite answers health only between demo-load transactions
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS })
  try {
    const loaded = await demoSize(db, server.output)
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
    if (login.status !== 200) throw new Error(`login failed: ${login.status}`)
    const pairs = login.headers.getSetCookie().map(c => c.split(';')[0]!)
    const cookie = pairs.join('; ')
    const get = async (path: string) => {
      const res = await fetch(`${server.url}${path}`, { headers: { cookie } })
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 300)}`)
      return res
    }
    const json = async (path: string) => (await get(path)).json()

    // the pages of the demo's "web" project, with the ids its data gives
    const slug = 'web'
    const failedRun = (await json(`/api/projects/${slug}/runs?status=failed&limit=1`)).items[0]
    const run = await json(`/api/runs/${failedRun.id}`)
    const testCaseId = run.results.items[0]?.testCaseId ?? (await json(`/api/projects/${slug}/flaky-tests?limit=1`)).items[0].testCaseId
    const clusterId = (await json(`/api/projects/${slug}/clusters?limit=1`)).items[0].id
    const pages: [string, string][] = [
      ['Overview', '/'],
      ['Project', `/projects/${slug}`],
      ['Project, filtered', `/projects/${slug}?status=failed&branch=main`],
      ['Run', `/runs/${failedRun.id}`],
      ['Test case', `/tests/${testCaseId}`],
      ['Flaky tests', `/projects/${slug}/flaky`],
      ['Test explorer', `/projects/${slug}/tests`],
      ['Test explorer, regressions', `/projects/${slug}/tests?view=regressions`],
      ['Clusters', `/projects/${slug}/clusters`],
      ['Cluster', `/clusters/${clusterId}`],
      ['API keys', '/settings/keys'],
      ['Users', '/settings/users'],
      ['MCP server', '/settings/mcp'],
      ['AI provider', '/settings/ai'],
    ]

    if (!EXPLORER_ONLY && !PAGES_ONLY) await measureSearch(get, db.label, loaded)
    if (!SEARCH_ONLY && !PAGES_ONLY) await measureExplorer(get, db.label, loaded)
    if (SEARCH_ONLY || EXPLORER_ONLY) return
    const context = await browser.newContext()
    await context.addCookies(pairs.map(p => ({ name: p.slice(0, p.indexOf('=')), value: p.slice(p.indexOf('=') + 1), url: server.url })))
    const rows: string[] = []
    const loadBefore = loadavg()[0]!.toFixed(1)
    for (const [label, path] of pages) {
      for (let i = 0; i < 5; i++) await (await get(path)).text()
      const times: number[] = []
      const cpuBefore = processCpuMs(server.pid)
      for (let i = 0; i < REQUESTS; i++) {
        const started = performance.now()
        await (await get(path)).text()
        times.push(performance.now() - started)
      }
      const cpu = (processCpuMs(server.pid) - cpuBefore) / REQUESTS
      times.sort((a, b) => a - b)

      const tab = await context.newPage()
      const scripts: Promise<[string, number]>[] = []
      tab.on('response', (res) => {
        if (res.request().resourceType() === 'script') scripts.push(res.body().then(b => [res.url().split('/').pop()!, gzipSync(b).length] as [string, number], () => [res.url(), 0]))
      })
      await tab.goto(`${server.url}${path}`, { waitUntil: 'networkidle' })
      const loadedScripts = await Promise.all(scripts)
      await tab.close()
      const kb = loadedScripts.reduce((a, [, b]) => a + b, 0) / 1024
      if (CHUNKS) console.log(`${path}\n${loadedScripts.sort((a, b) => b[1] - a[1]).map(([f, b]) => `  ${(b / 1024).toFixed(1).padStart(6)} KB ${f}`).join('\n')}`)
      const p95 = quantile(times, 0.95)
      const line = `| ${label} | ${quantile(times, 0.5).toFixed(1)} ms | ${p95.toFixed(1)} ms${p95 > SSR_TARGET_MS ? ' ⚠' : ''} | ${cpu.toFixed(0)} ms`
        + ` | ${kb.toFixed(1)} KB${kb > JS_BUDGET_KB ? ' ⚠' : ''} |`
      console.log(line)
      rows.push(line)
    }
    const pageLoad = `load average ${loadBefore} before, ${loadavg()[0]!.toFixed(1)} after (2 cores shared with other work)`
    writeBenchmarkSection(sectionTitle('Dashboard pages', db.label), 'bench:pages', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, ${pageLoad}, ${db.label}, ${dataHow(loaded)}, signed in as an admin. Server-rendered time: the whole HTML response of the built server, ${REQUESTS} requests per page one at a time after 5 warm-up requests (target p95 ≤ ${SSR_TARGET_MS} ms). Server CPU: the server process's CPU time (every thread) over those requests, per request. First-load JS: gzip bytes of every script a fresh Chromium tab fetches until the network is idle, lazily loaded charts included (budget ${JS_BUDGET_KB} KB). ⚠ marks a figure over its target.

| Page | SSR p50 | SSR p95 | Server CPU | First-load JS (gzip) |
|---|---|---|---|---|
${rows.join('\n')}`)
  }
  finally {
    await browser.close()
    await server.kill()
    await db.drop()
  }
}

const SEARCH_TARGET_MS = 100
/** Words an engineer would type: a class name, words of many titles and errors, a rare one, and filtered searches. */
const SEARCHES = [
  'q=TaxCalculator', 'q=checkout', 'q=timeout', 'q=null', 'q=should', 'q=xyzzy',
  'q=checkout&project=web&status=failed', 'q=expected&branch=main&since=2020-01-01T00:00:00Z',
]

/** p50/p95 of each search (REQUESTS requests one at a time after warm-up), written as its own BENCHMARKS.md section. */
async function measureSearch(get: (path: string) => Promise<Response>, label: string, loaded: [number, number]) {
  const rows: string[] = []
  const loadBefore = loadavg()[0]!.toFixed(1)
  for (const q of SEARCHES) {
    const path = `/api/search?${q}`
    let hits = ''
    const times = await timeRequests(get, path, (body: Record<'tests' | 'clusters', { items: unknown[], nextCursor: string | null }>) => {
      hits = `${body.tests.items.length}${body.tests.nextCursor ? '+' : ''} tests, ${body.clusters.items.length}${body.clusters.nextCursor ? '+' : ''} clusters`
    })
    const p95 = quantile(times, 0.95)
    const line = `| \`${q}\` | ${hits} | ${quantile(times, 0.5).toFixed(1)} ms | ${p95.toFixed(1)} ms${p95 > SEARCH_TARGET_MS ? ' ⚠' : ''} |`
    console.log(line)
    rows.push(line)
  }
  const load = `load average ${loadBefore} before, ${loadavg()[0]!.toFixed(1)} after (2 cores shared with other work)`
  writeBenchmarkSection(sectionTitle('Search across history', label), 'bench:pages', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, ${load}, ${label}, ${dataHow(loaded)}, signed in as an admin (every project in scope). \`GET /api/search\` (first page of 10 tests and 10 clusters, the read the search page and the Ctrl+K palette make) over HTTP against the built server, ${REQUESTS} requests per search one at a time after 5 warm-up requests (target p95 ≤ ${SEARCH_TARGET_MS} ms). ⚠ marks a figure over its target.

| Search | First page | p50 | p95 |
|---|---|---|---|
${rows.join('\n')}`)
}

/** REQUESTS timings of one JSON read, one at a time after 5 warm-up requests, sorted; `seen` gets the last body. */
async function timeRequests<T>(get: (path: string) => Promise<Response>, path: string, seen: (body: T) => void): Promise<number[]> {
  for (let i = 0; i < 5; i++) await (await get(path)).text()
  const times: number[] = []
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now()
    const body = await (await get(path)).json() as T
    times.push(performance.now() - started)
    seen(body)
  }
  return times.sort((a, b) => a - b)
}

const EXPLORER_TARGET_MS = 100
/** The explorer's first page in each view, a sort that needs every test's p95, and a filtered read. */
const EXPLORER_READS = ['', 'view=slowest', 'view=regressions', 'sort=p95&dir=asc', 'days=90', 'status=failing&query=checkout']

/** p50/p95 of the test explorer's reads of the demo's "web" project, written as its own BENCHMARKS.md section. */
async function measureExplorer(get: (path: string) => Promise<Response>, label: string, loaded: [number, number]) {
  const rows: string[] = []
  const loadBefore = loadavg()[0]!.toFixed(1)
  for (const q of EXPLORER_READS) {
    let listed = ''
    const times = await timeRequests(get, `/api/projects/web/tests?${q}`, (body: { items: unknown[], nextCursor: string | null }) => {
      listed = `${body.items.length}${body.nextCursor ? '+' : ''} tests`
    })
    const p95 = quantile(times, 0.95)
    const line = `| \`${q || '(defaults)'}\` | ${listed} | ${quantile(times, 0.5).toFixed(1)} ms | ${p95.toFixed(1)} ms${p95 > EXPLORER_TARGET_MS ? ' ⚠' : ''} |`
    console.log(line)
    rows.push(line)
  }
  const load = `load average ${loadBefore} before, ${loadavg()[0]!.toFixed(1)} after (2 cores shared with other work)`
  writeBenchmarkSection(sectionTitle('Test explorer', label), 'bench:pages', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, ${load}, ${label}, ${dataHow(loaded)}, signed in as an admin. \`GET /api/projects/web/tests\` (first page of 25; 14-day window and the 14 days before it, read from the per-test day rollups) over HTTP against the built server, ${REQUESTS} requests per read one at a time after 5 warm-up requests (target p95 ≤ ${EXPLORER_TARGET_MS} ms). ⚠ marks a figure over its target.

| Read | First page | p50 | p95 |
|---|---|---|---|
${rows.join('\n')}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
