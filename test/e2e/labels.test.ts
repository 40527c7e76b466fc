import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { callTool, createKey, login, upload } from './client'

/**
 * Labels as CI produces them, through the API: a test broken on main for many runs while a feature branch, uploaded
 * between main runs and last of all, passes it; one failing 3 of 3 runs since it was added; one new; one that
 * passes on retry with its own error while an infrastructure outage crashed it last. The window is 5 results, so
 * main's streak outgrows it and failingSince must come from before the window.
 */
type Outcome = 'pass' | 'fail' | 'retry' | 'refail' | 'infra' | 'skip'
const FILLERS = Array.from({ length: 8 }, (_, i) => `filler ${i}`)
const OWN_ERROR = 'expected status 200 but got 503 from /orders'

function junit(outcomes: Record<string, Outcome>): string {
  const cases = Object.entries(outcomes).map(([t, o]) => {
    const open = `<testcase classname="labels.Suite" name="${t}" time="0.1">`
    if (o === 'pass') return `${open}</testcase>`
    if (o === 'skip') return `${open}<skipped message="disabled"/></testcase>`
    if (o === 'retry') return `${open}<flakyFailure message="${OWN_ERROR}" type="AssertionError">at Suite.orders(Suite.java:12)</flakyFailure></testcase>`
    // failed, and failed its rerun too (Surefire's rerunFailure): failed for good
    if (o === 'refail') return `${open}<failure message="expected 3 items but found 0" type="AssertionError">at Suite.cart(Suite.java:40)</failure><rerunFailure message="expected 3 items but found 0" type="AssertionError">at Suite.cart(Suite.java:40)</rerunFailure></testcase>`
    if (o === 'infra') return `${open}<error message="Connection to db:5432 refused" type="PSQLException">PSQLException: Connection to db:5432 refused</error></testcase>`
    return `${open}<failure message="expected 3 items but found 0" type="AssertionError">at Suite.cart(Suite.java:40)</failure></testcase>`
  })
  return `<?xml version="1.0"?><testsuite name="labels">${cases.join('')}</testsuite>`
}

describe('flaky labels, reasons and failing since', () => {
  let server: TestServer
  let cookie: string
  let ingestKey: string
  let readKey: string
  const runIds: Record<string, string> = {}
  /** A SHA per run name: main-4 → 004aaaa…, feat-15 → 115aaaa… (its short form is the first seven characters). */
  const commit = (name: string) => {
    const [branch, n] = name.split('-')
    return `${String((branch === 'main' ? 0 : 100) + Number(n)).padStart(3, '0')}${'a'.repeat(37)}`
  }
  /** Uploads a run of `project` (or a shard of one: a runKey sent before) started at `hour` on day `day` of November 2026. */
  const sendTo = async (project: string, runKey: string, outcomes: Record<string, Outcome>,
    at: { day: number, hour: number, commit: string, branch?: string, file?: string }) => {
    const res = await upload(server, [{ name: at.file ?? 'TEST-labels.xml', content: junit(outcomes) }], {
      key: ingestKey,
      query: { project, branch: at.branch ?? 'main', commit: at.commit, runKey, startedAt: new Date(Date.UTC(2026, 10, at.day, at.hour)).toISOString() },
    })
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    return res.body
  }
  const send = async (name: string, branch: string, hour: number, outcomes: Record<string, Outcome>) => {
    runIds[name] = (await sendTo('labels', name, outcomes, { day: 1, hour, branch, commit: commit(name) })).runId
  }
  const mainRun = (n: number): Record<string, Outcome> => ({
    ...Object.fromEntries(FILLERS.map(f => [f, 'pass' as const])),
    'cart broken': n <= 3 ? 'pass' : 'fail',
    'orders flaky': n % 3 === 2 ? 'retry' : 'pass',
    ...(n >= 13 ? { 'checkout added broken': 'fail' as const } : {}),
    ...(n >= 14 ? { 'search added': 'pass' as const } : {}),
    'always skipped': 'skip',
    'skipped lately': n <= 10 ? 'pass' : 'skip',
  })
  const rest = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { cookie } })
    expect(res.status, path).toBe(200)
    return await res.json() as any
  }
  const mcp = (name: string, args: Record<string, unknown>) => callTool(server, readKey, name, args)
  const flaky = async (label: string) => (await rest(`/api/projects/labels/flaky-tests?label=${label}&limit=100`)).items as any[]
  const byTitle = async (label = 'any') => Object.fromEntries((await flaky(label)).map(t => [t.title, t]))

  beforeAll(async () => {
    server = await startServer({ PROOFDECK_FLAKY_WINDOW: '5' })
    cookie = await login(server)
    ingestKey = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
    for (let n = 1; n <= 15; n++) {
      await send(`main-${n}`, 'main', n * 2, mainRun(n))
      // the feature branch runs between main's runs and passes the test main is failing
      if (n % 3 === 0) await send(`feat-${n}`, 'feat/x', n * 2 + 1, { ...mainRun(n), 'cart broken': 'pass' })
    }
    const outage = Object.fromEntries(Object.entries(mainRun(16)).map(([t, o]) => [t, o === 'skip' ? o : 'infra' as const]))
    await send('main-16', 'main', 32, { ...outage, 'filler 0': 'pass' })
    await send('feat-17', 'feat/x', 33, { ...mainRun(17), 'cart broken': 'pass' })
  })
  afterAll(() => server?.stop())

  it('labels a test broken from main\'s streak though a feature branch passed it last, failing since the run that broke it', async () => {
    const t = (await byTitle('broken'))['cart broken']
    expect(t).toMatchObject({
      label: 'broken', branch: 'main', score: 0,
      failingSince: { runId: runIds['main-4'], commit: commit('main-4') },
      lastPassed: { runId: runIds['main-3'], commit: commit('main-3') },
    })
    expect(t.reason).toMatch(/^failed every run on main since 004aaaa \(at least the last \d+\)$/)
  })

  it('labels a test that failed 3 of 3 runs broken, one with 2 runs new and a passing one stable, each with a reason', async () => {
    const tests = await byTitle('any')
    expect(tests['checkout added broken']).toMatchObject({
      label: 'broken', reason: `failed the last 3 runs on main since ${commit('main-13').slice(0, 7)}`,
      failingSince: { runId: runIds['main-13'] }, lastPassed: null,
    })
    // a new test is listed under `any` only once it shows signs of flakiness: search added failed in the outage alone
    expect(tests['search added']).toBeUndefined()
    const detail = (title: string) => testIn(runIds['main-15']!, title)
    expect(await detail('search added')).toMatchObject({ label: 'new', reason: 'only 2 runs on main so far', failingSince: null, lastPassed: null })
    expect(await detail('filler 1')).toMatchObject({ label: 'stable', reason: 'no failure in 5 runs on main', failingSince: null })
    // skipped results are not runs: a test skipped from its first upload on stays new, one skipped lately keeps its label
    expect(await detail('always skipped')).toMatchObject({ label: 'new', reason: 'no runs on main yet', score: 0 })
    expect(await detail('skipped lately')).toMatchObject({ label: 'stable', reason: 'no failure in 5 runs on main', score: 0 })
  })

  it('lists broken tests with score 0 under label any, and flaky ones with their reason', async () => {
    const any = await flaky('any')
    expect(any.map(t => t.title).sort()).toEqual(['cart broken', 'checkout added broken', 'orders flaky'])
    expect(any.find(t => t.title === 'orders flaky')).toMatchObject({ label: 'flaky', failingSince: null })
    expect(any.find(t => t.title === 'orders flaky').reason).toMatch(/^passed on retry in \d of 5 runs$/)
  })

  it('gives failingSince and lastPassed through /mcp in list_flaky_tests and get_test_case', async () => {
    const listed = await mcp('list_flaky_tests', { projectSlug: 'labels', label: 'broken' })
    const cart = listed.items.find((t: any) => t.title === 'cart broken')
    expect(cart).toMatchObject({ label: 'broken', failingSince: { runId: runIds['main-4'] }, lastPassed: { runId: runIds['main-3'] } })
    expect(cart.reason).toMatch(/since 004aaaa/)
    const one = await mcp('get_test_case', { testCaseId: cart.testCaseId })
    expect(one).toMatchObject({ label: 'broken', reason: cart.reason, failingSince: { runId: runIds['main-4'], commit: commit('main-4') } })
  })

  it('shows a flaky test\'s own typical error, not the infrastructure crash of its newest failure', async () => {
    const id = (await byTitle())['orders flaky'].testCaseId
    const t = await rest(`/api/test-cases/${id}`)
    expect(t.lastError.message).toBe(OWN_ERROR)
    // passed on retry in main-2, 5, 8, 11, 14 and feat-17; crashed in the outage of main-16
    expect(t.lastError.runId).toBe(runIds['feat-17'])
    expect(t.lastError).toMatchObject({ occurrences: 6, outOf: 6, infraFailures: 1 })
    // the summary's "failed in 6 runs" leaves the outage out and counts it apart, as the typical error does, here and in MCP
    expect([t.failedRuns + t.flakyRuns, t.outageRuns]).toEqual([t.lastError.outOf, t.lastError.infraFailures])
    expect((await mcp('get_test_case', { testCaseId: id })).lastError).toMatchObject({ occurrences: 6, outOf: 6, infraFailures: 1 })
    const page = await (await fetch(`${server.url}/tests/${id}`, { headers: { cookie } })).text()
    expect(page.replace(/<!--.*?-->/g, '').replace(/\s+/g, ' '))
      .toContain('seen in 6 of the last 6 runs it failed in, not counting 1 outage (most of the suite, or its shard or job, failed)')
    expect(page.replace(/<!--.*?-->/g, '').replace(/\s+/g, ' ')).toContain('failed in 6 runs (0 for good, 6 passed on retry), plus 1 in an outage')
    const history = await rest(`/api/test-cases/${id}?history=3`)
    expect(history.history.some((h: any) => h.errorMessage?.includes('refused'))).toBe(true)
  })

  it('points the cluster page\'s affected tests at where each broken test started failing', async () => {
    const clusters = (await rest('/api/projects/labels/clusters')).items as any[]
    const cart = clusters.find(c => /items but found/.test(c.title))
    const detail = await rest(`/api/clusters/${cart.id}`)
    const rows = Object.fromEntries(detail.affected.map((a: any) => [a.title, a]))
    expect(rows['cart broken'].failingSince).toMatchObject({ runId: runIds['main-4'] })
    expect(rows['checkout added broken'].failingSince).toMatchObject({ runId: runIds['main-13'] })
  })

  it('labels from the default branch\'s own window when feature branches fill the newest results', async () => {
    // three feature runs after each main run: the newest 10 results (twice the window) hold 2 of main's, so the
    // label's 5 come from the look further back on main alone
    const login = (fails: boolean): Record<string, Outcome> => ({
      ...Object.fromEntries(FILLERS.map(f => [f, 'pass' as const])), login: fails ? 'fail' : 'pass',
    })
    const sendBusy = async (name: string, branch: string, hour: number, fails: boolean) => {
      const at = { day: 5, hour, branch, commit: commit(name), file: 'TEST-busy.xml' }
      runIds[`busy-${name}`] = (await sendTo('busy-feature', `busy-${name}`, login(fails), at)).runId
    }
    for (let n = 1; n <= 6; n++) {
      await sendBusy(`main-${n}`, 'main', n * 4, n >= 3)
      for (let f = 1; f <= 3; f++) await sendBusy(`feat-${n * 3 + f}`, 'feat/y', n * 4 + f, false)
    }
    const items = (await rest('/api/projects/busy-feature/flaky-tests?label=broken&limit=100')).items as any[]
    expect(items.map(t => t.title)).toEqual(['login'])
    expect(items[0]).toMatchObject({
      label: 'broken', branch: 'main', sample: 5,
      reason: `failed the last 4 runs on main since ${commit('main-3').slice(0, 7)}`,
      failingSince: { runId: runIds['busy-main-3'] }, lastPassed: { runId: runIds['busy-main-2'] },
    })
  })

  it('scores the pass after a lone failure: a flip, or on a re-run of the same commit a flake, not a stale "failed the last run"', async () => {
    const send = async (project: string, n: number, outcome: Outcome, commitOf = n) => {
      const outcomes = { ...Object.fromEntries(FILLERS.map(f => [f, 'pass' as const])), pay: outcome }
      return (await sendTo(project, `${project}-${n}`, outcomes, { day: 6, hour: n, commit: commit(`main-${commitOf}`), file: 'TEST-pay.xml' })).runId as string
    }
    const failOnce = async (project: string) => {
      for (let n = 1; n <= 6; n++) await send(project, n, 'pass')
      const failed = await send(project, 7, 'fail')
      const pay = async () => testIn(failed, 'pay')
      expect(await pay()).toMatchObject({ label: 'stable', reason: 'failed the last 1 run of 5 on main, too few in a row to call it broken' })
      return { failed, pay }
    }
    // the next commit passes: the failure was a burst of one
    const burst = await failOnce('one-flip')
    await send('one-flip', 8, 'pass')
    const flipped = await burst.pay()
    expect(flipped).toMatchObject({ label: 'stable', flips: 1, score: 0.2, reason: 'passing on main; 1 of the last 5 runs failed, not in a flaky pattern' })
    expect(flipped.evidence).toMatchObject([{ runId: burst.failed, kind: 'flip' }])
    // CI re-runs the failed job on the same commit and it passes: direct evidence
    const rerun = await failOnce('rerun-passes')
    await send('rerun-passes', 8, 'pass', 7)
    const mixed = await rerun.pay()
    // one failure, said once: not also "1 short failure burst" (it was counted in both)
    expect(mixed).toMatchObject({ label: 'flaky', mixedCommits: 1, flips: 0, reason: 'failed and passed on the same commit once' })
    expect(mixed.evidence).toMatchObject([{ runId: rerun.failed, kind: 'same-commit-mixed' }])
  })

  it('names the branch a flake was seen on, not main where the test failed for good, in the flaky list and list_flaky_tests', async () => {
    // a pull request's run fails `pay` and passes it on retry; main then fails it for good: the pull request merged
    // fast-forward (main runs its very commit) and failed pay and its rerun, or main's job has no retries and failed
    // it once, the next commit passing. Either way main's own results are no flake (one isolated failure is not)
    const send = async (project: string, hour: number, branch: string, pay: Outcome, sha: string) =>
      sendTo(project, `${project}-${hour}`, { ...Object.fromEntries(FILLERS.map(f => [f, 'pass' as const])), pay },
        { day: 8, hour, branch, commit: commit(sha), file: 'TEST-pay.xml' })
    const cases: [string, [string, Outcome, string][]][] = [
      ['merged-flake', [['feat/pay', 'retry', 'feat-9'], ['main', 'refail', 'feat-9'], ['main', 'pass', 'main-10']]],
      ['no-retry-main', [['feat/pay', 'retry', 'feat-9'], ['main', 'fail', 'main-9'], ['main', 'pass', 'main-10']]],
    ]
    for (const [project, last] of cases) {
      for (let n = 1; n <= 5; n++) await send(project, n, 'main', 'pass', `main-${n}`)
      for (const [i, [branch, outcome, sha]] of last.entries()) await send(project, 6 + i, branch, outcome, sha)
      const listed = (await rest(`/api/projects/${project}/flaky-tests`)).items as any[]
      expect(listed.map(t => [t.title, t.label, t.branch]), project).toEqual([['pay', 'flaky', 'feat/pay']])
      const tool = await mcp('list_flaky_tests', { projectSlug: project })
      expect(tool.items.map((t: any) => [t.title, t.branch]), project).toEqual([['pay', 'feat/pay']])
      expect(tool.items[0].reason).toBe(listed[0].reason)
    }
  })

  it('rescores the whole run when a shard turns it into an outage or out of one', async () => {
    const suite = Array.from({ length: 12 }, (_, i) => `suite ${i}`)
    const extra = Array.from({ length: 30 }, (_, i) => `extra ${i}`)
    const send = async (project: string, n: number, file: string, outcomes: Record<string, Outcome>) =>
      sendTo(project, `${project}-${n}`, outcomes, { day: 7, hour: n, commit: commit(`main-${n}`), file })
    const all = (titles: string[], outcome: Outcome, failing: string[] = []) =>
      Object.fromEntries(titles.map(t => [t, failing.includes(t) ? 'infra' as const : outcome]))
    for (const project of ['outage-lifted', 'outage-found']) {
      for (let n = 1; n <= 6; n++) await send(project, n, 'TEST-a.xml', all(suite, 'pass'))
    }
    // 8 of 12 refused, in two shards of 6 (neither an outage by itself: too few tests): the run turns into an outage,
    // which scores nobody, with the second; the third shard's 30 passes make it 8 of 42, a counted run
    const half = (from: number, down: number) =>
      Object.fromEntries(suite.slice(from, from + 6).map((t, i) => [t, i < down ? 'infra' as const : 'pass' as const]))
    const failedOnce = { label: 'stable', reason: 'failed the last 1 run of 5 on main, too few in a row to call it broken' }
    const lifted = await send('outage-lifted', 7, 'TEST-a.xml', half(0, 5))
    expect(await testIn(lifted.runId, 'suite 0')).toMatchObject(failedOnce)
    await send('outage-lifted', 7, 'TEST-a2.xml', half(6, 3))
    expect(await testIn(lifted.runId, 'suite 0')).toMatchObject({ label: 'stable', reason: 'no failure in 5 runs on main' })
    expect((await send('outage-lifted', 7, 'TEST-b.xml', all(extra, 'pass'))).merged.shards).toBe(3)
    expect(await testIn(lifted.runId, 'suite 0')).toMatchObject(failedOnce)
    // the other way: one failure of 12 counts, until the second shard's 30 refused make the run an outage
    const found = await send('outage-found', 7, 'TEST-a.xml', all(suite, 'pass', ['suite 0']))
    expect(await testIn(found.runId, 'suite 0')).toMatchObject({ reason: failedOnce.reason })
    await send('outage-found', 7, 'TEST-b.xml', all(extra, 'infra'))
    expect(await testIn(found.runId, 'suite 0')).toMatchObject({ label: 'stable', reason: 'no failure in 5 runs on main' })
  })

  it('relabels rows stored before reasons existed at start, walking back past the window for failingSince', async () => {
    await server.kill()
    const n = (await queryDb<{ n: number }>(server.env, `select count(*)::int as n from test_cases`))[0]!.n
    await queryDb(server.env, `update test_cases set flaky_label = 'stable', flaky_reason = null, flaky_score = 0, failing_since = null, last_passed = null`)
    server = await restart(server)
    cookie = await login(server)
    const tests = await byTitle('any')
    expect(tests['cart broken']).toMatchObject({
      label: 'broken', failingSince: { runId: runIds['main-4'] }, lastPassed: { runId: runIds['main-3'] },
    })
    expect(tests['checkout added broken']).toMatchObject({ label: 'broken' })
    expect(server.logs()).toContain(`relabelled ${n} test case(s)`)
  })

  /** The test case id of a title, read from a run it ran in through the API (PGlite cannot be opened while the server runs). */
  async function caseId(title: string, runId = runIds['main-15']): Promise<string> {
    const run = await rest(`/api/runs/${runId}?status=all&limit=100`)
    return run.results.items.find((r: any) => r.title === title).testCaseId
  }

  /** A test's page (its label, reason and evidence), found through a run it ran in. */
  async function testIn(runId: string, title: string) {
    return rest(`/api/test-cases/${await caseId(title, runId)}`)
  }
})

/** The same database, a new process: what an upgrade does. */
async function restart(old: TestServer): Promise<TestServer> {
  const next = await startServer(old.env)
  return { ...next, stop: async () => {
    await next.kill()
    await old.stop()
  } }
}
