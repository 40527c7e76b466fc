import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { callTool, createKey, login, upload } from './client'
import { fakeReceiver } from './receiver'

const run = promisify(execFile)

/**
 * Outages judged where they happened (docs/analysis.md): a shard or job whose service died is an outage by itself,
 * though its run is not. The receipt and the CLI say which upload was one, and a test's page counts the runs it failed
 * in apart from the outages it failed in, as its flakiness leaves those out.
 */
type Outcome = 'pass' | 'fail' | 'retry' | 'refused'
const REFUSED = 'Error: connect ECONNREFUSED 127.0.0.1:5432'

/** A JUnit report of tests named `t<i>`, each with its outcome (pass when not given). */
function junit(tests: number[], outcome: (i: number) => Outcome = () => 'pass'): string {
  const cases = tests.map((i) => {
    const open = `<testcase classname="orders" name="t${i}" file="orders.spec.ts" time="0.1">`
    switch (outcome(i)) {
      case 'fail': return `${open}<failure message="expected 3 to equal ${i}">AssertionError: expected 3 to equal ${i}\n    at orders.spec.ts:${i}:5</failure></testcase>`
      case 'retry': return `${open}<flakyFailure message="expected 3 to equal ${i}" type="AssertionError">AssertionError: expected 3 to equal ${i}</flakyFailure></testcase>`
      case 'refused': return `${open}<error message="${REFUSED}">${REFUSED}\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)</error></testcase>`
      default: return `${open}</testcase>`
    }
  })
  return `<?xml version="1.0"?><testsuite name="orders" tests="${tests.length}">${cases.join('')}</testsuite>`
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k)

describe('outages of an upload, said and counted apart', () => {
  let server: TestServer
  let cookie: string
  let key: string
  let readKey: string
  const dir = mkdtempSync(join(tmpdir(), 'pd-outages-'))
  const cli = async (name: string, content: string, ...args: string[]) => {
    const file = join(dir, name)
    writeFileSync(file, content)
    const env = { PATH: process.env.PATH!, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key }
    return run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--no-codeowners', ...args], { env })
  }
  const send = async (project: string, runKey: string, hour: number, content: string, query: Record<string, string> = {}) => {
    const res = await upload(server, [{ name: `${runKey}-${query.shard ?? '1'}-${query.ciAttempt ?? '1'}.xml`, content }], {
      key, query: { project, branch: 'main', runKey, startedAt: new Date(Date.UTC(2026, 10, 2, hour)).toISOString(), ...query },
    })
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    return res.body
  }
  const rest = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<any>
  /** Test case ids by title, of the tests that failed in a run. */
  const failedIn = async (runId: string): Promise<Record<string, string>> =>
    Object.fromEntries((await rest(`/api/runs/${runId}?status=failed&limit=200`)).results.items.map((r: any) => [r.title, r.testCaseId]))

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
  })
  afterAll(() => server?.stop())

  it('the receipt says which upload was an outage, the CLI prints it, and the job summary names the shard', async () => {
    const flags = (shard: string, job = 'e2e') => ['--project', 'shop', '--run-key', 'nightly-1', '--job', job, '--shard', shard]
    const healthy = await cli('shard-1.xml', junit(range(0, 30)), ...flags('1/2'))
    expect(healthy.stdout).not.toContain('was an outage')
    // shard 2's database container died: 10 of its 10 tests refused, in a run that is not an outage (10 of 40 failed)
    const summary = join(dir, 'summary.md')
    const down = await cli('shard-2.xml', junit(range(30, 40), () => 'refused'), ...flags('2/2'), '--summary', summary)
    expect(down.stdout).toContain('10 errored')
    expect(down.stdout).not.toContain('infrastructure failure')
    expect(down.stdout).toContain(`  this upload was an outage: 10 of 10 tests failed on ${REFUSED}; left out of flakiness`)
    expect(readFileSync(summary, 'utf8')).toContain(`> ⚠️ **Outage in shard 2/2 of \`e2e\` (this upload):** 10 of 10 tests failed on \`${REFUSED}\`.`)
    // a retry of the same content says it again; another job's upload to the run names the shard that was one
    const again = JSON.parse((await cli('shard-2.xml', junit(range(30, 40), () => 'refused'), ...flags('2/2'), '--json')).stdout)
    const outage = { thisUpload: true, shard: '2/2', job: 'e2e', executed: 10, failed: 10, cause: 'network', causeFailures: 10, error: REFUSED }
    expect(again).toMatchObject({ infrastructure: false, counts: { tests: 40, failed: 0, errored: 10 }, outages: [outage] })
    const other = await cli('api.xml', junit(range(40, 45)), ...flags('1/1', 'api'), '--summary', summary)
    expect(other.stdout).toContain(`  shard 2/2 of e2e was an outage: 10 of 10 tests failed on ${REFUSED}; left out of flakiness`)
    expect(other.stdout).not.toContain('this upload was an outage')
    expect(readFileSync(summary, 'utf8')).toContain('> ⚠️ **Outage in shard 2/2 of `e2e`:** 10 of 10 tests failed')
    // an upload that was no outage has none in its receipt
    const green = await send('shop', 'nightly-2', 2, junit(range(0, 30)))
    expect(green.outages).toBeUndefined()
    // a whole run that failed so says both: the run is an infrastructure failure, and this upload the outage
    const whole = await send('shop', 'nightly-3', 3, junit(range(0, 12), i => i < 11 ? 'refused' : 'pass'))
    const alone = { ...outage, shard: null, job: null, executed: 12, failed: 11, causeFailures: 11 }
    expect(whole).toMatchObject({ infrastructure: true, outages: [alone] })
  })

  it('a test\'s page and get_test_case count the runs it failed in apart from the outages it failed in', async () => {
    const P = 'outage-counts'
    // t1 fails for good in run 1 and passes on retry in run 2: its own failures
    await send(P, 'r1', 1, junit(range(0, 12), i => i === 1 ? 'fail' : 'pass'))
    await send(P, 'r2', 2, junit(range(0, 12), i => i === 1 ? 'retry' : 'pass'))
    // run 3: the whole run refused (an infrastructure run)
    const r3 = await send(P, 'r3', 3, junit(range(0, 12), () => 'refused'))
    // run 4: shard 1 healthy (30 tests), shard 2 (t0-t11) refused: an outage of the shard alone; its job re-run passes
    const r4 = await send(P, 'r4', 4, junit(range(100, 130)), { job: 'e2e', shard: '1/2' })
    await send(P, 'r4', 4, junit(range(0, 12), () => 'refused'), { job: 'e2e', shard: '2/2' })
    await send(P, 'r4', 4, junit(range(0, 12)), { job: 'e2e', shard: '2/2', ciAttempt: '2' })
    // run 5: two shards of 6 refused each, neither an outage by itself (under 10 tests), the run one once both are in;
    // then a healthy shard of 30 makes it no outage at all, and its failures are the tests' own again
    await send(P, 'r5', 5, junit(range(0, 6), () => 'refused'), { job: 'e2e', shard: '1/3' })
    await send(P, 'r5', 5, junit(range(6, 12), () => 'refused'), { job: 'e2e', shard: '2/3' })
    expect((await rest(`/api/projects/${P}/runs?limit=1`)).items[0]).toMatchObject({ infra: true })
    await send(P, 'r6', 6, junit(range(0, 6), () => 'refused'), { job: 'e2e', shard: '1/3' })
    await send(P, 'r6', 6, junit(range(6, 12), () => 'refused'), { job: 'e2e', shard: '2/3' })
    await send(P, 'r6', 6, junit(range(100, 130)), { job: 'e2e', shard: '3/3' })

    const cases = await failedIn(r3.runId) as { t1: string, t2: string }
    const t1 = await rest(`/api/test-cases/${cases.t1}`)
    // r3 and r4 were outages (r4's re-run leaves t1 passed on retry there, still the outage's); r5 is, as a whole;
    // r6 is not, so it failed there for good
    expect(t1).toMatchObject({ failedRuns: 2, flakyRuns: 1, outageRuns: 3 })
    expect(await rest(`/api/test-cases/${cases.t2}`)).toMatchObject({ failedRuns: 1, flakyRuns: 0, outageRuns: 3 })
    expect(await callTool(server, readKey, 'get_test_case', { testCaseId: cases.t1 })).toMatchObject({ failedRuns: 2, flakyRuns: 1, outageRuns: 3 })
    const page = async (id: string) => (await (await fetch(`${server.url}/tests/${id}`, { headers: { cookie } })).text())
      .replace(/<!--.*?-->/g, '').replace(/\s+/g, ' ')
    expect(await page(cases.t1)).toContain('failed in 3 runs (2 for good, 1 passed on retry), plus 3 in outages')
    // a test of run 4's healthy shard never failed
    const healthy = (await rest(`/api/runs/${r4.runId}?status=passed&limit=1`)).results.items[0]
    expect(await page(healthy.testCaseId)).toContain('never failed')
  })

  it('a test that failed only in outages says so', async () => {
    const P = 'outage-only'
    const o1 = await send(P, 'o1', 1, junit(range(0, 12), () => 'refused'))
    await send(P, 'o2', 2, junit(range(0, 12)))
    const id = (await failedIn(o1.runId)).t3!
    expect(await rest(`/api/test-cases/${id}`)).toMatchObject({ failedRuns: 0, flakyRuns: 0, outageRuns: 1 })
    const html = (await (await fetch(`${server.url}/tests/${id}`, { headers: { cookie } })).text()).replace(/<!--.*?-->/g, '')
    expect(html.replace(/\s+/g, ' ')).toContain('failed only in 1 outage')
  })

  it('the flaky list and list_flaky_tests date a broken test\'s last failure for good, not the outage after it', async () => {
    const P = 'outage-broken'
    // t0 fails for good in six runs (broken), then the whole seventh run refused the database (an infrastructure run)
    for (let hour = 1; hour <= 6; hour++) await send(P, `b${hour}`, hour, junit(range(0, 12), i => i === 0 ? 'fail' : 'pass'))
    await send(P, 'b7', 7, junit(range(0, 12), () => 'refused'))
    const sixth = new Date(Date.UTC(2026, 10, 2, 6)).toISOString()
    const listed = (await rest(`/api/projects/${P}/flaky-tests?label=broken`)).items
    expect(listed.map((t: any) => [t.title, t.lastFailureAt])).toEqual([['t0', sixth]])
    const grouped = await rest(`/api/projects/${P}/flaky-tests?label=broken&groupBy=owner`)
    expect(grouped.groups.flatMap((g: any) => g.items.map((t: any) => t.lastFailureAt))).toEqual([sixth])
    const tool = await callTool(server, readKey, 'list_flaky_tests', { projectSlug: P, label: 'broken' })
    expect(tool.items.map((t: any) => [t.title, t.lastFailureAt])).toEqual([['t0', sixth]])
    expect(await rest(`/api/test-cases/${listed[0].testCaseId}`)).toMatchObject({ failedRuns: 6, outageRuns: 1, lastFailureAt: sixth })
  })

  it('keeps each test\'s outage counters equal to its stored results that were an outage\'s, as the upgrade counts them', async () => {
    await server.kill() // PGlite opens only while the server is stopped
    const counters = async () => {
      const rows = await queryDb(server.env, `select tc.title, tc.outage_failed_runs, tc.outage_flaky_runs,
          (select count(*) from test_results r join runs ru on ru.id = r.run_id where r.test_case_id = tc.id
            and (ru.infra or r.infra) and r.status in ('failed', 'errored'))::int as failed,
          (select count(*) from test_results r join runs ru on ru.id = r.run_id where r.test_case_id = tc.id
            and (ru.infra or r.infra) and r.flaky)::int as flaky
        from test_cases tc`)
      return { outages: rows.filter(r => r.outage_failed_runs + r.outage_flaky_runs > 0).length,
        disagree: rows.filter(r => r.outage_failed_runs !== r.failed || r.outage_flaky_runs !== r.flaky) }
    }
    expect(await counters()).toEqual({ outages: 57, disagree: [] })
    // results stored before the counters existed are counted by the migration that adds them
    const migration = readdirSync('drizzle').find(f => f.endsWith('_outage_runs.sql'))!
    const backfill = readFileSync(join('drizzle', migration), 'utf8').split('--> statement-breakpoint').at(-1)!
    await queryDb(server.env, 'update test_cases set outage_failed_runs = 0, outage_flaky_runs = 0')
    await queryDb(server.env, backfill)
    expect(await counters()).toEqual({ outages: 57, disagree: [] })
  })
})

describe('an outage upload named wherever its run is reported', () => {
  const receiver = fakeReceiver()
  let server: TestServer
  let cookie: string
  let key: string
  let readKey: string
  const P = 'outage-told'
  const at = (hour: number) => new Date(Date.UTC(2026, 10, 2, hour)).toISOString()
  const send = async (runKey: string, hour: number, content: string, query: Record<string, string> = {}) => {
    const res = await upload(server, [{ name: `${runKey}-${query.shard ?? '1'}.xml`, content }],
      { key, query: { project: P, branch: 'main', runKey, startedAt: at(hour), ...query } })
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    return res.body
  }
  const get = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } }))
  const text = async (path: string) => (await (await get(path)).text()).replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')
  const outage = { executed: 12, failed: 12, cause: 'network', causeFailures: 12, error: REFUSED }
  let shard: any

  beforeAll(async () => {
    const base = await receiver.start()
    server = await startServer({ PROOFDECK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', PROOFDECK_JOBS_POLL_SECONDS: '1' })
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
    // t0 fails for good on its own (1 of 12); then a run whose shard 2 (t0-t11) refused the database: an outage of the
    // shard alone, in a run that is not one (12 of 42 failed)
    await send('k1', 1, junit(range(0, 12), i => i === 0 ? 'fail' : 'pass'))
    for (const format of ['json', 'slack']) {
      const res = await fetch(`${server.url}/api/projects/${P}/webhooks`, {
        method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ url: `${base}/${format}`, events: ['run.failed'], format }),
      })
      expect(res.status, await res.text()).toBe(201)
    }
    await send('k2', 2, junit(range(100, 130)), { job: 'e2e', shard: '1/2' })
    shard = await send('k2', 2, junit(range(0, 12), () => 'refused'), { job: 'e2e', shard: '2/2' })
  })
  afterAll(async () => {
    await server?.stop()
    await receiver.stop()
  })

  it('the run page, its read and get_run mark the upload that was an outage', async () => {
    expect(shard).toMatchObject({ infrastructure: false, outages: [{ shard: '2/2', ...outage }] })
    const run = await (await get(`/api/runs/${shard.runId}`)).json() as any
    const [healthy, down] = run.uploads
    expect(healthy).not.toHaveProperty('outage')
    expect(down).toMatchObject({ shard: '2/2', job: 'e2e', outage })
    const tool = await callTool(server, readKey, 'get_run', { runId: shard.runId })
    expect(tool.uploads.map((u: any) => u.outage ?? null)).toEqual([null, outage])
    const page = await text(`/runs/${shard.runId}`)
    expect(page).toContain(`outage: 12 of 12 tests failed on ${REFUSED}; left out of flakiness`)
    expect(page.match(/outage: \d+ of/g)).toHaveLength(1)
  })

  it('the run.failed webhook lists the outages, and the Slack message says it in one clause', async () => {
    const deliveries = await vi.waitFor(() => {
      const got = receiver.received.filter(r => r.body.includes(shard.runId))
      expect(got).toHaveLength(2)
      return got
    }, { timeout: 30_000, interval: 200 })
    const json = JSON.parse(deliveries.find(d => d.path === '/json')!.body)
    expect(json).toMatchObject({ event: 'run.failed', run: { id: shard.runId, outages: [{ upload: expect.any(String), shard: '2/2', job: 'e2e', ...outage }] } })
    expect(json.run.outages[0]).not.toHaveProperty('thisUpload')
    const slack = JSON.stringify(JSON.parse(deliveries.find(d => d.path === '/slack')!.body).blocks)
    expect(slack).toContain(`12 failed, 0 skipped, 0 flaky; outage in shard 2/2 of e2e: 12 of 12 tests failed on \`${REFUSED}\``)
  })

  it('"last failed for good" on a test\'s page and get_test_case leaves its outages out', async () => {
    const ids = Object.fromEntries((await (await get(`/api/runs/${shard.runId}?status=failed&limit=50`)).json() as any)
      .results.items.map((r: any) => [r.title, r.testCaseId])) as { t0: string, t1: string }
    // t0 failed for good in k1 (hour 1), and in the shard's outage after it (hour 2): its last own failure is k1's
    expect(await (await get(`/api/test-cases/${ids.t0}`)).json()).toMatchObject({ failedRuns: 1, outageRuns: 1, lastFailureAt: at(1) })
    expect(await callTool(server, readKey, 'get_test_case', { testCaseId: ids.t0 })).toMatchObject({ lastFailureAt: at(1) })
    // t1 failed only in the outage: no failure for good to date, and the page says where it failed
    expect(await (await get(`/api/test-cases/${ids.t1}`)).json()).toMatchObject({ failedRuns: 0, outageRuns: 1, lastFailureAt: null })
    const page = await text(`/tests/${ids.t1}`)
    expect(page).toContain('failed only in 1 outage')
    expect(page).not.toContain('last failed for good')
  })
})
