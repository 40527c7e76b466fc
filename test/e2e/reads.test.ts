import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as McpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startDemoServer, startServer, type TestServer } from './server'
import { createKey, login, trendByDay, trendOfRuns, upload } from './client'
import { testFullName, testName } from '#shared/test-names'

/** A JUnit report: [title, file, seconds, failed? ('down': its service refused the connection), classname?] per test. */
function junit(tests: [string, string, number, (boolean | 'down')?, string?][]): string {
  const failure = (failed: boolean | 'down' | undefined) => failed === 'down'
    ? '<error message="connect ECONNREFUSED 127.0.0.1:5432">Error: connect ECONNREFUSED 127.0.0.1:5432</error>'
    : failed ? '<failure message="expected 200, got 500">AssertionError: expected 200, got 500</failure>' : ''
  const cases = tests.map(([title, file, time, failed, classname = 'explorer']) =>
    `<testcase classname="${classname}" name="${title}" file="${file}" time="${time}">${failure(failed)}</testcase>`)
  return `<?xml version="1.0"?><testsuite name="explorer" tests="${tests.length}">${cases.join('')}</testsuite>`
}

/** Every page of a list, following nextCursor to the end. */
async function all(get: (cursor?: string) => Promise<any>): Promise<any[]> {
  const items: any[] = []
  let cursor: string | undefined
  for (let i = 0; i < 1000; i++) {
    const page = await get(cursor)
    items.push(...page.items)
    if (!page.nextCursor) return items
    cursor = page.nextCursor
  }
  throw new Error('paging never ended')
}

describe('read API on the demo dataset', () => {
  let server: TestServer
  let cookie: string
  const get = async (path: string, headers: Record<string, string> = { cookie }) => {
    const res = await fetch(`${server.url}${path}`, { headers })
    return { status: res.status, body: await res.json() as any }
  }
  const ok = async (path: string) => {
    const r = await get(path)
    expect(r.status, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200)
    return r.body
  }

  const mcpClients: McpClient[] = []
  /** An MCP client with a key: `read` over every project, or bound to one. */
  async function mcpAs(projectSlug?: string) {
    const { key } = await createKey(server, cookie, { scopes: ['read'], ...(projectSlug ? { projectSlug } : {}) })
    const c = new McpClient({ name: 'vitest-reads', version: '1.0.0' })
    await c.connect(new McpTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }))
    mcpClients.push(c)
    return async (name: string, args: Record<string, unknown>) => {
      const r = await c.callTool({ name, arguments: args }) as { isError?: boolean, content: { text: string }[] }
      return { isError: !!r.isError, text: r.content[0]!.text, json: r.isError ? null : JSON.parse(r.content[0]!.text) }
    }
  }

  beforeAll(async () => {
    server = await startDemoServer()
    cookie = await login(server)
  })
  afterAll(async () => {
    await Promise.all(mcpClients.map(c => c.close()))
    await server?.stop()
  })

  it('pages through every run of a project without skipping or repeating, small pages included', async () => {
    const project = await ok('/api/projects/web')
    const runs = await all(c => ok(`/api/projects/web/runs?limit=7${c ? `&cursor=${c}` : ''}`))
    expect(runs).toHaveLength(project.runCount)
    expect(new Set(runs.map(r => r.id)).size).toBe(runs.length)
    const times = runs.map(r => r.startedAt)
    expect([...times].sort().reverse()).toEqual(times)
    const failed = await all(c => ok(`/api/projects/web/runs?status=failed&branch=main&limit=5${c ? `&cursor=${c}` : ''}`))
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.every(r => r.status === 'failed' && r.branch === 'main')).toBe(true)
    // a filtered list says how many runs match, on every page; an unfiltered one leaves it to the project's runCount
    const firstFailed = await ok('/api/projects/web/runs?status=failed&branch=main&limit=1')
    expect(failed.length).toBeGreaterThan(1)
    expect(firstFailed.matching).toBe(failed.length)
    expect((await ok(`/api/projects/web/runs?status=failed&branch=main&limit=1&cursor=${firstFailed.nextCursor}`)).matching).toBe(failed.length)
    expect((await ok('/api/projects/web/runs?branch=no-such-branch')).matching).toBe(0)
    expect(await ok('/api/projects/web/runs?limit=5')).not.toHaveProperty('matching')
    // the project's latest runs are read as one JSON column (runs.ts, recentRunsOf): the same summaries the runs list gives
    expect(project.recentRuns).toEqual(runs.slice(0, 10))
  })

  it('lists each project with its 30-day health, as the project detail and the trends read it', async () => {
    const projects = await ok('/api/projects')
    for (const p of projects) {
      const [detail, trend] = await Promise.all([ok(`/api/projects/${p.slug}`), ok(`/api/projects/${p.slug}/trends?days=30`)])
      expect(p, p.slug).toMatchObject({ flakyTests: detail.flakyTests, openClusters: detail.openClusters, passRate: detail.passRate })
      expect(p.passRates).toHaveLength(30)
      const onDefault = trend.points.filter((t: any) => t.branch === p.defaultBranch)
      const points = onDefault.length ? onDefault : trend.points
      const executed = points.reduce((n: number, t: any) => n + t.executed, 0)
      const passRate = executed ? points.reduce((n: number, t: any) => n + t.passed, 0) / executed : null
      expect(p.passRateBranch, p.slug).toBe(onDefault.length ? p.defaultBranch : null)
      if (passRate === null) expect(p.passRate).toBeNull()
      else expect(p.passRate).toBeCloseTo(passRate, 3)
      const daysWithRuns = new Set(points.filter((t: any) => t.executed).map((t: any) => t.day))
      expect(p.passRates.filter((r: number | null) => r !== null)).toHaveLength(daysWithRuns.size)
    }
  })

  it('groups a run\'s failures by cause with what is new, whatever page of results is asked for', async () => {
    const red = (await ok('/api/projects/web/runs?status=failed&limit=20')).items.find((r: any) => r.counts.failed + r.counts.errored > 3)
    const run = await ok(`/api/runs/${red.id}?status=passed&limit=1`)
    const failing = red.counts.failed + red.counts.errored
    expect(run.failureGroups.reduce((n: number, g: any) => n + g.failures, 0)).toBe(failing)
    const all = await ok(`/api/runs/${red.id}?limit=200`)
    for (const g of run.failureGroups) {
      // a group lists its failures first, then the passes on retry whose failed attempt had this cause
      expect(g.tests.length).toBe(Math.min(8, g.failures + g.flaky))
      const members = all.results.items.filter((r: any) => r.clusterId === g.clusterId)
      expect(g.newFailures).toBe(members.filter((r: any) => !r.knownFailure).length)
      const failures = g.tests.filter((t: any) => !t.flaky)
      expect(failures.every((t: any) => members.some((r: any) => r.id === t.resultId && r.knownFailure === t.knownFailure))).toBe(true)
    }
    expect(run.previousRunId).toBeTruthy()
    const fresh = all.results.items.filter((r: any) => !r.knownFailure).length
    expect(run.novelty).toEqual({ new: fresh, known: failing - fresh, defaultBranch: 'main' })
    const clipped = all.results.items.filter((r: any) => r.errorTruncated)
    expect(clipped.every((r: any) => r.errorMessage.length === 501 && r.errorMessage.endsWith('…'))).toBe(true)
  })

  it('pages through tied flakiness scores without losing a test', async () => {
    // "any" includes many tests with equal scores: the cursor must carry the id to break ties
    const whole = await ok('/api/projects/web/flaky-tests?label=any&limit=100')
    const paged = await all(c => ok(`/api/projects/web/flaky-tests?label=any&limit=2${c ? `&cursor=${c}` : ''}`))
    expect(paged.map(t => t.testCaseId)).toEqual(whole.items.map((t: any) => t.testCaseId))
    const scores = paged.map(t => t.score)
    expect(new Set(scores).size).toBeLessThan(scores.length)
  })

  it('sorts flaky tests by score, failure rate, last flake or title, either way, paging every test once through ties', async () => {
    // 400 tests in 4 runs: 120 fail every run (broken: failure rate 1, score 0, never flaked), 20 fail only in the
    // second run and 20 only in the third (a flip each: a score, a failure rate of 1 in 4, a last flake per run); ties
    // at every page boundary of the largest page. Titles in either case, and JVM tests named by class and method
    // (listed as `Zulu › a010()`, which sorts after `sorted 011` though its title sorts before it)
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const pad = (i: number) => String(i).padStart(3, '0')
    const name = (i: number) => i % 5 === 0 ? `a${pad(i)}()` : `${i % 5 === 1 ? 'S' : 's'}orted ${pad(i)}`
    const classOf = (i: number) => i % 5 === 0 ? `com.example.${i % 2 ? 'Alpha' : 'Zulu'}` : undefined
    const failsIn = (i: number, run: number) => i < 120 || (i < 140 && run === 2) || (i >= 140 && i < 160 && run === 3)
    for (const run of [1, 2, 3, 4]) {
      const tests = Array.from({ length: 400 }, (_, i) =>
        [name(i), 'tests/sorted.spec.ts', 0.01, failsIn(i, run), classOf(i)] as [string, string, number, boolean, string?])
      const r = await upload(server, [{ name: 'junit.xml', content: junit(tests) }],
        { key, query: { project: 'flaky-sorts', branch: 'main', startedAt: `2026-08-0${run}T10:00:00Z`, runKey: `sorts-${run}` } })
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBeLessThan(300)
    }
    const pages = (q: string) => all(c => ok(`/api/projects/flaky-sorts/flaky-tests?label=any&${q}${c ? `&cursor=${c}` : ''}`))
    const byScore = await pages('limit=100')
    expect(byScore).toHaveLength(160)
    expect(byScore.filter(t => t.label === 'broken')).toHaveLength(120)
    // a test by the name the list shows, in either case; a test never flaked has no last flake (null)
    const keyOf: Record<string, (t: any) => number | string | null> = {
      score: t => t.score, failureRate: t => t.failureRate, title: t => testName(t).toLowerCase(),
      lastFlake: t => t.lastFlakeAt ? Date.parse(t.lastFlakeAt) : null,
    }
    for (const [sort, get] of Object.entries(keyOf)) {
      for (const dir of ['asc', 'desc']) {
        for (const limit of [100, 7]) {
          const q = `sort=${sort}&dir=${dir}&limit=${limit}`
          const listed = await pages(q)
          // every test once
          expect(listed.map(t => t.testCaseId).sort(), q).toEqual(byScore.map(t => t.testCaseId).sort())
          // in order: by the key as asked, a test without one last either way, ties by id
          const expected = [...listed].sort((a, b) => {
            const [x, y] = [get(a), get(b)]
            const byKey = x === y ? 0 : y === null ? -1 : x === null ? 1 : (x < y ? -1 : 1) * (dir === 'asc' ? 1 : -1)
            return byKey || (a.testCaseId < b.testCaseId ? -1 : 1)
          })
          expect(listed.map(t => t.testCaseId), q).toEqual(expected.map(t => t.testCaseId))
        }
      }
    }
    expect(new Set(byScore.map(t => t.lastFlakeAt)).size).toBe(3)
    // never flaked: last whichever way
    const oldestFirst = await ok('/api/projects/flaky-sorts/flaky-tests?label=any&sort=lastFlake&dir=asc&limit=1')
    expect(oldestFirst.items[0]).toMatchObject({ lastFlakeAt: '2026-08-02T10:00:00.000Z' })
    // the defaults: a title ascending (by the name shown, in either case), a number descending
    expect((await ok('/api/projects/flaky-sorts/flaky-tests?label=any&sort=title&limit=18')).items.slice(15).map(testName))
      .toEqual(['Alpha › a155()', 'Sorted 001', 'sorted 002'])
    const rate = await ok('/api/projects/flaky-sorts/flaky-tests?label=any&sort=failureRate&limit=1')
    expect(rate.items[0]).toMatchObject({ label: 'broken', failureRate: 1, sample: 4 })
    const flipped = await ok('/api/projects/flaky-sorts/flaky-tests?label=any&sort=lastFlake&limit=1')
    expect(flipped.items[0]).toMatchObject({ failureRate: 0.25, lastFlakeAt: '2026-08-03T10:00:00.000Z' })
    // a cursor continues only the order it was given out for
    expect((await get(`/api/projects/flaky-sorts/flaky-tests?label=any&sort=title&cursor=${rate.nextCursor}`)).body.data.code).toBe('bad_cursor')
    expect((await get(`/api/projects/flaky-sorts/flaky-tests?label=any&sort=failureRate&dir=asc&cursor=${rate.nextCursor}`)).status).toBe(400)
    expect(await get('/api/projects/flaky-sorts/flaky-tests?sort=name')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^sort is one of: score, failureRate, lastFlake, title/) } })
    expect((await get('/api/projects/flaky-sorts/flaky-tests?dir=up')).body.message).toMatch(/dir is asc or desc/)
    // grouped by owner, each section in the order asked
    const grouped = await ok('/api/projects/flaky-sorts/flaky-tests?label=any&sort=title&dir=desc&groupBy=owner&limit=3')
    expect(grouped.groups[0].items.map(testName)).toEqual(['Zulu › a150()', 'Zulu › a140()', 'Zulu › a130()'])
  })

  it('a run counts results, not attempts, and a pass on retry is flaky, never failed', async () => {
    const flakyRuns = await all(c => ok(`/api/projects/web/runs?limit=50${c ? `&cursor=${c}` : ''}`))
    const withFailures = flakyRuns.find(r => r.counts.failed > 0)!
    const failed = await ok(`/api/runs/${withFailures.id}?limit=200`)
    expect(failed.results.items).toHaveLength(withFailures.counts.failed + withFailures.counts.errored)
    expect(failed.results.items.every((r: any) => r.status === 'failed' || r.status === 'errored')).toBe(true)
    const grouped = failed.failureGroups.reduce((n: number, g: any) => n + g.failures, 0)
    expect(grouped).toBe(withFailures.counts.failed + withFailures.counts.errored)
    const withFlakes = flakyRuns.find(r => r.counts.flaky > 0)!
    const flaky = await ok(`/api/runs/${withFlakes.id}?status=flaky&limit=200`)
    expect(flaky.results.items).toHaveLength(withFlakes.counts.flaky)
    expect(flaky.results.items.every((r: any) => r.status === 'passed' && r.attempts > 1 && r.attemptDetails.length === r.attempts)).toBe(true)
    const everything = await all(c => ok(`/api/runs/${withFlakes.id}?status=all&limit=50${c ? `&cursor=${c}` : ''}`).then(r => r.results))
    expect(everything).toHaveLength(withFlakes.counts.tests)
  })

  it('filters runs and clusters exactly as the whole list filtered by hand, page by page', async () => {
    // each combination of filters is a statement of its own, built once (server/db/kept.ts): every one is checked here
    const runs = await all(c => ok(`/api/projects/web/runs?limit=100${c ? `&cursor=${c}` : ''}`))
    const times = runs.map(r => r.startedAt).sort()
    const [since, until] = [times[Math.floor(times.length / 4)], times[Math.floor((times.length * 3) / 4)]]
    const branch = runs.find(r => r.branch && r.branch !== 'main')!.branch
    const runCases: [string, (r: any) => boolean][] = [
      [`branch=${branch}`, r => r.branch === branch],
      ['status=failed', r => r.status === 'failed'],
      [`since=${since}`, r => r.startedAt >= since],
      [`until=${until}`, r => r.startedAt <= until],
      [`branch=main&status=passed&since=${since}&until=${until}`,
        r => r.branch === 'main' && r.status === 'passed' && r.startedAt >= since && r.startedAt <= until],
    ]
    for (const [filter, keep] of runCases) {
      const expected = runs.filter(keep).map(r => r.id)
      expect(expected.length, filter).toBeGreaterThan(0)
      const paged = await all(c => ok(`/api/projects/web/runs?${filter}&limit=7${c ? `&cursor=${c}` : ''}`))
      expect(paged.map(r => r.id), filter).toEqual(expected)
    }
    const clusters = await all(c => ok(`/api/projects/web/clusters?limit=100${c ? `&cursor=${c}` : ''}`))
    const category = clusters[0].category
    for (const [filter, keep] of [
      ['status=open', (c: any) => c.status === 'open'],
      [`category=${category}`, (c: any) => c.category === category],
      [`status=open&category=${category}`, (c: any) => c.status === 'open' && c.category === category],
    ] as [string, (c: any) => boolean][]) {
      const paged = await all(c => ok(`/api/projects/web/clusters?${filter}&limit=2${c ? `&cursor=${c}` : ''}`))
      expect(paged.map(c => c.id), filter).toEqual(clusters.filter(keep).map(c => c.id))
    }
    expect((await ok(`/api/projects/web/runs?branch=no-such-branch`)).items).toEqual([])
    // a day alone is that day from its start in UTC (what a person or a model writes), the same list as its time
    const day = since.slice(0, 10)
    const fromDay = await all(c => ok(`/api/projects/web/runs?since=${day}&limit=100${c ? `&cursor=${c}` : ''}`))
    expect(fromDay.map(r => r.id)).toEqual(runs.filter(r => r.startedAt >= `${day}T00:00:00.000Z`).map(r => r.id))
    expect((await get('/api/projects/web/runs?since=2026-11')).body.message).toMatch(/a day \(2026-11-01, from its start in UTC\)/)
  })

  it('reads a test case, a cluster and the failed results consistently with each other', async () => {
    const clusters = await all(c => ok(`/api/projects/web/clusters?limit=3${c ? `&cursor=${c}` : ''}`))
    expect(clusters.length).toBeGreaterThanOrEqual(2)
    const cluster = await ok(`/api/clusters/${clusters[0].id}`)
    expect(cluster.affected.length).toBe(Math.min(20, cluster.affectedTests))
    expect(cluster.occurrencesByDay.reduce((n: number, d: any) => n + d.count, 0)).toBe(cluster.occurrences)
    const testCase = await ok(`/api/test-cases/${cluster.affected[0].testCaseId}`)
    expect(testCase.clusters.map((c: any) => c.id)).toContain(cluster.id)
    expect(testCase.lastError.message).toBeTruthy()
    // its whole history, page by page (the test page's table), starts with the detail's recent results, and ends
    const history = await all(c => ok(`/api/test-cases/${cluster.affected[0].testCaseId}/history?limit=3${c ? `&cursor=${c}` : ''}`))
    expect(new Set(history.map((h: any) => h.id)).size).toBe(history.length)
    expect(history.slice(0, testCase.history.length).map((h: any) => h.id)).toEqual(testCase.history.map((h: any) => h.id))
    expect(history.length).toBeGreaterThanOrEqual(testCase.history.length)
    const times = history.map((h: any) => h.startedAt)
    expect([...times].sort().reverse()).toEqual(times)
    // the detail's cursor turns its newest results into the list's first page (the test page reads the list from page 2)
    const detail = await ok(`/api/test-cases/${cluster.affected[0].testCaseId}?history=3`)
    expect(history.length).toBeGreaterThan(6)
    expect(detail.history.map((h: any) => h.id)).toEqual(history.slice(0, 3).map((h: any) => h.id))
    const second = await ok(`/api/test-cases/${cluster.affected[0].testCaseId}/history?limit=3&cursor=${detail.historyNextCursor}`)
    expect(second.items.map((h: any) => h.id)).toEqual(history.slice(3, 6).map((h: any) => h.id))
    const most = await ok(`/api/test-cases/${cluster.affected[0].testCaseId}?history=100`)
    expect(most.historyNextCursor === null).toBe(history.length <= 100)
    const failures = await ok('/api/projects/web/failed-results?limit=20')
    expect(failures.items).toHaveLength(20)
    expect(failures.items.every((r: any) => r.status === 'failed' || r.status === 'errored')).toBe(true)
  })

  it('answers bad input with a sentence and other projects with 404', async () => {
    expect((await get('/api/projects/web/runs?cursor=not-a-cursor')).body.message).toMatch(/cursor/)
    expect((await get('/api/projects/web/runs?limit=1000')).status).toBe(400)
    expect((await get('/api/runs/not-a-uuid')).status).toBe(400)
    // the service's sentence, in the words of no particular door (the MCP adapter adds which tool gives ids)
    expect(await get('/api/runs/00000000-0000-4000-8000-000000000000')).toMatchObject({
      status: 404, body: { message: 'No run with this id visible to you.', data: { code: 'run_not_found' } },
    })
    expect(await get('/api/projects/nope')).toMatchObject({ status: 404, body: { message: 'No project "nope" visible to you.', data: { code: 'project_not_found' } } })
    expect(await get('/api/test-cases/00000000-0000-4000-8000-000000000000'))
      .toMatchObject({ status: 404, body: { message: 'No test case with this id visible to you.', data: { code: 'test_case_not_found' } } })
    expect((await get('/api/test-cases/00000000-0000-4000-8000-000000000000/history')).status).toBe(404)
    expect((await get('/api/projects/web')).status).toBe(200)
    expect((await get('/api/projects/web', {})).status).toBe(401)
  })

  it('refuses a cursor given out by another list: another project, filter, run, test, kind, or tool', async () => {
    const another = /continues another list/
    const web = await ok('/api/projects/web/runs?limit=2')
    expect((await ok(`/api/projects/web/runs?limit=2&cursor=${web.nextCursor}`)).items).toHaveLength(2)
    for (const path of [
      `/api/projects/billing/runs?cursor=${web.nextCursor}`, `/api/projects/web/runs?branch=main&cursor=${web.nextCursor}`,
      `/api/projects/web/runs?status=failed&cursor=${web.nextCursor}`,
    ]) expect(await get(path)).toMatchObject({ status: 400, body: { message: expect.stringMatching(another), data: { code: 'bad_cursor' } } })
    const clusters = await ok('/api/projects/web/clusters?limit=1')
    expect((await get(`/api/projects/billing/clusters?cursor=${clusters.nextCursor}`)).body.message).toMatch(another)
    expect((await get(`/api/projects/web/clusters?status=open&cursor=${clusters.nextCursor}`)).body.message).toMatch(another)
    // a cursor of one run's results, test's history or search list is refused by another's
    const [worst, other] = (await ok('/api/projects/web/runs?status=failed&limit=2')).items
    const results = await ok(`/api/runs/${worst.id}?status=all&limit=1`)
    expect((await get(`/api/runs/${other.id}?status=all&cursor=${results.results.nextCursor}`)).body.message).toMatch(another)
    expect((await get(`/api/runs/${worst.id}?status=failed&cursor=${results.results.nextCursor}`)).body.message).toMatch(another)
    const search = await ok('/api/search?q=test&kind=tests&limit=1')
    expect((await get(`/api/search?q=checkout&kind=tests&cursor=${search.tests.nextCursor}`)).body.message).toMatch(another)
    // over MCP: a web list_runs cursor given to billing's, and a list_runs cursor given to list_clusters
    const mcp = await mcpAs()
    const first = await mcp('list_runs', { projectSlug: 'web', limit: 2 })
    expect((await mcp('list_runs', { projectSlug: 'web', limit: 2, cursor: first.json.nextCursor })).isError).toBe(false)
    for (const [tool, args] of [['list_runs', { projectSlug: 'billing' }], ['list_clusters', { projectSlug: 'web' }]] as const) {
      const r = await mcp(tool, { ...args, cursor: first.json.nextCursor })
      expect(r.isError).toBe(true)
      expect(r.text).toMatch(/another list|not one this list gave out/)
    }
    // each tool names its own arguments: get_test_case's history and historyCursor, get_run's results
    const test = (await ok('/api/projects/web/flaky-tests?limit=1')).items[0]
    // (the SDK checks a tool's arguments and says so first)
    expect((await mcp('get_test_case', { testCaseId: test.testCaseId, history: 0 })).text).toMatch(/get_test_case: history: history is a whole number, at least 1\.$/)
    expect((await mcp('get_test_case', { testCaseId: test.testCaseId, history: 101 })).text).toMatch(/get_test_case: history: history is at most 100\.$/)
    expect((await mcp('get_test_case', { testCaseId: test.testCaseId, historyCursor: first.json.nextCursor })).text)
      .toMatch(/^historyCursor: This cursor continues another list .* pass historyNextCursor from the previous page/)
    const rows = await mcp('get_run', { runId: worst.id, results: 'all', limit: 1 })
    expect((await mcp('get_run', { runId: worst.id, cursor: rows.json.results.nextCursor })).text)
      .toBe('cursor continues the run\'s result rows: give results as on the page whose nextCursor it is (e.g. results: "all").')
    // a later page of a run's results is those rows, not the run's triage again
    const next = await mcp('get_run', { runId: worst.id, results: 'all', limit: 1, cursor: rows.json.results.nextCursor })
    expect(Object.keys(next.json)).toEqual(['id', 'results'])
    expect(next.json.results.items).toHaveLength(1)
  })

  it('searches tests and failure clusters across history by name and error text, in scope, on REST and MCP', async () => {
    // "TaxCalculator": billing's TaxCalculatorTest file by name, and the cluster whose stack mentions it
    const tax = await ok('/api/search?q=taxcalculator&limit=50')
    expect(tax.tests.items.length).toBeGreaterThan(0)
    const named = (t: any) => `${t.title} ${t.suitePath.join(' ')} ${t.file ?? ''}`.toLowerCase()
    expect(tax.tests.items.every((t: any) => t.project === 'billing' && t.matchedIn === 'name' && named(t).includes('taxcalculator'))).toBe(true)
    expect(tax.tests.items.every((t: any) => t.latest?.runId && t.latest.status)).toBe(true)
    // a values-only assertion's cluster says where it failed: the palette tells two such clusters apart by it
    expect(tax.clusters.items.find((c: any) => c.project === 'billing' && c.title === 'expected: <n> but was: <n>')?.location)
      .toMatch(/TaxCalculatorTest\.java:\d+$/)
    // words only in the error text find the tests through their clusters
    const npe = await ok('/api/search?q=getTotal&limit=50')
    expect(npe.tests.items.length).toBeGreaterThan(0)
    expect(npe.tests.items.every((t: any) => t.matchedIn === 'error')).toBe(true)
    expect(npe.clusters.items.length).toBeGreaterThan(0)
    // every page of a broad search, small pages, without skipping or repeating; the filters narrow it
    const whole = await ok('/api/search?q=test&kind=tests&limit=50')
    const paged = await all(c => ok(`/api/search?q=test&kind=tests&limit=20${c ? `&cursor=${c}` : ''}`).then(r => r.tests))
    expect(paged.length).toBeGreaterThan(20)
    expect(new Set(paged.map(t => t.testCaseId)).size).toBe(paged.length)
    expect(paged.slice(0, whole.tests.items.length).map(t => t.testCaseId)).toEqual(whole.tests.items.map((t: any) => t.testCaseId))
    const failing = await ok('/api/search?q=test&kind=tests&status=failed&branch=main&limit=50')
    expect(failing.tests.items.every((t: any) => ['failed', 'errored'].includes(t.latest.status) && t.latest.branch === 'main')).toBe(true)
    const since = new Date(Date.now() + 86_400_000).toISOString()
    expect((await ok(`/api/search?q=test&since=${since}`)).tests.items).toEqual([])
    // another project's tests never appear; bad input is a sentence
    const web = await ok('/api/search?q=taxcalculator&project=web')
    expect([...web.tests.items, ...web.clusters.items]).toEqual([])
    expect((await get('/api/search?q=x')).body.message).toMatch(/q is 2–200 characters/)
    expect((await get(`/api/search?q=test&cursor=${whole.tests.nextCursor}`)).body.message).toMatch(/kind=tests/)
    expect((await get('/api/search?q=test&project=nope')).status).toBe(404)

    // MCP: the list tools' query argument, and a key bound to one project sees only it
    const mcp = await mcpAs()
    const clusters = await mcp('list_clusters', { projectSlug: 'billing', query: 'TaxCalculator' })
    expect(clusters.json.items.map((c: any) => c.id)).toEqual(tax.clusters.items.map((c: any) => c.clusterId))
    const failed = await mcp('list_failed_cases', { projectSlug: 'billing', query: 'getTotal', limit: 50 })
    expect(failed.json.items.length).toBeGreaterThan(0)
    const npeTests = new Set(npe.tests.items.map((t: any) => t.testCaseId))
    expect(failed.json.items.every((r: any) => npeTests.has(r.testCaseId))).toBe(true)
    // each failed result listed matches itself, by its error or its cause: not every failure of a test that once did
    const matching = async (slug: string, words: string) => {
      const causes = new Set((await all(c => ok(`/api/projects/${slug}/clusters?query=${words}&limit=100${c ? `&cursor=${c}` : ''}`))).map(c => c.id))
      const rows = await all(c => ok(`/api/projects/${slug}/failed-results?query=${words}&limit=100${c ? `&cursor=${c}` : ''}`))
      expect(rows.length, words).toBeGreaterThan(0)
      return rows.filter(r => !r.errorMessage?.toLowerCase().includes(words.toLowerCase()) && !causes.has(r.clusterId)
        && !`${r.title} ${r.suitePath?.join(' ') ?? ''} ${r.file ?? ''}`.toLowerCase().includes(words.toLowerCase()))
    }
    expect(await matching('web', 'browserType')).toEqual([])
    expect(await matching('billing', 'getTotal')).toEqual([])
    const flaky = await mcp('list_flaky_tests', { projectSlug: 'billing', label: 'any', query: 'RefundFlow' })
    expect(flaky.json.items.length).toBeGreaterThan(0)
    const refund = await all(c => ok(`/api/search?q=RefundFlow&project=billing&kind=tests&limit=50${c ? `&cursor=${c}` : ''}`).then(r => r.tests))
    const found = new Set(refund.map(t => t.testCaseId))
    expect(flaky.json.items.every((t: any) => found.has(t.testCaseId))).toBe(true)
    expect((await mcp('list_clusters', { projectSlug: 'billing', query: 'x' })).text).toMatch(/query is 2–200 characters/)
    const bound = await mcpAs('web')
    expect((await bound('list_clusters', { projectSlug: 'billing', query: 'TaxCalculator' })).isError).toBe(true)
    expect((await bound('list_clusters', { projectSlug: 'web', query: 'TaxCalculator' })).json.items).toEqual([])
  })

  it('finds a test by its name as the lists show it, class or suites › title, in search, the lists\' filters and MCP', async () => {
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const failure = '<failure message="expected 200, got 500"/>'
    const jvm = `<?xml version="1.0"?><testsuites>${[
      ['com.example.api.ApplicationTests', 'contextLoads()'], ['com.example.billing.ApplicationTests', 'contextLoads()'],
      ['com.example.CartTest$WhenEmpty', 'total()'], ['com.example.CartTest$WhenFull', 'total()'],
      ['com.example.DiscountTest', 'takes 10% off'], ['com.example.DiscountTest', 'takes 10 percent off'],
    ].map(([cls, title]) => `<testsuite name="${cls}"><testcase classname="${cls}" name="${title}">${failure}</testcase></testsuite>`).join('')
    }<testsuite name="pytest"><testcase classname="tests.test_api.TestOrders" name="test_refund" file="tests/test_api.py">${failure}</testcase></testsuite></testsuites>`
    // jest-ctrf-json-reporter: the describe chain after the file, joined by " > "
    const jest = JSON.stringify({ results: { tool: { name: 'jest' }, tests: [
      ['cart.test.ts > Cart > totals', 'adds tax'], ['checkout.test.ts > Checkout > totals', 'adds tax'], ['cart.test.ts > Cart', 'splits a › b'],
    ].map(([suite, name]) => ({ name, suite, status: 'failed', message: 'expected 200, got 500', filePath: `src/${suite!.split(' > ')[0]}` })) } })
    for (const [name, content] of [['junit.xml', jvm], ['ctrf.json', jest]]) {
      const r = await upload(server, [{ name: name!, content: content! }], { key, query: { project: 'shown-names', branch: 'main' } })
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    }
    const tests = (await ok('/api/projects/shown-names/tests?limit=100')).items
    expect(tests).toHaveLength(10)
    type Stored = { suitePath: string[], title: string }
    const idOf = (s: Stored) => tests.find((t: any) => t.title === s.title && t.suitePath.join('\n') === s.suitePath.join('\n')).testCaseId
    const ids = (items: { testCaseId: string }[]) => items.map(t => t.testCaseId).sort()
    const mcp = await mcpAs()
    /** The tests a search for `q` finds: search (the page and the palette), the explorer's filter, list_failed_cases. */
    const found = async (q: string) => {
      const searched = (await ok(`/api/search?project=shown-names&kind=tests&limit=50&q=${encodeURIComponent(q)}`)).tests.items
      const explored = (await ok(`/api/projects/shown-names/tests?limit=100&query=${encodeURIComponent(q)}`)).items
      const failed = (await mcp('list_failed_cases', { projectSlug: 'shown-names', query: q, limit: 50 })).json.items
      expect(ids(explored), `${q}: explorer`).toEqual(ids(searched))
      expect(ids(failed), `${q}: list_failed_cases`).toEqual(ids(searched))
      return ids(searched)
    }
    const api = { suitePath: ['com.example.api.ApplicationTests'], title: 'contextLoads()' }
    const billing = { suitePath: ['com.example.billing.ApplicationTests'], title: 'contextLoads()' }
    const whenEmpty = { suitePath: ['com.example.CartTest$WhenEmpty'], title: 'total()' }
    const discount = { suitePath: ['com.example.DiscountTest'], title: 'takes 10% off' }
    const refund = { suitePath: ['pytest', 'tests.test_api.TestOrders'], title: 'test_refund' }
    const cart = { suitePath: ['Cart', 'totals'], title: 'adds tax' }
    const splits = { suitePath: ['Cart'], title: 'splits a › b' }
    const cases: [string, Stored[]][] = [
      [testName(api), [api, billing]], [testFullName(api), [api]], [testName(whenEmpty), [whenEmpty]], [testName(discount), [discount]],
      [testName(refund), [refund]], [testFullName(cart), [cart]], ['cart > totals > adds tax', [cart]], [testFullName(splits), [splits]],
    ]
    expect(cases.map(c => c[0])).toEqual(['ApplicationTests › contextLoads()', 'com.example.api.ApplicationTests › contextLoads()',
      'CartTest › WhenEmpty › total()', 'DiscountTest › takes 10% off', 'TestOrders › test_refund', 'Cart › totals › adds tax',
      'cart > totals > adds tax', 'Cart › splits a › b'])
    for (const [q, stored] of cases) expect(await found(q), q).toEqual(ids(stored.map(s => ({ testCaseId: idOf(s) }))))
    // what matched as plain text still does: the title alone, Checkout's as well as Cart's
    expect(await found('adds tax')).toHaveLength(2)
    expect(await found('CartTest$WhenFull')).toEqual([idOf({ suitePath: ['com.example.CartTest$WhenFull'], title: 'total()' })])
  })

  it('compares a run with the previous run of its branch, test by test, on REST and MCP, in scope', async () => {
    const statuses = async (runId: string) => new Map((await all(c => ok(`/api/runs/${runId}?status=all&limit=200${c ? `&cursor=${c}` : ''}`)
      .then(r => r.results))).map(r => [r.testCaseId, r]))
    const red = (await ok('/api/projects/billing/runs?status=failed&branch=main&limit=20')).items[1]
    const detail = await ok(`/api/runs/${red.id}?limit=1`)
    const compared = await ok(`/api/runs/${red.id}/compare?limit=200`)
    expect(compared).toMatchObject({ run: { id: red.id }, base: { id: detail.previousRunId }, baseReason: 'previous' })
    const [now, before] = await Promise.all([statuses(red.id), statuses(detail.previousRunId)])
    const failedIn = (r: any) => r && ['failed', 'errored'].includes(r.status)
    const expected = { newlyFailing: 0, fixed: 0, stillFailing: 0, added: 0, removed: 0 }
    for (const [id, r] of now) {
      const b = before.get(id)
      if (!b) expected.added++
      else if (failedIn(r) && failedIn(b)) expected.stillFailing++
      else if (failedIn(r)) expected.newlyFailing++
      else if (failedIn(b) && r.status === 'passed') expected.fixed++
    }
    expected.removed = [...before.keys()].filter(id => !now.has(id)).length
    for (const [kind, total] of Object.entries(expected)) expect(compared.changes[kind].total, kind).toBe(total)
    for (const t of compared.changes.slower.tests) expect(t.durationMs - t.baseDurationMs).toBeGreaterThanOrEqual(100)
    // a chosen run of the same project; another project's run is a sentence, an unknown one a 404
    const older = await ok(`/api/runs/${red.id}/compare?to=${compared.base.id}`)
    expect(older.baseReason).toBe('chosen')
    const webRun = (await ok('/api/projects/web/runs?limit=1')).items[0]
    expect((await get(`/api/runs/${red.id}/compare?to=${webRun.id}`)).body.message).toMatch(/same project/)
    const unknownTo = await get(`/api/runs/${red.id}/compare?to=00000000-0000-4000-8000-000000000000`)
    expect([unknownTo.status, unknownTo.body.data.code]).toEqual([404, 'compare_run_not_found'])
    expect((await get(`/api/runs/${red.id}/compare?to=yesterday`)).body.message).toMatch(/compareTo is "previous" or a run id/)

    const mcp = await mcpAs()
    const run = await mcp('get_run', { runId: red.id, compareTo: 'previous' })
    expect(run.json.comparison).toMatchObject({ baseRunId: detail.previousRunId, baseReason: 'previous' })
    for (const [kind, total] of Object.entries(expected)) expect(run.json.comparison[kind]?.total ?? 0, kind).toBe(total)
    // a test in two browsers is two rows, each with its variant, as REST names them
    let variants = 0
    for (const webRed of (await ok('/api/projects/web/runs?status=failed&limit=5')).items) {
      const byRest = await ok(`/api/runs/${webRed.id}/compare?limit=10`)
      const byMcp = (await mcp('get_run', { runId: webRed.id, compareTo: 'previous' })).json.comparison
      for (const [kind, { total, tests }] of Object.entries(byRest.changes as Record<string, { total: number, tests: any[] }>)) {
        if (!total) continue
        const rows = tests.map(t => [t.testCaseId, t.variant ?? null])
        expect(byMcp[kind].tests.map((t: any) => [t.testCaseId, t.variant ?? null]), kind).toEqual(rows)
        variants += rows.filter(r => r[1]).length
      }
    }
    expect(variants).toBeGreaterThan(0)
    // the project's first run has nothing before it: said, not left out of the answer
    const first = (await all(c => ok(`/api/projects/billing/runs?limit=100${c ? `&cursor=${c}` : ''}`))).at(-1)!
    expect((await mcp('get_run', { runId: first.id, compareTo: 'previous' })).json.comparison)
      .toEqual({ note: 'Nothing to compare with: no earlier run of its environment (ci) on this run\'s branch or on the default branch.' })
    // a branch's first run is compared with the default branch's latest before it, and its page says so
    const webRuns = (await all(c => ok(`/api/projects/web/runs?limit=100${c ? `&cursor=${c}` : ''}`))).reverse()
    const branchFirst = webRuns.find((r, i) => r.branch !== 'main' && !webRuns.slice(0, i).some(o => o.branch === r.branch) && webRuns.slice(0, i).some(o => o.branch === 'main'))!
    expect(branchFirst, 'the demo has a feature branch that started after main').toBeTruthy()
    const branchDetail = await ok(`/api/runs/${branchFirst.id}`)
    const mainBefore = webRuns.filter(o => o.branch === 'main' && webRuns.indexOf(o) < webRuns.indexOf(branchFirst)).at(-1)!
    expect(branchDetail).toMatchObject({ previousRunId: mainBefore.id, previousRunReason: 'default_branch' })
    expect(await ok(`/api/runs/${branchFirst.id}/compare`)).toMatchObject({ base: { id: mainBefore.id }, baseReason: 'default_branch' })
    expect(detail.previousRunReason).toBe('previous')
    // a day that does not exist is refused, not read as the one it rolls over to
    expect((await mcp('list_runs', { projectSlug: 'billing', since: '2026-02-30' })).text).toMatch(/Dates are ISO 8601/)
    // a window that ends before it starts is said, not answered with an empty list
    const reversed = 'since (2026-12-10T00:00:00.000Z) is after until (2026-11-01T23:59:59.999Z): no run starts in between. Swap them.'
    expect((await mcp('list_runs', { projectSlug: 'billing', since: '2026-12-10', until: '2026-11-01' })).text).toBe(reversed)
    expect(await get('/api/projects/billing/runs?since=2026-12-10&until=2026-11-01')).toMatchObject({ status: 400, body: { message: reversed } })
    // a day as both bounds is that day: from its start through its end (UTC)
    const latest = (await ok('/api/projects/billing/runs?limit=1')).items[0]
    const day = latest.startedAt.slice(0, 10)
    const ofDay = (await all(c => ok(`/api/projects/billing/runs?limit=100${c ? `&cursor=${c}` : ''}`))).filter(r => r.startedAt.startsWith(day))
    const sameDay = await mcp('list_runs', { projectSlug: 'billing', since: day, until: day, limit: 100 })
    expect(sameDay.json.items.map((r: any) => r.id)).toEqual(ofDay.map(r => r.id))
    expect(sameDay.json.matching).toBe(ofDay.length)
    // a run by its project and number, as CI names it
    expect((await mcp('get_run', { runId: `billing#${red.number}` })).json).toEqual((await mcp('get_run', { runId: red.id })).json)
    expect((await mcp('get_run', { runId: ` Billing#${red.number}`, compareTo: 'previous' })).json.comparison).toEqual(run.json.comparison)
    const previousNumber = (await ok(`/api/runs/${detail.previousRunId}`)).number
    expect((await mcp('get_run', { runId: red.id, compareTo: `billing#${previousNumber}` })).json.comparison)
      .toEqual({ ...run.json.comparison, baseReason: 'chosen' })
    expect((await mcp('get_run', { runId: red.id, compareTo: 'yesterday' })).text).toMatch(/compareTo is "previous", a run id \(a UUID, as list_runs gives it\) or a run by its project and number, like web#1233\.$/)
    expect((await mcp('get_run', { runId: 'billing#999999' })).text).toMatch(/^No run #999999 in billing: runs are numbered from #1/)
    for (const bad of [`#${red.number}`, String(red.number), 'billing#0', 'billing#99999999999']) {
      expect((await mcp('get_run', { runId: bad })).text, bad).toMatch(/A run is its id \(a UUID, as list_runs gives it\) or its project and number, like web#1234\.$/)
    }
    const bound = await mcpAs('web')
    expect((await bound('get_run', { runId: `billing#${red.number}` })).text).toMatch(/No project "billing"/)
    expect((await bound('get_run', { runId: red.id, compareTo: 'previous' })).text).toMatch(/No run with this id/)
    // another project's run to compare with reads as an unknown id: the same 404 as a UUID that names nothing
    expect((await bound('get_run', { runId: webRun.id, compareTo: red.id })).text).toMatch(/^No run to compare with has this id visible to you/)
    expect((await bound('get_run', { runId: webRun.id, compareTo: '00000000-0000-4000-8000-000000000000' })).text)
      .toBe((await bound('get_run', { runId: webRun.id, compareTo: red.id })).text)
  })

  it('explores a project\'s tests: every test once at the largest page, sorts, filters, the window, regressions', async () => {
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const filler = Array.from({ length: 250 }, (_, i) => [`filler ${String(i).padStart(3, '0')}`, 'tests/filler.spec.ts', 0.01] as [string, string, number])
    const send = async (tests: [string, string, number, (boolean | 'down')?][], startedAt: string, runKey: string) => {
      const r = await upload(server, [{ name: 'junit.xml', content: junit(tests) }], { key, query: { project: 'explorer', startedAt, runKey } })
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBeLessThan(300)
    }
    await send([...filler, ['checkout total', 'tests/checkout.spec.ts', 1], ['search results', 'tests/search.spec.ts', 0.2],
      ['login form', 'tests/login.spec.ts', 0.05]], '2026-06-01T10:00:00Z', 'before')
    await send([...filler, ['checkout total', 'tests/checkout.spec.ts', 1.3], ['search results', 'tests/search.spec.ts', 0.23],
      ['login form', 'tests/login.spec.ts', 0.14, true]], '2026-06-20T10:00:00Z', 'now')
    // a second shard of the latest run: its tests are counted again from their stored results
    await send([['late shard', 'tests/late.spec.ts', 0.5]], '2026-06-20T10:00:00Z', 'now')
    // checkout's runs of its own, 5 timed in each window: fewer are no basis for a regression (login form's 1 and 1)
    for (const day of [2, 3, 4, 5]) await send([['checkout total', 'tests/checkout.spec.ts', 1]], `2026-06-0${day}T10:00:00Z`, `before-${day}`)
    for (const day of [16, 17, 18, 19]) await send([['checkout total', 'tests/checkout.spec.ts', 1.3]], `2026-06-${day}T10:00:00Z`, `now-${day}`)

    const pages = (q: string) => all(c => ok(`/api/projects/explorer/tests?${q}${c ? `&cursor=${c}` : ''}`))
    const byRate = await pages('limit=100')
    expect(byRate).toHaveLength(254)
    expect(new Set(byRate.map(t => t.testCaseId)).size).toBe(254)
    expect(byRate[0]).toMatchObject({ title: 'login form', runs: 1, failed: 1, failureRate: 1, p50Ms: 140, previousP50Ms: null, change: null, regression: false })
    for (const q of ['limit=100&sort=title', 'limit=100&sort=p50&dir=asc', 'limit=33&sort=runs', 'limit=40&sort=p95', 'limit=40&sort=change&dir=asc', 'limit=40&view=slowest']) {
      const listed = await pages(q)
      expect(listed.map(t => t.testCaseId).sort(), q).toEqual(byRate.map(t => t.testCaseId).sort())
    }
    const byTitle = (await pages('limit=100&sort=title')).map(t => t.title)
    expect(byTitle).toEqual([...byTitle].sort((a, b) => a.toLowerCase() < b.toLowerCase() ? -1 : 1))
    // a test with no change to show (nothing before the window: login form) comes last whichever way changes are sorted
    for (const dir of ['asc', 'desc']) {
      const listed = await pages(`limit=100&sort=change&dir=${dir}`)
      const firstMissing = listed.findIndex(t => t.change == null)
      expect(firstMissing, dir).toBeGreaterThan(0)
      expect(listed.slice(firstMissing).every(t => t.change == null), dir).toBe(true)
    }
    const first = await ok('/api/projects/explorer/tests?limit=1')
    expect(first.window).toEqual({ from: '2026-06-07', to: '2026-06-20', days: 14 })
    expect(first.items[0].trend).toHaveLength(14)
    expect(first.items[0].trend.at(-1)).toBe(0)

    const regressions = await ok('/api/projects/explorer/tests?view=regressions')
    expect(regressions.items).toEqual([expect.objectContaining({ title: 'checkout total', p50Ms: 1300, p95Ms: 1300, previousP50Ms: 1000, regression: true })])
    expect(regressions.items[0].change).toBeCloseTo(0.3, 5)
    expect((await ok('/api/projects/explorer/tests?view=slowest&limit=2')).items.map((t: any) => t.title)).toEqual(['checkout total', 'late shard'])
    expect((await ok('/api/projects/explorer/tests?query=late+shard')).items).toEqual([expect.objectContaining({ runs: 1, p50Ms: 500, change: null })])
    expect((await ok('/api/projects/explorer/tests?status=failing')).items.map((t: any) => t.title)).toEqual(['login form'])
    expect((await ok('/api/projects/explorer/tests?status=passing&limit=100')).items).toHaveLength(100)
    expect((await ok('/api/projects/explorer/tests?flaky=true')).items).toEqual([])
    expect((await ok('/api/projects/explorer/tests?days=90&view=regressions')).items).toEqual([])
    // an infrastructure run (most of the suite failed, its database down) counts in neither the failure rate nor the runs
    await send(filler.map(([title, file]) => [title, file, 0.01, 'down'] as [string, string, number, 'down']), '2026-06-20T12:00:00Z', 'outage')
    expect((await ok('/api/projects/explorer/tests?status=failing')).items.map((t: any) => t.title)).toEqual(['login form'])
    expect((await ok('/api/projects/explorer/tests?sort=title&limit=2')).items[1]).toMatchObject({ title: 'filler 000', runs: 1, failed: 0 })
    const web = await ok('/api/projects/web/tests?view=slowest')
    expect(web.items.length).toBeGreaterThan(0)
    expect(web.items[0].p50Ms).toBeGreaterThan(0)

    expect(await get('/api/projects/explorer/tests?sort=speed')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^sort is one of/) } })
    expect((await get('/api/projects/explorer/tests?days=0')).body.message).toMatch(/days is at least 1/)
    expect((await get('/api/projects/explorer/tests?sort=title&cursor=bm9wZQ')).status).toBe(400)
    expect((await get('/api/projects/nope/tests')).status).toBe(404)
    const creds = { email: 'explorer-member@example.test', password: 'member password 123' }
    expect((await fetch(`${server.url}/api/users`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ ...creds, name: 'M', role: 'member', projectSlugs: ['web'] }),
    })).status).toBe(201)
    const member = await login(server, creds)
    expect((await get('/api/projects/explorer/tests', { cookie: member })).status).toBe(404)
    expect((await get('/api/projects/web/tests', { cookie: member })).status).toBe(200)
  })

  it('keeps a day\'s p50/p95 exact as runs of that day are added and a shard is uploaded again', async () => {
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const send = async (seconds: number, runKey: string, startedAt = '2026-07-01T10:00:00Z') => {
      const r = await upload(server, [{ name: 'junit.xml', content: junit([['pay', 'tests/pay.spec.ts', seconds]]) }], { key, query: { project: 'day-percentiles', startedAt, runKey } })
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBeLessThan(300)
    }
    const day = async () => (await ok('/api/projects/day-percentiles/tests?days=7')).items.find((t: any) => t.title === 'pay')
    await send(0.1, 'a')
    expect(await day()).toMatchObject({ runs: 1, p50Ms: 100, p95Ms: 100 })
    await send(0.3, 'b', '2026-07-01T11:00:00Z')
    expect(await day()).toMatchObject({ runs: 2, p50Ms: 100, p95Ms: 300 })
    await send(0.2, 'c', '2026-07-01T12:00:00Z')
    expect(await day()).toMatchObject({ runs: 3, p50Ms: 200, p95Ms: 300 })
    // another file under run c replaces nothing of 'pay' but counts the day again from the stored results
    const r = await upload(server, [{ name: 'other.xml', content: junit([['other', 'tests/other.spec.ts', 0.05]]) }], { key, query: { project: 'day-percentiles', startedAt: '2026-07-01T12:00:00Z', runKey: 'c' } })
    expect(r.status).toBeLessThan(300)
    expect(await day()).toMatchObject({ title: 'pay', runs: 3, p50Ms: 200, p95Ms: 300 })
  })

  it('filters a test\'s history by branch and says when it fails only there, against the default branch', async () => {
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString()
    const runs: [string, boolean, number][] = [['main', false, 4], ['feature-x', true, 3], ['main', false, 2], ['feature-x', true, 1]]
    for (const [branch, failed, ago] of runs) {
      const r = await upload(server, [{ name: 'junit.xml', content: junit([['pays the order', 'tests/pay.spec.ts', 0.3, failed]]) }],
        { key, query: { project: 'branches', branch, startedAt: day(ago), runKey: `${branch}-${ago}` } })
      expect(r.status).toBeLessThan(300)
    }
    const [test] = (await ok('/api/projects/branches/tests?query=pays')).items
    const history = (branch?: string) => ok(`/api/test-cases/${test.testCaseId}/history${branch ? `?branch=${branch}` : ''}`)
    const all = await history()
    expect(all.items).toHaveLength(4)
    expect(all.branch).toBeNull()
    const feature = await history('feature-x')
    expect(feature.items.map((h: any) => [h.branch, h.status])).toEqual([['feature-x', 'failed'], ['feature-x', 'failed']])
    expect(feature.branch).toMatchObject({ branch: 'feature-x', defaultBranch: 'main', runs: 2, failed: 2, defaultRuns: 2, defaultFailed: 0, failsOnlyOn: 'branch' })
    const main = await history('main')
    expect(main.items.every((h: any) => h.branch === 'main')).toBe(true)
    expect(main.branch).toBeNull()
    expect((await history('nowhere')).branch).toMatchObject({ runs: 0, defaultRuns: 2, failsOnlyOn: null })
    expect((await get(`/api/test-cases/${test.testCaseId}/history?branch=${'b'.repeat(300)}`)).body.message).toMatch(/branch is 1–200/)
    const [overview] = (await ok('/api/projects')).filter((p: any) => p.slug === 'branches')
    expect(overview).toMatchObject({ passRateBranch: 'main', passRate: 1 })
    expect(await ok('/api/projects/branches')).toMatchObject({ passRateBranch: 'main', passRate: 1 })
  })

  const send = async (method: string, path: string, body: unknown, who = cookie) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json', 'cookie': who }, body: JSON.stringify(body) })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
  const report = (n: number) => JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: `test ${n}`, status: 'passed' }] })

  it('numbers runs per project at ingest: parallel uploads get distinct numbers without gaps, shards keep theirs', async () => {
    // three keys: one key has at most PROOFDECK_INGEST_CONCURRENCY (4) uploads in flight
    const keys = await Promise.all([0, 1, 2].map(() => createKey(server, cookie, { scopes: ['ingest'] }).then(k => k.key)))
    let sent = 0
    const send1 = (runKey: string, n: number) => upload(server, [{ name: `r${n}.json`, content: report(n) }],
      { key: keys[sent++ % 3]!, query: { project: 'numbered', runKey } })
    const first = await send1('k0', 0)
    expect(first.body.runNumber).toBe(1)
    // eight new runs and two shards of k0 (one of them twice) at once
    const answers = await Promise.all([...Array.from({ length: 8 }, (_, i) => send1(`k${i + 1}`, i + 1)),
      send1('k0', 100), send1('k0', 101), send1('k0', 101)])
    expect(answers.filter(a => a.status >= 300).map(a => `${a.status} ${a.body.message}`)).toEqual([])
    expect(answers.slice(8).map(a => a.body.runNumber)).toEqual([1, 1, 1])
    expect(answers.slice(0, 8).map(a => a.body.runNumber).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
    const listed = await ok('/api/projects/numbered/runs?limit=20')
    expect(listed.items.map((r: any) => r.number).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    const detail = await ok(`/api/runs/${first.body.runId}`)
    expect(detail.number).toBe(1)
    const mcp = await mcpAs()
    expect((await mcp('list_runs', { projectSlug: 'numbered', limit: 1 })).json.items[0].number).toBeGreaterThan(1)
    // a run re-sent after every other is a retry: same number; two shards of one new run at once share one number,
    // and the next new run takes 11: no number was taken for the shard that found the run made
    expect((await send1('k3', 3)).body.runNumber).toBe(answers[2]!.body.runNumber)
    const shards = await Promise.all([send1('k9', 9), send1('k9', 90)])
    expect(shards.map(a => a.body.runNumber)).toEqual([10, 10])
    expect((await send1('k10', 10)).body.runNumber).toBe(11)
  })

  it('changes project settings with sentences for bad input, members yes, viewers and outsiders no', async () => {
    const changed = await send('PATCH', '/api/projects/numbered', {
      name: 'Numbered app', repositoryUrl: 'https://gitlab.acme.io/apps/numbered.git/', defaultBranch: 'trunk', retentionDays: 400,
    })
    expect(changed).toMatchObject({ status: 200, body: { slug: 'numbered', name: 'Numbered app', defaultBranch: 'trunk', retentionDays: 400 } })
    expect(changed.body.repositoryUrl).toBe('https://gitlab.acme.io/apps/numbered.git')
    expect(await ok('/api/projects/numbered/settings')).toEqual(changed.body)
    expect((await ok('/api/projects/numbered')).name).toBe('Numbered app')
    // the run and test pages build their repository links from their own records, with no second request
    const numberedRun = (await ok('/api/projects/numbered/runs?limit=1')).items[0].id
    const repository = { url: 'https://gitlab.acme.io/apps/numbered.git', defaultBranch: 'trunk' }
    expect((await ok(`/api/runs/${numberedRun}`)).repository).toEqual(repository)
    const numberedTest = (await ok('/api/projects/numbered/tests?limit=1')).items[0].testCaseId
    expect((await ok(`/api/test-cases/${numberedTest}`)).repository).toEqual(repository)
    for (const [body, sentence] of [
      [{ repositoryUrl: 'git@github.com:acme/x.git' }, /repository URL is an http\(s\) URL/],
      [{ retentionDays: -3 }, /at least 1 day/],
      [{ defaultBranch: '' }, /default branch is 1–200 characters/],
      [{}, /Send at least one of/],
    ] as const) {
      const r = await send('PATCH', '/api/projects/numbered', body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(r.body.message).toMatch(sentence)
    }
    expect((await send('PATCH', '/api/projects/numbered', { repositoryUrl: '', retentionDays: null })).body)
      .toMatchObject({ repositoryUrl: null, retentionDays: null })
    expect((await ok(`/api/runs/${numberedRun}`)).repository).toBeNull()
    const users = {} as Record<string, string>
    for (const role of ['member', 'viewer'] as const) {
      const email = `settings-${role}@example.test`
      const made = await send('POST', '/api/users', { email, name: role, role, projectSlugs: ['numbered'] })
      users[role] = await login(server, { email, password: made.body.generatedPassword })
    }
    expect((await send('PATCH', '/api/projects/numbered', { name: 'By a member' }, users.member)).status).toBe(200)
    const refused = await send('PATCH', '/api/projects/numbered', { name: 'By a viewer' }, users.viewer)
    expect(refused.status).toBe(403)
    expect(refused.body.message).toMatch(/members and admins/)
    expect((await send('PATCH', '/api/projects/web', { name: 'Not mine' }, users.member)).status).toBe(404)
    expect((await send('DELETE', '/api/projects/numbered', { confirm: 'numbered' }, users.member)).status).toBe(403)
    expect((await send('POST', '/api/settings/retention', {}, users.member)).status).toBe(403)

    // a run by its number: in one project (REST), or in every project in scope (search for "#3")
    const third = await ok('/api/projects/numbered/runs/by-number/3')
    expect(third).toMatchObject({ project: 'numbered', number: 3 })
    expect((await ok(`/api/runs/${third.runId}`)).number).toBe(3)
    expect((await get('/api/projects/numbered/runs/by-number/999')).body.message).toMatch(/No run #999 in numbered/)
    expect((await get('/api/projects/numbered/runs/by-number/1.5')).body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/whole number/) })
    const everywhere = (await ok('/api/search?q=%233')).runs
    expect(everywhere.map((r: any) => `${r.project} #${r.number}`)).toEqual(expect.arrayContaining(['numbered #3', 'web #3']))
    expect((await ok('/api/search?q=3&project=numbered')).runs.map((r: any) => r.runId)).toEqual([third.runId])
    expect((await ok('/api/search?q=%23x3')).runs).toEqual([])
    const member = { cookie: users.member! }
    expect((await get('/api/search?q=%233', member)).body.runs.map((r: any) => r.project)).toEqual(['numbered'])
    expect((await get('/api/projects/web/runs/by-number/3', member)).status).toBe(404)
  })

  it('deletes a project with everything under it once its slug is typed; admins only; 404 afterwards', async () => {
    const wrong = await send('DELETE', '/api/projects/numbered', { confirm: 'Numbered app' })
    expect(wrong.status).toBe(400)
    expect(wrong.body.message).toMatch(/Type the project's slug "numbered"/)
    const runId = (await ok('/api/projects/numbered/runs?limit=1')).items[0].id
    expect((await send('DELETE', '/api/projects/numbered', { confirm: 'numbered' })).status).toBe(204)
    for (const path of ['/api/projects/numbered', `/api/runs/${runId}`, '/api/projects/numbered/settings']) {
      expect((await get(path)).status, path).toBe(404)
    }
    expect((await ok('/api/projects')).map((p: any) => p.slug)).not.toContain('numbered')
  })

  // last: it deletes demo runs the tests above read
  it('retention deletes runs past the project\'s days, keeps the trends, the run count and the latest run right', async () => {
    const trendsBefore = await ok('/api/projects/web/trends?days=90')
    const before = await all(c => ok(`/api/projects/web/runs?limit=100${c ? `&cursor=${c}` : ''}`))
    // the trends (read from the day rollups) sum the runs as listed, day by day and branch by branch
    expect(trendByDay(trendsBefore.points)).toEqual(trendOfRuns(before, trendsBefore.since))
    // runs go by whole UTC days: those that started before the start of the day 7 days ago
    const cutoff = Date.parse(new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10))
    const old = before.filter(r => Date.parse(r.startedAt) < cutoff)
    expect(old.length).toBeGreaterThan(0)
    const clusterIds = (await ok('/api/projects/web/clusters?limit=100')).items.map((c: any) => c.id)
    const contexts = () => Promise.all(clusterIds.map((id: string) => ok(`/api/clusters/${id}/context`)))
    const cutoffDay = new Date(cutoff).toISOString().slice(0, 10)
    const oldDays = (cs: any[]) => cs.flatMap(c => c.data.history.days.filter((d: any) => d.day < cutoffDay))
    expect(oldDays(await contexts()).length).toBeGreaterThan(0)
    expect((await send('PATCH', '/api/projects/web', { retentionDays: 7 })).status).toBe(200)
    const logged = server.logs().length
    const outcome = await send('POST', '/api/settings/retention', {})
    expect(outcome.status).toBe(200)
    // the embedded database vacuums every table after the deletes and checkpoints (services/upkeep.ts); Postgres's
    // autovacuum and checkpointer do there
    if (process.env.TEST_DATABASE_URL) expect(server.logs()).not.toMatch(/embedded database upkeep/)
    else {
      expect(server.logs().slice(logged)).toMatch(/embedded database upkeep: vacuumed and analyzed \d+ tables/)
      expect(server.logs().slice(logged)).toMatch(/embedded database upkeep: checkpoint after \d+ MB of write-ahead log/)
    }
    expect(outcome.body.projects).toEqual([{ slug: 'web', retentionDays: 7, runsDeleted: old.length, webhookDeliveriesDeleted: 0, resultPropertiesDeleted: 0 }])
    const after = await all(c => ok(`/api/projects/web/runs?limit=100${c ? `&cursor=${c}` : ''}`))
    expect(after.map(r => r.id)).toEqual(before.filter(r => Date.parse(r.startedAt) >= cutoff).map(r => r.id))
    const project = await ok('/api/projects/web')
    expect(project.runCount).toBe(after.length)
    expect(project.latestRun?.id ?? null).toBe(after[0]?.id ?? null)
    expect((await get(`/api/runs/${old[0].id}`)).status).toBe(404)
    // the clusters' run history (the per-run rollup) lost the deleted runs with them
    const gone = new Set(old.map(r => r.id))
    const kept = await contexts()
    expect(oldDays(kept)).toEqual([])
    expect(kept.flatMap(c => c.data.history.runs.filter((r: any) => gone.has(r.runId)))).toEqual([])
    expect(await ok('/api/projects/web/trends?days=90')).toEqual(trendsBefore)
    expect((await send('POST', '/api/settings/retention', {})).body.runsDeleted).toBe(0)
  })

  it('retention drops a month of results whole once every project\'s days are past it; a backfilled run gets its month', async () => {
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const at = new Date(Date.now() - 800 * 86_400_000)
    const month = at.toISOString().slice(0, 7)
    const retried = '<testcase classname="old" name="retried" time="0.1"><flakyFailure message="skewed clock">Error: skewed clock</flakyFailure></testcase>'
    const report = `<?xml version="1.0"?><testsuite name="old" tests="2"><testcase classname="old" name="kept" time="0.1"/>${retried}</testsuite>`
    const old = await upload(server, [{ name: 'junit.xml', content: report }], { key, query: { project: 'web', startedAt: at.toISOString(), runKey: 'backfill' } })
    expect(old.status, JSON.stringify(old.body).slice(0, 300)).toBeLessThan(300)
    const stored = await ok(`/api/runs/${old.body.runId}?status=all`)
    expect(stored.results.items.map((r: any) => [r.title, r.attempts]).sort()).toEqual([['kept', 1], ['retried', 2]])
    const context = () => ok(`/api/clusters/${old.body.newClusters[0].id}/context`)
    expect((await context()).data.history).toMatchObject({ runsTotal: 1, runs: [{ runId: old.body.runId, hits: 1 }] })
    // a month goes whole only when no project keeps it: one project without retention (web here) keeps every month
    const slugs = (await ok('/api/projects')).map((p: any) => p.slug)
    for (const slug of slugs) {
      expect((await send('PATCH', `/api/projects/${slug}`, { retentionDays: slug === 'web' ? null : 400 })).status).toBe(200)
    }
    expect((await send('POST', '/api/settings/retention', {})).body.monthsDropped).toEqual([])
    expect((await get(`/api/runs/${old.body.runId}`)).status).toBe(200)
    expect((await send('PATCH', '/api/projects/web', { retentionDays: 400 })).status).toBe(200)
    const runsBefore = (await ok('/api/projects/web')).runCount
    const outcome = await send('POST', '/api/settings/retention', {})
    expect(outcome.body.monthsDropped).toContain(month)
    expect(outcome.body.projects.find((p: any) => p.slug === 'web').runsDeleted).toBe(1)
    expect((await get(`/api/runs/${old.body.runId}`)).status).toBe(404)
    expect((await ok('/api/projects/web')).runCount).toBe(runsBefore - 1)
    expect((await context()).data.history).toMatchObject({ runsTotal: 0, runs: [], days: [], branches: [] })
    expect((await send('POST', '/api/settings/retention', {})).body).toMatchObject({ runsDeleted: 0, monthsDropped: [] })
    // a start years ahead (a wrong clock, a typo) would be the project's latest run for years: refused when asked for,
    // and a report's own is replaced by the upload's time, which the receipt says
    const ahead = new Date(Date.now() + 5 * 365 * 86_400_000).toISOString()
    const future = await upload(server, [{ name: 'junit.xml', content: report }], { key, query: { project: 'web', startedAt: ahead, runKey: 'ahead' } })
    expect(future.status).toBe(400)
    expect(future.body.message).toMatch(/startedAt is more than 24 hours ahead of the server's clock/)
    // and one at or before 1970 (year 2 read back as 1902 once, and the runs list then paged in a loop)
    for (const early of ['0002-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1969-07-20T20:17:00Z']) {
      const refused = await upload(server, [{ name: 'junit.xml', content: report }], { key, query: { project: 'web', startedAt: early, runKey: 'early' } })
      expect(refused.status).toBe(400)
      expect(refused.body.message).toBe('startedAt is at or before 1970-01-01: give the time the run started.')
    }
    const stamped = report.replace('<testsuite name="old"', `<testsuite name="old" timestamp="${ahead.slice(0, 19)}"`)
    const before = Date.now()
    const clocked = await upload(server, [{ name: 'junit.xml', content: stamped }], { key, query: { project: 'web', runKey: 'ahead' } })
    expect(clocked.status, JSON.stringify(clocked.body).slice(0, 300)).toBe(201)
    expect(clocked.body.rejected).toEqual([{ item: `the report's start ${ahead.slice(0, 19)}.000Z`, reason: expect.stringMatching(/starts when it was uploaded/) }])
    const moved = await ok(`/api/runs/${clocked.body.runId}?status=all`)
    expect(Date.parse(moved.startedAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(moved.startedAt)).toBeLessThanOrEqual(Date.now())
    expect(moved.results.items).toHaveLength(2)
    // a report's own start 9 hours ahead (jest-junit's zone-less local time on a runner in UTC+9) is not taken either
    const local = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 19)
    const zoneless = await upload(server, [{ name: 'junit.xml', content: report.replace('<testsuite name="old"', `<testsuite name="old" timestamp="${local}"`) }],
      { key, query: { project: 'web', runKey: 'zoneless' } })
    expect(zoneless.body.rejected).toEqual([{ item: `the report's start ${local}.000Z`,
      reason: 'it is 9 hours ahead of the server\'s clock (a local time written without its zone?); the run starts when it was uploaded instead.' }])
    expect(Date.parse((await ok(`/api/runs/${zoneless.body.runId}`)).startedAt)).toBeLessThanOrEqual(Date.now())
    // the query's start within the day ahead is taken as given: the uploader said so
    const soon = new Date(Date.now() + 10 * 3_600_000).toISOString()
    const near = await upload(server, [{ name: 'junit.xml', content: report }], { key, query: { project: 'web', startedAt: soon, runKey: 'soon' } })
    expect(near.status).toBe(201)
    expect((await ok(`/api/runs/${near.body.runId}`)).startedAt).toBe(soon)
  })
})

describe('a filtered runs list past 1,000 matches', () => {
  let server: TestServer

  afterAll(async () => {
    await server?.stop()
  })

  it('counts 1,000 runs that match and says there are more, on every page of them', async () => {
    server = await startServer()
    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    const first = await upload(server, [{ name: 'junit.xml', content: '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>' }], {
      key, query: { project: 'many-runs', branch: 'main', runKey: 'uploaded' },
    })
    expect(first.status, JSON.stringify(first.body)).toBe(201)
    // 1,000 more passed runs on main and one on another branch, in SQL (an upload each would take minutes); on the
    // embedded database only while the server is stopped
    const base = Date.now()
    const insert = `insert into runs (project_id, run_key, number, branch, status, format, started_at)
      select p.id, 'sql-' || g, g + 1, case when g = 1001 then 'other' else 'main' end, 'passed', 'junit',
        to_timestamp(${base / 1000}) - g * interval '1 minute'
      from projects p, generate_series(1, 1001) g where p.slug = 'many-runs'`
    if (process.env.TEST_DATABASE_URL) await queryDb(server.env, insert)
    else {
      await server.kill()
      await queryDb(server.env, insert)
      server = await startServer(server.env)
    }
    const list = async (q: string) => {
      const res = await fetch(`${server.url}/api/projects/many-runs/runs?${q}`, { headers: { cookie } })
      expect(res.status).toBe(200)
      return await res.json() as { items: unknown[], nextCursor: string | null, matching?: number, matchingCapped?: true }
    }
    // 1,001 on main: counted up to 1,000, with more said; the page itself is what was asked for
    const main = await list('branch=main&limit=100')
    expect(main).toMatchObject({ matching: 1000, matchingCapped: true })
    expect(main.items).toHaveLength(100)
    expect(await list(`branch=main&limit=100&cursor=${encodeURIComponent(main.nextCursor!)}`)).toMatchObject({ matching: 1000, matchingCapped: true })
    // 1,002 passed in all; exactly 1,000 is no more than counted; one on the other branch
    expect(await list('status=passed&limit=1')).toMatchObject({ matching: 1000, matchingCapped: true })
    const since = encodeURIComponent(new Date(base - 999.5 * 60_000).toISOString())
    const exact = await list(`branch=main&since=${since}&limit=1`)
    expect(exact.matching).toBe(1000)
    expect(exact).not.toHaveProperty('matchingCapped')
    expect(await list('branch=other')).toMatchObject({ matching: 1, items: [expect.anything()] })
    expect(await list('branch=other')).not.toHaveProperty('matchingCapped')
  }, 120_000)
})
