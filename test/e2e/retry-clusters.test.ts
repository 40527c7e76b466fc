import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/**
 * A flake's cause is a cluster too: results that passed on retry join the cluster of their last failed attempt's
 * error (Playwright `flaky`, Surefire `flakyFailure`), counted as occurrences that passed on retry, while the run
 * stays green. Re-sending a run counts nothing twice; a shard that replaces a result takes back what it counted.
 */

const PAY_TIMEOUT = 'TimeoutError: locator.click: Timeout 5000ms exceeded.\nCall log:\n  - waiting for getByRole(\'button\', { name: \'Pay\' })'
const REFUSED = 'Error: connect ECONNREFUSED 127.0.0.1:5432'
const TOTAL = 'Error: expect(received).toBe(expected)\n\nExpected: 3\nReceived: 2'
const SHIPPING = 'TypeError: Cannot read properties of undefined (reading \'shipping\')'

type Try = 'passed' | string
/** One Playwright test: its tries in order, each `passed` or the message of a failed try. */
const spec = (title: string, tries: Try[]) => ({
  title, file: 'checkout.spec.ts', line: 3,
  tests: [{
    projectName: 'chromium', expectedStatus: 'passed',
    status: tries.at(-1) === 'passed' ? (tries.length > 1 ? 'flaky' : 'expected') : 'unexpected',
    results: tries.map((t, retry) => t === 'passed'
      ? { status: 'passed', duration: 100, retry }
      : { status: 'failed', duration: 100, retry, error: { message: t, stack: `${t.split('\n')[0]}\n    at checkout.spec.ts:${10 + retry}:5` } }),
  }],
})
const playwright = (specs: ReturnType<typeof spec>[]) => JSON.stringify({
  config: {}, suites: [{ title: 'checkout.spec.ts', file: 'checkout.spec.ts', specs }], stats: {},
})

/**
 * Select-list columns comparing the per-run cluster rollup (cluster_runs) with the stored results: its rows, and the
 * rows either side lacks (asked with the other checks: each query opens an embedded database anew).
 */
const ROLLUP_CHECK = `(select count(*)::int from cluster_runs) as rollup_rows, (with stored as (
    select r.project_id, r.cluster_id, r.run_started_at, r.run_id, ru.branch, count(*)::int as hits, ru.infra
    from test_results r join runs ru on ru.id = r.run_id where r.cluster_id is not null group by 1, 2, 3, 4, 5, 7
  ), kept as (select project_id, cluster_id, run_started_at, run_id, branch, hits, infra from cluster_runs)
  select count(*)::int from ((select * from kept except select * from stored) union all (select * from stored except select * from kept)) d
) as rollup_differing`

const surefire = (cases: string) => `<?xml version="1.0"?><testsuite name="com.acme.OrderTest">${cases}</testsuite>`
const PENDING = 'message="expected: &lt;PAID&gt; but was: &lt;PENDING&gt;" type="org.opentest4j.AssertionFailedError"'
const pendingStack = (line: number) => `org.opentest4j.AssertionFailedError: expected: &lt;PAID&gt; but was: &lt;PENDING&gt;
\tat com.acme.OrderTest.savesOrder(OrderTest.java:${line})`

describe('retry passes in failure clusters', () => {
  let server: TestServer
  let cookie: string
  let ingestKey: string
  let mcp: Client
  const send = async (project: string, runKey: string, name: string, content: string) => {
    const res = await upload(server, [{ name, content }], { key: ingestKey, query: { project, branch: 'main', runKey } })
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    return res
  }
  const listClusters = async (projectSlug: string) => {
    const r = await mcp.callTool({ name: 'list_clusters', arguments: { projectSlug } }) as { content: { text: string }[], isError?: boolean }
    expect(r.isError, r.content[0]!.text).toBeFalsy()
    return (JSON.parse(r.content[0]!.text) as { items: any[] }).items
  }
  const byTitle = (items: any[], part: string) => items.find(c => c.title.includes(part))
  const restCluster = async (id: string) => (await fetch(`${server.url}/api/clusters/${id}`, { headers: { cookie } })).json() as Promise<any>
  const counts = (c: any) => ({ occurrences: c.occurrences, retryPasses: c.retryPasses, flaky: c.flaky, affectedTests: c.affectedTests })

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    ingestKey = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
    mcp = new Client({ name: 'vitest', version: '1.0.0' })
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${readKey}` } },
    }))
  })
  afterAll(async () => {
    await mcp?.close()
    await server?.stop()
  })

  describe('Playwright JSON', () => {
    let first: Awaited<ReturnType<typeof send>>
    const run1 = playwright([
      spec('pays', [PAY_TIMEOUT, 'passed']),
      // two different failed tries before the pass: the last one (the Pay timeout) is the cause the retry got past
      spec('refunds', [REFUSED, PAY_TIMEOUT, 'passed']),
      spec('adds to cart', ['passed']),
    ])

    beforeAll(async () => {
      first = await send('pw', 'pw-1', 'results.json', run1)
    })

    it('keeps a run whose failures all passed on retry green, its counts unchanged', () => {
      expect(first.status).toBe(201)
      expect(first.body.status).toBe('passed')
      expect(first.body.counts).toEqual({ tests: 3, passed: 3, failed: 0, errored: 0, skipped: 0, flaky: 2 })
    })

    it('files the retried failure as a cluster of two retry passes, reported new in the receipt', async () => {
      expect(first.body.newClusters).toEqual([expect.objectContaining({ title: expect.stringContaining('Timeout'), occurrences: 2 })])
      const items = await listClusters('pw')
      expect(items).toHaveLength(1)
      expect(counts(items[0])).toEqual({ occurrences: 2, retryPasses: 2, flaky: true, affectedTests: 2 })
      const detail = await restCluster(items[0].id)
      expect(counts(detail)).toEqual({ occurrences: 2, retryPasses: 2, flaky: true, affectedTests: 2 })
      expect(detail.sampleMessage).toContain('Timeout 5000ms exceeded')
      expect(detail.affected.map((a: any) => a.title).sort()).toEqual(['pays', 'refunds'])
    })

    it('counts nothing twice when the same run is sent again', async () => {
      const again = await send('pw', 'pw-1', 'results.json', run1)
      expect(again.status).toBe(200)
      expect(counts((await listClusters('pw'))[0])).toEqual({ occurrences: 2, retryPasses: 2, flaky: true, affectedTests: 2 })
    })

    it('a failure of the same cause makes the cluster a failure again; a later shard passing it turns it back to a retry pass', async () => {
      const shardA = await send('pw', 'pw-2', 'a.json', playwright([spec('pays', [PAY_TIMEOUT]), spec('totals', [TOTAL])]))
      expect(shardA.body.counts).toMatchObject({ failed: 2, flaky: 0 })
      let items = await listClusters('pw')
      expect(counts(byTitle(items, 'Timeout'))).toEqual({ occurrences: 3, retryPasses: 2, flaky: false, affectedTests: 2 })
      expect(counts(byTitle(items, 'toBe'))).toMatchObject({ occurrences: 1, retryPasses: 0, flaky: false, affectedTests: 1 })

      // the second shard reran both: `pays` passed (a retry pass of the timeout), `totals` failed with another error
      const shardB = await send('pw', 'pw-2', 'b.json', playwright([spec('pays', ['passed']), spec('totals', [SHIPPING])]))
      expect(shardB.body.runId).toBe(shardA.body.runId)
      expect(shardB.body.counts).toEqual({ tests: 2, passed: 1, failed: 1, errored: 0, skipped: 0, flaky: 1 })
      items = await listClusters('pw')
      expect(counts(byTitle(items, 'Timeout'))).toEqual({ occurrences: 3, retryPasses: 3, flaky: true, affectedTests: 2 })
      // the replaced failure took back what it counted, test included; the result now sits under its final error
      expect(counts(byTitle(items, 'toBe'))).toEqual({ occurrences: 0, retryPasses: 0, flaky: false, affectedTests: 0 })
      expect(counts(byTitle(items, 'shipping'))).toEqual({ occurrences: 1, retryPasses: 0, flaky: false, affectedTests: 1 })
    })
  })

  describe('JUnit (Surefire reruns)', () => {
    it('files a flakyFailure under its cause, beside the plain failures of that cause', async () => {
      const flaky = await send('jvm', 'j-1', 'TEST-OrderTest.xml', surefire(
        `<testcase classname="com.acme.OrderTest" name="savesOrder" time="0.2"><flakyFailure ${PENDING}>${pendingStack(41)}</flakyFailure></testcase>
         <testcase classname="com.acme.OrderTest" name="listsOrders" time="0.1"/>`))
      expect(flaky.body.status).toBe('passed')
      expect(flaky.body.counts).toMatchObject({ tests: 2, passed: 2, failed: 0, flaky: 1 })
      let [cluster] = await listClusters('jvm')
      expect(cluster).toMatchObject({ errorType: 'org.opentest4j.AssertionFailedError', occurrences: 1, retryPasses: 1, flaky: true, affectedTests: 1 })

      const failing = await send('jvm', 'j-2', 'TEST-OrderTest.xml', surefire(
        `<testcase classname="com.acme.OrderTest" name="savesOrder" time="0.2"><failure ${PENDING}>${pendingStack(42)}</failure>
           <rerunFailure ${PENDING}>${pendingStack(43)}</rerunFailure></testcase>
         <testcase classname="com.acme.OrderTest" name="paysOrder" time="0.2"><failure ${PENDING}>${pendingStack(44)}</failure></testcase>`))
      expect(failing.body.status).toBe('failed')
      const items = await listClusters('jvm')
      expect(items).toHaveLength(1)
      cluster = items[0]
      expect(counts(cluster)).toEqual({ occurrences: 3, retryPasses: 1, flaky: false, affectedTests: 2 })
    })

    it('merging a retry-pass cluster into another by hand recounts both kinds exactly', async () => {
      await send('jvm', 'j-3', 'TEST-OrderTest.xml', surefire(
        `<testcase classname="com.acme.OrderTest" name="listsOrders" time="0.2"><flakyFailure message="Connection refused" type="java.net.ConnectException">java.net.ConnectException: Connection refused
\tat com.acme.OrderTest.listsOrders(OrderTest.java:12)</flakyFailure></testcase>`))
      const items = await listClusters('jvm')
      const target = byTitle(items, 'PAID')
      const source = byTitle(items, 'Connection refused')
      expect(counts(source)).toEqual({ occurrences: 1, retryPasses: 1, flaky: true, affectedTests: 1 })
      const res = await fetch(`${server.url}/api/clusters/${target.id}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json', cookie, 'origin': server.url },
        body: JSON.stringify({ mergeClusterId: source.id }),
      })
      expect(res.status).toBe(200)
      expect(counts(await restCluster(target.id))).toEqual({ occurrences: 4, retryPasses: 2, flaky: false, affectedTests: 3 })
    })
  })

  it('keeps every counter equal to what the stored results say (the exact recount)', async () => {
    await mcp.close()
    await server.kill()
    const flakyResults = await queryDb(server.env, `select count(*)::int as n, count(cluster_id)::int as clustered,
      count(*) filter (where fingerprint is null)::int as unfingerprinted, ${ROLLUP_CHECK} from test_results where flaky`)
    // the rollup after a re-upload, a shard fold that emptied a cluster in its run and a merge: a row per cluster and run
    expect(flakyResults).toEqual([{ n: 5, clustered: 5, unfingerprinted: 0, rollup_rows: 6, rollup_differing: 0 }])
    const clusters = await queryDb(server.env, `select c.title, c.occurrences, c.affected_tests,
        (select count(*)::int from test_results r where r.cluster_id = c.id) as stored,
        (select count(distinct r.test_case_id)::int from test_results r where r.cluster_id = c.id) as tests,
        (select coalesce(sum(occurrences), 0)::int from cluster_test_cases ct where ct.cluster_id = c.id) as linked
      from failure_clusters c where c.merged_into_id is null`)
    expect(clusters).toHaveLength(4)
    for (const c of clusters) expect([c.stored, c.linked, c.tests], c.title).toEqual([c.occurrences, c.occurrences, c.affected_tests])
  })

  it('a shard replacing a retry pass stored before retry passes were clustered takes back nothing it never counted', async () => {
    // pw-1's `pays` as an older version stored it: no cluster, not counted
    const pays = `(select r.id from test_results r join runs ru on ru.id = r.run_id join test_cases tc on tc.id = r.test_case_id
      where ru.run_key = 'pw-1' and tc.title = 'pays')`
    await queryDb(server.env, `
      with old as (select id, cluster_id, test_case_id from test_results where id = ${pays}),
        result as (update test_results r set cluster_id = null, fingerprint = null from old where r.id = old.id),
        link as (update cluster_test_cases ct set occurrences = ct.occurrences - 1 from old
          where ct.cluster_id = old.cluster_id and ct.test_case_id = old.test_case_id)
      update failure_clusters c set occurrences = c.occurrences - 1 from old where c.id = old.cluster_id`)
    const restarted = await startServer({ ...server.env })
    try {
      const res = await upload(restarted, [{ name: 'c.json', content: playwright([spec('pays', [PAY_TIMEOUT])]) }],
        { key: ingestKey, query: { project: 'pw', branch: 'main', runKey: 'pw-1' } })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      const page = await (await fetch(`${restarted.url}/api/projects/pw/clusters`, { headers: { cookie: await login(restarted) } })).json() as any
      // refunds (pw-1) and pays (pw-2) passed on retry, pays failed in pw-1 now: nothing taken back from the two
      expect(counts(byTitle(page.items, 'Timeout'))).toEqual({ occurrences: 3, retryPasses: 2, flaky: false, affectedTests: 2 })
    }
    finally {
      await restarted.kill()
    }
    const [timeout] = await queryDb(server.env, `select c.occurrences, (select count(*)::int from test_results r where r.cluster_id = c.id) as stored,
      ${ROLLUP_CHECK} from failure_clusters c where c.title like '%Timeout%'`)
    expect(timeout!.stored).toBe(timeout!.occurrences)
    expect([timeout!.rollup_rows, timeout!.rollup_differing]).toEqual([6, 0])
  })
})
