import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FINGERPRINT_VERSION } from '../../server/analysis/fingerprint'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/**
 * Clusters and flakiness as CI produces them: a suite of twelve tests uploaded run after run, with one test that
 * passes on retry now and then, one that breaks at a commit with messages whose numbers vary, and one run where
 * the database was down for nearly everyone.
 */
type Outcome = 'pass' | 'retry-pass' | 'fail' | 'infra'
const TESTS = Array.from({ length: 12 }, (_, i) => `test ${String(i).padStart(2, '0')}`)

function junit(outcomes: Record<string, Outcome>, n: number): string {
  const cases = TESTS.map((t) => {
    const o = outcomes[t] ?? 'pass'
    const open = `<testcase classname="com.acme.Suite${TESTS.indexOf(t) % 3}" name="${t}" time="0.1">`
    if (o === 'pass') return `${open}</testcase>`
    if (o === 'retry-pass') return `${open}<flakyFailure message="expected: &lt;PAID&gt; but was: &lt;PENDING&gt;" type="org.opentest4j.AssertionFailedError">at com.acme.Suite.t(Suite.java:${40 + n})</flakyFailure></testcase>`
    if (o === 'infra') return `${open}<error message="Connection to localhost:${5432 + (n % 3)} refused" type="org.postgresql.util.PSQLException">org.postgresql.util.PSQLException: Connection to localhost:${5432 + (n % 3)} refused\n\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:${300 + n})</error></testcase>`
    return `${open}<failure message="Cannot invoke &quot;Invoice.getTotal()&quot; because &quot;invoice&quot; is null" type="java.lang.NullPointerException">java.lang.NullPointerException: Cannot invoke "Invoice.getTotal()" because "invoice" is null\n\tat com.acme.InvoiceService.finalise(InvoiceService.java:${80 + n})</failure></testcase>`
  })
  return `<?xml version="1.0"?><testsuite name="suite">${cases.join('')}</testsuite>`
}

/**
 * A monorepo whose packages each have a tests/cart.spec.ts failing with other numbers, run on two CI machines that
 * check out at different roots: Playwright's JSON (the test's file relative to its root, frames absolute) and Jest's
 * JUnit (jest-junit names no file; the runner's node_modules frames show the root).
 */
const PACKAGES = ['storefront', 'admin']
const CHECKOUTS = ['/home/runner/work/shop/shop', '/builds/acme/shop']
const toBe = (expected: number) => `Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: ${expected}\nReceived: ${expected - 1}`
const cartSpec = (p: string) => `packages/${p}/tests/cart.spec.ts`
const MONOREPO: Record<string, { name: string, report: (root: string, n: number) => string }> = {
  'monorepo-playwright': {
    name: 'results.json',
    report: (root, n) => JSON.stringify({ config: {}, stats: {}, suites: PACKAGES.map((p, i) => ({
      title: cartSpec(p), file: cartSpec(p), specs: [{
        title: 'adds shipping', file: cartSpec(p), line: 12, tests: [{
          projectName: 'chromium', expectedStatus: 'passed', status: 'unexpected', results: [{
            status: 'failed', duration: 100, retry: 0,
            error: { message: toBe(n * 10 + i + 3), stack: `${toBe(n * 10 + i + 3)}\n    at ${root}/${cartSpec(p)}:14:25` },
          }],
        }],
      }],
    })) }),
  },
  'monorepo-jest': {
    name: 'junit.xml',
    report: (root, n) => `<?xml version="1.0"?><testsuites name="jest tests">${PACKAGES.map((p, i) => `<testsuite name="${cartSpec(p)}" tests="1">
<testcase classname="cart adds shipping" name="cart adds shipping" time="0.004"><failure>${toBe(n * 10 + i + 3)}
    at Object.toBe (${root}/${cartSpec(p)}:14:25)
    at Promise.then.completed (${root}/node_modules/jest-circus/build/utils.js:298:28)</failure></testcase></testsuite>`).join('')}</testsuites>`,
  },
}

describe('analysis at ingest', () => {
  let server: TestServer
  let key: string
  let cookie: string
  const receipts: any[] = []
  /** The answer of each triage step (see beforeAll), for the tests that check them. */
  const step = {} as Record<'resolved' | 'regressed' | 'merged' | 'aliased', { status: number, body: any }>
  const send = async (n: number, outcomes: Record<string, Outcome>, commit = `c${String(n).padStart(39, '0')}`) => {
    const res = await upload(server, [{ name: 'TEST-suite.xml', content: junit(outcomes, n) }], {
      key, query: { project: 'analysis', branch: 'main', commit, runKey: `run-${n}`, startedAt: new Date(Date.UTC(2026, 9, 1, n)).toISOString() },
    })
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    receipts[n] = res.body
    return res.body
  }
  const patch = async (clusterId: string, body: object) => {
    const res = await fetch(`${server.url}/api/clusters/${clusterId}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', cookie, 'origin': server.url }, body: JSON.stringify(body),
    })
    return { status: res.status, body: await res.json() as any }
  }

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    // The history every test reads, sent once: green, then tests 03 and 04 broken (07 passing on retry in runs 7
    // and 8), an outage in run 9, broken again in 10 to 12.
    for (let n = 1; n <= 4; n++) await send(n, {})
    for (const n of [5, 6]) await send(n, { 'test 03': 'fail', 'test 04': 'fail' })
    for (const n of [7, 8]) await send(n, { 'test 03': 'fail', 'test 04': 'fail', 'test 07': 'retry-pass' })
    await send(9, Object.fromEntries(TESTS.slice(0, 10).map(t => [t, 'infra' as const])))
    for (let n = 10; n <= 12; n++) await send(n, { 'test 03': 'fail', 'test 04': 'fail' })
    // Then triage: run 5's cluster resolved and failing again in run 13; the outage's cluster merged into it, where
    // run 14's outage failure lands.
    const target = receipts[5].newClusters[0].id
    step.resolved = await patch(target, { status: 'resolved', note: 'null check added in #123' })
    await send(13, { 'test 03': 'fail' })
    step.regressed = await patch(target, { note: null })
    step.merged = await patch(target, { mergeClusterId: receipts[9].newClusters[0].id })
    await send(14, { 'test 05': 'infra' })
    step.aliased = await patch(target, { note: 'one cause' })
  })
  afterAll(() => server?.stop())

  it('groups failures whose volatile parts differ into one cluster, created once and reported in the receipt', () => {
    expect(receipts[5].newClusters).toHaveLength(1)
    expect(receipts[5].newClusters[0]).toMatchObject({ occurrences: 2 })
    expect(receipts[6].newClusters).toEqual([])
  })

  it('flags a test that passes on retry as newly flaky, once, named as the lists name it', () => {
    // `title` the whole label, as receipts always said; `name` the list's (the class, not the suites and package)
    expect(receipts[7].newlyFlaky).toEqual([expect.objectContaining({ title: 'suite › com.acme.Suite1 › test 07', name: 'Suite1 › test 07', variant: null })])
    expect(receipts[8].newlyFlaky).toEqual([])
  })

  it('does not make anyone flaky from an infrastructure outage, and files its failures as infrastructure', () => {
    expect(receipts[9].counts.errored).toBe(10)
    // the receipt says so, for the CLI's summary to say it first
    expect([receipts[9].infrastructure, receipts[8].infrastructure]).toEqual([true, false])
    expect(receipts[9].newClusters).toEqual([expect.objectContaining({ category: 'infrastructure', occurrences: 10 })])
    for (let n = 10; n <= 12; n++) expect(receipts[n].newlyFlaky, `run ${n}`).toEqual([])
  })

  it('re-sending a run changes nothing', async () => {
    const again = await upload(server, [{ name: 'TEST-suite.xml', content: junit({ 'test 03': 'fail', 'test 04': 'fail' }, 12) }], {
      key, query: { project: 'analysis', branch: 'main', commit: `c${'12'.padStart(39, '0')}`, runKey: 'run-12', startedAt: new Date(Date.UTC(2026, 9, 1, 12)).toISOString() },
    })
    expect(again.status).toBe(200)
    expect({ ...again.body, files: [] }).toEqual({ ...receipts[12], files: [] })
    expect(again.body.files).toEqual([expect.objectContaining({ status: 'duplicate' })])
  })

  it('a resolved cluster that fails again is regressed, with a note; viewers and bad input are refused', async () => {
    const clusterId = receipts[5].newClusters[0].id
    expect(step.resolved.status).toBe(200)
    expect(step.resolved.body).toMatchObject({ status: 'resolved', statusNote: 'null check added in #123', occurrences: 14 })
    expect((await patch(clusterId, { status: 'regressed' })).status).toBe(400)
    expect((await patch(clusterId, {})).status).toBe(400)
    expect((await patch('00000000-0000-4000-8000-000000000000', { status: 'open' })).status).toBe(404)
    expect(step.regressed.body.status).toBe('regressed')
    expect(step.regressed.body.occurrences).toBe(15)
  })

  it('merging two clusters by hand keeps the merged fingerprint as an alias: its next failure lands in the target', async () => {
    expect(step.merged.status).toBe(200)
    expect(step.merged.body.occurrences).toBe(25)
    const merged = receipts[9].newClusters[0].id
    expect((await patch(merged, { status: 'open' })).status).toBe(404)
    // the merged cluster's links (receipts, comments, issues) name where its failures went, and the page follows them
    const target = receipts[5].newClusters[0].id
    const gone = await fetch(`${server.url}/api/clusters/${merged}`, { headers: { cookie } })
    expect([gone.status, ((await gone.json()) as any).data]).toEqual([404, { code: 'cluster_merged', mergedInto: target }])
    const page = await fetch(`${server.url}/clusters/${merged}`, { headers: { cookie }, redirect: 'manual' })
    expect([page.status, page.headers.get('location')]).toEqual([302, `/clusters/${target}?mergedFrom=${merged}`])
    const outsider = await fetch(`${server.url}/api/clusters/${merged}`)
    expect(outsider.status).toBe(401)
    expect(receipts[14].newClusters).toEqual([])
    expect(step.aliased.body.occurrences).toBe(26)
  })

  it('lists what needs attention: new and regressed clusters, newly flaky tests', async () => {
    const res = await fetch(`${server.url}/api/attention?days=7`, { headers: { cookie } })
    expect(res.status).toBe(200)
    const body = await res.json() as any
    // these runs started in October: not news this week, however recently uploaded (test/e2e/attention.test.ts)
    expect(body).toMatchObject({ newClusters: [], regressedClusters: [], newlyFlaky: [] })
    expect((await fetch(`${server.url}/api/attention?days=0`, { headers: { cookie } })).status).toBe(400)
    expect((await fetch(`${server.url}/api/attention`)).status).toBe(401)
  })

  it('says how many runs a stable test passed, not the five that first made it stable', async () => {
    const run = await (await fetch(`${server.url}/api/runs/${receipts[14].runId}?status=all&limit=100`, { headers: { cookie } })).json() as any
    const detail = async (title: string) => {
      const res = await fetch(`${server.url}/api/test-cases/${run.results.items.find((r: any) => r.title === title).testCaseId}`, { headers: { cookie } })
      return await res.json() as any
    }
    // both passed runs 1-8 and 10-14; run 9 was an outage, which counts for no test, failed (test 00) or passed (test 11)
    for (const title of ['test 00', 'test 11']) {
      expect(await detail(title)).toMatchObject({ label: 'stable', reason: 'no failure in 13 runs on main', sample: 13, score: 0 })
    }
  })

  it('counts a stable test\'s runs on the branch it is labelled from when that is not the default branch', async () => {
    // a project whose tests never ran on main: nine green runs on one feature branch, one on another
    const sendTo = async (n: number, branch: string) => {
      const res = await upload(server, [{ name: 'TEST-suite.xml', content: junit({}, n) }], {
        key, query: { project: 'feature-only', branch, runKey: `feature-${n}`, startedAt: new Date(Date.UTC(2026, 9, 2, n)).toISOString() },
      })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body
    }
    for (let n = 1; n <= 9; n++) await sendTo(n, 'feat/checkout')
    const last = await sendTo(10, 'feat/search')
    const run = await (await fetch(`${server.url}/api/runs/${last.runId}?status=all&limit=100`, { headers: { cookie } })).json() as any
    const res = await fetch(`${server.url}/api/test-cases/${run.results.items.find((r: any) => r.title === 'test 05').testCaseId}`, { headers: { cookie } })
    // stable after five runs, when ingest stopped counting; read now, it counts the busiest branch's nine
    expect(await res.json()).toMatchObject({ label: 'stable', reason: 'no failure in 9 runs on feat/checkout', sample: 10, score: 0 })
  })

  it('keeps a monorepo\'s two packages\' files of one name apart, and one file from two CI machines together', async () => {
    for (const [project, { name, report }] of Object.entries(MONOREPO)) {
      const receipts = []
      for (const [n, root] of CHECKOUTS.entries()) {
        const res = await upload(server, [{ name, content: report(root, n) }], { key, query: { project, branch: 'main', runKey: `${project}-${n}` } })
        expect(res.status, JSON.stringify(res.body)).toBe(201)
        receipts.push(res.body)
      }
      expect(receipts.map(r => r.newClusters.length), project).toEqual([2, 0])
      const clusters = await (await fetch(`${server.url}/api/projects/${project}/clusters?limit=100`, { headers: { cookie } })).json() as any
      expect(clusters.items.map((c: any) => [c.location.replace(/^\/.*?\/packages\//, ''), c.occurrences, c.affectedTests]).sort(), project)
        .toEqual([['admin/tests/cart.spec.ts:14', 2, 1], ['storefront/tests/cart.spec.ts:14', 2, 1]])
    }
  })

  it('clusters a Go package\'s failures alike from go-junit-report and gotestsum, a parent failed by its subtest in none', async () => {
    // the review's real reports: a panic (go-junit-report writes it in the package's output), a subtest's assertion
    // under its parent, then the database down for every package, each test wrapping the dial error its own way
    const report = (name: string) => readFileSync(`${__dirname}/../fixtures/reports/${name}`, 'utf8')
    const groups: Record<string, [string | null, string[]][]> = {}
    const failures: Record<string, number[]> = {}
    const created: Record<string, number> = {}
    for (const name of ['gojunit-panic.xml', 'gotestsum-panic.xml', 'gojunit-outage.xml', 'gotestsum-outage.xml']) {
      const res = await upload(server, [{ name, content: report(name) }], { key, query: { project: 'go-ledger', branch: 'main', runKey: name } })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      groups[name] = res.body.failureGroups.groups.map((g: any) => [g.title, g.tests.map((t: any) => t.title).sort()])
      failures[name] = res.body.failureGroups.groups.map((g: any) => g.failures)
      created[name] = res.body.newClusters.length
    }
    const panic: [string | null, string[]][] = [
      ['runtime error: invalid memory address or nil pointer dereference', ['TestParseAmount']],
      ['rate EUR→USD: got <n>, want <n>', ['TestConvert/eur_to_usd']],
      [null, ['TestConvert']], // its own failure says nothing: listed without a cause, in no cluster
    ]
    expect(groups['gojunit-panic.xml']!.sort()).toEqual(panic.sort())
    expect(groups['gotestsum-panic.xml']!.sort()).toEqual(panic)
    expect(groups['gojunit-outage.xml']).toEqual([['dial tcp <host>: connect: connection refused', expect.any(Array)], [null, ['TestConvert', 'TestTransfer']]])
    expect(failures['gojunit-outage.xml']).toEqual([11, 2])
    expect(created).toEqual({ 'gojunit-panic.xml': 2, 'gotestsum-panic.xml': 0, 'gojunit-outage.xml': 1, 'gotestsum-outage.xml': 0 })
    const clusters = await (await fetch(`${server.url}/api/projects/go-ledger/clusters?limit=100`, { headers: { cookie } })).json() as any
    expect(clusters.items.map((c: any) => [c.title, c.category, c.occurrences]).sort()).toEqual([
      ['dial tcp <host>: connect: connection refused', 'infrastructure', 22], // most of each run failed: an outage
      ['rate EUR→USD: got <n>, want <n>', 'assertion', 2],
      ['runtime error: invalid memory address or nil pointer dereference', 'crash', 2],
    ])
  })

  it('keeps the rollups in the database consistent with what was sent', async () => {
    await server.kill()
    const cases = await queryDb(server.env, `select title, flaky_label, flaky_retry_passes, failed_runs from test_cases tc join projects p on p.id = tc.project_id where p.slug = 'analysis' order by title`)
    const byTitle = Object.fromEntries(cases.map(c => [c.title, c]))
    expect(byTitle['test 07']).toMatchObject({ flaky_label: 'flaky', flaky_retry_passes: 2 })
    // broken from run 5 to 13 (with the outage in between), green again in run 14: a regression, not a flake
    expect(byTitle['test 03']).toMatchObject({ flaky_label: 'stable', failed_runs: 9 })
    expect(cases.filter(c => c.flaky_label === 'flaky').map(c => c.title)).toEqual(['test 07'])
    const [infra] = await queryDb(server.env, `select count(*)::int as n from runs r join projects p on p.id = r.project_id where infra and p.slug = 'analysis'`)
    expect(infra!.n).toBe(1)
    const links = await queryDb(server.env, `select c.occurrences, (select sum(occurrences)::int from cluster_test_cases ct where ct.cluster_id = c.id) as linked,
      (select count(*)::int from test_results r where r.cluster_id = c.id) as stored from failure_clusters c where c.merged_into_id is null`)
    for (const l of links) expect([l.linked, l.stored]).toEqual([l.occurrences, l.occurrences])
    // ingest asked for diagnoses after each commit (reads never make one)
    const diagnosed = await queryDb(server.env, `select count(distinct cluster_id)::int as n from diagnoses`)
    expect(diagnosed[0]!.n).toBeGreaterThanOrEqual(2)
  })

  it('re-clusters stored failures after a fingerprint algorithm change, keeping the id, status and notes of each cluster', async () => {
    // Pretend every cluster was made by an older algorithm, then start the server again on the same database
    // (PGlite opens only while the server is stopped).
    await server.kill()
    await queryDb(server.env, `update failure_clusters set fingerprint = 'v0:' || substr(fingerprint, 4), fingerprint_version = 0`)
    await queryDb(server.env, `update cluster_aliases set fingerprint = 'v0:' || substr(fingerprint, 4)`)
    // and as if the process had stopped before the diagnoses ingest queued could run: the startup catches up
    await queryDb(server.env, `delete from diagnoses`)
    // and as version 5 left each monorepo's two packages' cart.spec.ts: one cluster of both
    const [mixed] = await queryDb(server.env, `with pair as (
        select fc.project_id, min(fc.id::text)::uuid as keep, max(fc.id::text)::uuid as gone
        from failure_clusters fc join projects p on p.id = fc.project_id where p.slug like 'monorepo-%' group by fc.project_id
      ), moved as (
        update test_results r set cluster_id = pair.keep from pair where r.cluster_id = pair.gone returning 1
      )
      delete from failure_clusters fc using pair where fc.id = pair.gone returning (select array_agg(keep order by keep) from pair) as ids`)
    const analysed = `select fc.id, fc.status, fc.status_note, fc.occurrences, fc.affected_tests from failure_clusters fc
      join projects p on p.id = fc.project_id where p.slug = 'analysis' and fc.merged_into_id is null order by fc.id`
    const before = await queryDb(server.env, analysed)
    const restarted = await startServer({ ...server.env })
    try {
      const deadline = Date.now() + 20_000
      while (!/re-clustered the failures of \d+ cluster/.test(restarted.logs()) && Date.now() < deadline) await new Promise(r => setTimeout(r, 100))
      expect(restarted.logs()).toMatch(/re-clustered the failures of 7 cluster\(s\)/) // 3 of them go-ledger's
      const adminCookie = await login(restarted)
      const latest = async (id: string) => (await (await fetch(`${restarted.url}/api/clusters/${id}/diagnosis`, { headers: { cookie: adminCookie } })).json() as any).latest ?? null
      for (const c of before.filter(c => c.occurrences > 0)) await expect.poll(() => latest(c.id), { timeout: 20_000 }).not.toBeNull()
    }
    finally {
      await restarted.kill()
    }
    const after = await queryDb(server.env, analysed)
    expect(after).toEqual(before)
    // each monorepo's cluster split in two again, one keeping its id
    const split = await queryDb(server.env, `select p.slug, fc.id, fc.location, fc.occurrences from failure_clusters fc
      join projects p on p.id = fc.project_id where p.slug like 'monorepo-%' and fc.merged_into_id is null order by p.slug, fc.location`)
    expect(split.map(c => [c.slug, c.location.replace(/^\/.*?\/packages\//, ''), c.occurrences])).toEqual(Object.keys(MONOREPO).sort()
      .flatMap(slug => [[slug, 'admin/tests/cart.spec.ts:14', 2], [slug, 'storefront/tests/cart.spec.ts:14', 2]]))
    expect(mixed!.ids.every((id: string) => split.some(c => c.id === id))).toBe(true)
    const versions = await queryDb(server.env, `select distinct fingerprint_version as v from failure_clusters where merged_into_id is null`)
    expect(versions).toEqual([{ v: FINGERPRINT_VERSION }])
    // the merged-in cluster's failures stay where a person put them, under both old and new fingerprints
    const aliases = await queryDb(server.env, `select fingerprint from cluster_aliases ca join projects p on p.id = ca.project_id
      where p.slug = 'analysis' order by fingerprint`)
    // (and test 07's retry-pass cluster, re-keyed like any other, keeps its old fingerprint as an alias too)
    expect(aliases.map(a => a.fingerprint.slice(0, 3))).toEqual(['v0:', 'v0:', 'v0:', ...Array(3).fill(`v${FINGERPRINT_VERSION}:`)])
  })
})

/**
 * A small Gradle module whose real regression fails half its tests, each with its own assertion: not an outage. Ten
 * tests in five classes; in the third run five of them fail, each on its own line of its own class.
 */
describe('a regression in a small module, told from an outage', () => {
  let server: TestServer
  let key: string
  let cookie: string
  const CLASSES = ['OrderTotalsTest', 'InvoiceTest', 'RefundTest', 'TaxTest', 'ShippingTest']
  const gradle = (failing: number, tests = 10) => {
    const cases = Array.from({ length: tests }, (_, i) => {
      const cls = `com.acme.orders.${CLASSES[i % CLASSES.length]}`
      const open = `<testcase name="case${i}()" classname="${cls}" time="0.02">`
      if (i >= failing) return `${open}</testcase>`
      const message = `expected: &lt;${100 + i}&gt; but was: &lt;${i}&gt;`
      return `${open}<failure message="${message}" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError: ${message}
\tat app//org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)
\tat app//org.junit.jupiter.api.AssertEquals.assertEquals(AssertEquals.java:150)
\tat app//${cls}.case${i}(${CLASSES[i % CLASSES.length]}.java:${20 + 7 * i})</failure></testcase>`
    })
    return `<?xml version="1.0"?><testsuite name="orders" tests="${tests}">${cases.join('')}</testsuite>`
  }
  const send = async (project: string, n: number, content: string) => {
    const res = await upload(server, [{ name: 'TEST-orders.xml', content }], {
      key, query: { project, branch: 'main', runKey: `${project}-${n}`, startedAt: new Date(Date.UTC(2026, 9, 3, n)).toISOString() },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body
  }

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
  })
  afterAll(() => server?.stop())

  it('calls 5 of 10 tests failing with five different assertions a failed run, not infrastructure, and scores them', async () => {
    for (const n of [1, 2]) await send('orders', n, gradle(0))
    const receipt = await send('orders', 3, gradle(5))
    expect(receipt).toMatchObject({ status: 'failed', infrastructure: false, counts: { tests: 10, failed: 5 } })
    expect(receipt.newClusters.map((c: any) => c.category)).toEqual(Array(5).fill('assertion'))
    const run = await (await fetch(`${server.url}/api/runs/${receipt.runId}?status=failed`, { headers: { cookie } })).json() as any
    expect(run.infra).toBe(false)
    // the failure counts for the test: three runs scored, the third a failure
    const failed = await (await fetch(`${server.url}/api/test-cases/${run.results.items[0].testCaseId}`, { headers: { cookie } })).json() as any
    expect(failed).toMatchObject({ sample: 3 })
    expect(failed.history[0]).toMatchObject({ status: 'failed' })
    // six of twelve, each with its own assertion: no outage either (run 9 above, ten refused connections, is one)
    expect((await send('orders-12', 1, gradle(6, 12))).infrastructure).toBe(false)
  })

  it('keeps an outage an outage when its CI job is retried under the run key: its tests passed on a retry, none newly flaky', async () => {
    const refused = (tests: number, down: number) => `<?xml version="1.0"?><testsuite name="pytest" tests="${tests}">${Array.from({ length: tests }, (_, i) =>
      `<testcase classname="tests.test_api" name="test_${i}" time="0.01">${i < down ? '<error message="ConnectionRefusedError: [Errno 111] Connection refused">E   ConnectionRefusedError: [Errno 111] Connection refused</error>' : ''}</testcase>`).join('')}</testsuite>`
    const upload1 = async (runKey: string, content: string) => {
      const res = await upload(server, [{ name: `${runKey}-${content.length}.xml`, content }], { key, query: { project: 'retried', branch: 'main', runKey } })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body
    }
    for (const n of [1, 2]) await upload1(`nightly-${n}`, refused(29, 0))
    expect(await upload1('nightly-3', refused(29, 20))).toMatchObject({ infrastructure: true, counts: { errored: 20 } })
    // "Retry" of the failed job: the same tests again, now passing, uploaded under the pipeline's key
    const retried = await upload1('nightly-3', refused(29, 0).replace('tests="29"', 'tests="29" time="1"'))
    expect(retried).toMatchObject({ status: 'passed', infrastructure: true, counts: { flaky: 20 }, newlyFlaky: [] })
  })

  it('judges an outage where it happened: a shard whose service died, its job re-run, makes no test flaky; a real flake beside it still is', async () => {
    // Playwright sharded 4 ways over 40 tests: shard 2's service container died (every page refused), its job re-run
    // passes; in shard 3 one test fails an assertion and passes on its retry
    const FILE = 'tests/pages.spec.ts'
    type Attempt = { status: string, duration: number, retry: number, error?: { message: string } }
    const passed: Attempt[] = [{ status: 'passed', duration: 50, retry: 0 }]
    const refused = (i: number): Attempt[] => [{ status: 'failed', duration: 5, retry: 0, error: { message: `Error: page.goto: net::ERR_CONNECTION_REFUSED at http://localhost:3000/pages/${i}` } }]
    const flake: Attempt[] = [{ status: 'failed', duration: 40, retry: 0, error: { message: toBe(3) } }, { status: 'passed', duration: 40, retry: 1 }]
    const report = (shard: number, outcome: (i: number) => Attempt[]) => JSON.stringify({ config: {}, stats: {}, suites: [{
      title: FILE, file: FILE, specs: Array.from({ length: 10 }, (_, k) => (shard - 1) * 10 + k).map((i) => {
        const results = outcome(i)
        const status = results.length > 1 ? 'flaky' : results[0]!.status === 'passed' ? 'expected' : 'unexpected'
        return { title: `page ${i}`, file: FILE, line: 3 + i, tests: [{ projectName: 'chromium', expectedStatus: 'passed', status, results }] }
      }),
    }] })
    const send = async (n: number, shard: number, content: string, ciAttempt = 1) => {
      const res = await upload(server, [{ name: `results-${shard}-${ciAttempt}.json`, content }], {
        key, query: {
          project: 'sharded', branch: 'main', runKey: `pw-${n}`, job: 'e2e', shard: `${shard}/4`, ciAttempt: String(ciAttempt),
          startedAt: new Date(Date.UTC(2026, 9, 5, n)).toISOString(),
        },
      })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body
    }
    for (let n = 1; n <= 5; n++) for (const shard of [1, 2, 3, 4]) await send(n, shard, report(shard, () => passed))
    await send(6, 1, report(1, () => passed))
    const outage = await send(6, 2, report(2, refused))
    expect(outage).toMatchObject({ counts: { failed: 10 }, newlyFlaky: [] })
    expect(outage.newClusters.map((c: any) => c.category)).toEqual(['infrastructure'])
    await send(6, 3, report(3, i => i === 25 ? flake : passed))
    // the run is not an outage once its shards are in (10 of 40 failed); the shard was, and its cause is filed as one
    expect(await send(6, 4, report(4, () => passed))).toMatchObject({ infrastructure: false, counts: { tests: 40, failed: 10, flaky: 1 } })
    const rerun = await send(6, 2, report(2, () => passed), 2)
    expect(rerun).toMatchObject({ status: 'passed', infrastructure: false, counts: { tests: 40, flaky: 11 } })
    expect(rerun.newlyFlaky.map((t: any) => t.title)).toEqual([expect.stringContaining('page 25')])
    const labels = await queryDb(server.env, `select tc.title, tc.flaky_label, jsonb_array_length(tc.flaky_evidence) as evidence
      from test_cases tc join projects p on p.id = tc.project_id where p.slug = 'sharded' and tc.title in ('page 12', 'page 25') order by tc.title`)
    expect(labels).toEqual([{ title: 'page 12', flaky_label: 'stable', evidence: 0 }, { title: 'page 25', flaky_label: 'flaky', evidence: 1 }])
    // the shard's cause, once diagnosed, is still the outage it was: filed as infrastructure, not a flaky network cause
    const read = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<any>
    const causeId = outage.newClusters[0].id
    await expect.poll(async () => (await read(`/api/clusters/${causeId}/diagnosis`)).latest?.category ?? null, { timeout: 20_000 })
      .toBe('infrastructure')
    const cause = (await read('/api/projects/sharded/clusters')).items.find((c: any) => c.id === causeId)
    expect(cause).toMatchObject({ category: 'infrastructure', flaky: false, retryPasses: 10 })
    // the run says which of its results were the shard's outage, in its failure groups and its rows
    const run = await read(`/api/runs/${rerun.runId}?status=flaky`)
    expect(run.failureGroups.map((g: any) => [g.flaky, g.outage])).toEqual([[10, 10], [1, 0]]) // page 25's flake is no outage's
    expect(run.failureGroups[0].category).toBe('infrastructure')
    expect(run.failureGroups[0].tests.every((t: any) => t.outage)).toBe(true)
    expect(run.results.items.filter((r: any) => r.outage).length).toBe(10)
    const html = (await (await fetch(`${server.url}/runs/${rerun.runId}`, { headers: { cookie } })).text()).replace(/<!--[^]*?-->/g, '')
    expect(html).toContain('10 passes on retry after this outage')
    expect(html).toContain('All an outage of the shard or job that ran them (it failed by itself): left out of flakiness')
    // a test that failed only in the outage shows the outage's error as such
    const page12 = run.results.items.find((r: any) => r.title === 'page 12')
    expect((await read(`/api/test-cases/${page12.testCaseId}`)).lastError).toMatchObject({ outOf: 1, infraFailures: 0, outage: true })
    const testPage = (await (await fetch(`${server.url}/tests/${page12.testCaseId}`, { headers: { cookie } })).text()).replace(/<!--[^]*?-->/g, '')
    expect(testPage.replace(/\s+/g, ' ')).toContain('each of them an outage (most of the suite, or its shard or job, failed): not the test&#39;s own error')
  })
})

/**
 * A Go monorepo's module as go-junit-report and gotestsum write it (real reports): neither names a file, both name each
 * test's package, and a package that did not build is one testcase, `[build failed]` or `TestMain`.
 */
describe('a Go monorepo, whose tests no file places', () => {
  let server: TestServer
  let key: string
  let cookie: string
  const report = (name: string) => readFileSync(`${__dirname}/../fixtures/reports/${name}`, 'utf8')
  /** The run page's failure rows, as read: each test's name and the place beside it. */
  const failureRows = async (runId: string) => {
    const html = (await (await fetch(`${server.url}/runs/${runId}`, { headers: { cookie } })).text()).replace(/<!--[^]*?-->/g, '')
    return html.split('data-testid="failure-row"').slice(1).map((row) => {
      const name = /<a [^>]*title="[^"]*"[^>]*>\s*([^<]+?)\s*</.exec(row)?.[1] ?? null
      const place = /^[^]*?<\/a>\s*<span class="shrink-0 text-xs text-muted">([^<]+)<\/span>/.exec(row)?.[1] ?? null
      return [name, place]
    }).sort()
  }

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
  })
  afterAll(() => server?.stop())

  it('places a Go test in its package on the run page', async () => {
    const res = await upload(server, [{ name: 'gotestsum-panic.xml', content: report('gotestsum-panic.xml') }], { key, query: { project: 'go-ledger' } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(await failureRows(res.body.runId)).toEqual([
      ['TestConvert', 'example.com/ledger/internal/fx'],
      ['TestConvert/eur_to_usd', 'example.com/ledger/internal/fx'],
      ['TestParseAmount', 'example.com/ledger/internal/money'],
    ])
  })

  it('says which package did not build, from either reporter', async () => {
    const rows: Record<string, unknown> = {}
    const runIds: Record<string, string> = {}
    for (const name of ['gojunit-build.xml', 'gotestsum-build.xml']) {
      const res = await upload(server, [{ name, content: report(name) }], { key, query: { project: 'go-shop', runKey: name } })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      rows[name] = await failureRows(res.body.runId)
      runIds[name] = res.body.runId
    }
    expect(rows).toEqual({
      'gojunit-build.xml': [
        ['Failure', 'example.com/shop/internal/orders'], // its TestMain exited 1
        ['[build failed]', 'example.com/shop/internal/cart'],
        ['[build failed]', 'example.com/shop/internal/pricing'],
        ['[build failed]', 'example.com/shop/internal/search'],
      ],
      'gotestsum-build.xml': [
        ['TestMain', 'example.com/shop/internal/cart'],
        ['TestMain', 'example.com/shop/internal/orders'],
        ['TestMain', 'example.com/shop/internal/pricing'],
        ['TestMain', 'example.com/shop/internal/search'],
      ],
    })
    // the results' error: what the compiler said (its first line, place and all), not go-junit-report's "Build error"
    const run = await (await fetch(`${server.url}/api/runs/${runIds['gojunit-build.xml']}?status=failed`, { headers: { cookie } })).json() as any
    expect(run.results.items.map((r: any) => [r.suitePath.at(-1), r.errorMessage]).sort()).toEqual([
      ['example.com/shop/internal/cart', 'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration'],
      ['example.com/shop/internal/orders', 'orders: ORDERS_DB is not set'],
      ['example.com/shop/internal/pricing', 'internal/pricing/pricing_test.go:9:12: undefined: Discunt'],
      ['example.com/shop/internal/search', 'internal/search/search_test.go:9:2: fmt.Printf format %d has arg Normalize("ABC") of wrong type string'],
    ])
    // and each cause is a build, which the failure_category enum holds (migration 0034)
    const clusters = await (await fetch(`${server.url}/api/projects/go-shop/clusters?category=build`, { headers: { cookie } })).json() as any
    expect(clusters.items.map((c: any) => c.title).sort()).toEqual([
      // go-junit-report's three packages, each by its compiler's (or go vet's) error, not by the 'Build error' they share
      'FAIL example.com/shop/internal/cart [build failed]',
      'FAIL example.com/shop/internal/pricing [build failed]',
      'FAIL example.com/shop/internal/search [build failed]',
      'cannot use <n> (untyped int constant) as string value in variable declaration',
      'fmt.Printf format %d has arg Normalize("ABC") of wrong type string',
      'undefined: Discunt',
    ])
  })

  it('fails a run whose report counts errors no testcase holds: gotestsum on Go 1.19 leaves out a package that did not build', async () => {
    const name = 'gotestsum-go119-build.xml'
    const res = await upload(server, [{ name, content: report(name) }], { key, query: { project: 'go-tiny', runKey: name } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({ status: 'failed', counts: { tests: 1, passed: 1, failed: 0, errored: 0 } })
    expect(res.body.errors).toEqual([expect.stringMatching(/^The report counts 1 error \(<testsuites errors="1">\) that no testcase holds; see the job's log: gotestsum before Go 1\.24/)])
  })
})
