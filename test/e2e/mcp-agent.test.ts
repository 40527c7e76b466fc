import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/**
 * What an agent can afford: on a long history whose rows are big enough for the ~8k-token cap to bite, every list tool
 * pages to the end at its largest limit with neither gaps nor repeats; and a run's triage is one get_run call.
 */

const RUNS = 120
const TESTS = 100
/** Letters outside a-f, so the fingerprint's hex and number masks leave them alone: one distinct cause per run. */
const word = (n: number) => [...n.toString(20)].map(d => 'ghijklmnopqrstuvwxyz'[parseInt(d, 20)]).join('')
const FILLER = 'while the checkout service reconciled the basket totals against the ledger'
const pad = (s: string, n: number) => `${s} ${FILLER.repeat(3)}`.slice(0, n)
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
const title = (k: number) => pad(`checkout keeps the basket consistent for customer profile ${word(k + 1)}`, 180)

/**
 * One run of the long project: 5 tests always broken, one with a new cause per run, 85 flaky (each fails every third
 * run); in the latest run every test fails, so its result rows overflow the cap too.
 */
function longRun(r: number): string {
  const cases: string[] = []
  for (let k = 0; k < TESTS; k++) {
    let failure: string | null = null
    if (k < 5) failure = pad(`broken ${word(k + 1)}: expected basket total to match the ledger`, 190)
    else if (k === 5) failure = pad(`cause ${word(r + 30)} appeared only in this run of the suite`, 190)
    else if (r === RUNS - 1 || (k < 91 && (r + k) % 3 === 0)) failure = pad('flaky timeout waiting for the payment widget to settle', 190)
    const body = failure
      ? `<failure message="${esc(failure)}" type="AssertionError">${esc(failure)}\n    at checkout.spec.ts:${k + 10}</failure>`
      : ''
    cases.push(`<testcase classname="checkout.suite" name="${esc(title(k))}" time="0.1">${body}</testcase>`)
  }
  return `<testsuite name="checkout">${cases.join('')}</testsuite>`
}

describe('MCP answers an agent can afford', () => {
  let server: TestServer
  let cookie: string
  let client: Client
  let ingest: string
  const projects = 75

  const rest = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<any>
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name, arguments: args }) as any
    const text = r.content[0].text as string
    expect(r.isError, `${name}: ${text}`).toBeFalsy()
    expect(r.structuredContent, name).toEqual(JSON.parse(text))
    return { text, json: JSON.parse(text) }
  }
  /** Every row of a REST list, paged at 100 without any size cap. */
  const restAll = async (path: string) => {
    const items: any[] = []
    let cursor: string | undefined
    do {
      const page = await rest(`${path}${path.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`)
      items.push(...(page.items ?? page.results.items))
      cursor = (page.nextCursor ?? page.results?.nextCursor) ?? undefined
    } while (cursor)
    return items
  }
  /** Every row of an MCP list at the given limit, and how many of its pages stopped early for size. */
  const mcpAll = async (name: string, args: Record<string, unknown>, limit: number, at = (j: any) => j) => {
    const items: any[] = []
    let cursor: string | undefined
    let shortened = 0
    for (let i = 0; i < 1000; i++) {
      const { text, json } = await call(name, { ...args, limit, ...(cursor ? { cursor } : {}) })
      expect(text.length, name).toBeLessThanOrEqual(30_000)
      const page = at(json)
      items.push(...page.items)
      if (page.truncated) {
        shortened++
        expect(page.items.length, name).toBeLessThan(limit)
      }
      cursor = page.nextCursor
      if (!cursor) break
    }
    return { items, shortened }
  }

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    ingest = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const buildUrl = `https://ci.example.test/${'pipelines/checkout/'.repeat(9)}`
    for (let r = 0; r < RUNS; r++) {
      const res = await upload(server, [{ name: 'junit.xml', content: longRun(r) }], {
        key: ingest,
        query: { project: 'long', branch: 'main', commit: `c0ffee${String(r).padStart(4, '0')}`, runKey: `long-${r}`, buildUrl: `${buildUrl}${r}` },
      })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
    }
    for (let p = 0; p < projects; p++) {
      const slug = `p${p}-${'a-project-with-a-rather-long-slug-for-the-cap'}`
      await upload(server, [{ name: 'x.xml', content: '<testsuite><testcase name="one"/></testsuite>' }],
        { key: ingest, query: { project: slug, branch: 'main', commit: 'abc1234', buildUrl: `${buildUrl}${p}` } })
    }
    client = new Client({ name: 'vitest-agent', version: '1.0.0' })
    const key = (await createKey(server, cookie, { scopes: ['read'] })).key
    const requestInit = { headers: { authorization: `Bearer ${key}` } }
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit }))
  }, 300_000)
  afterAll(async () => {
    await client?.close().catch(() => {})
    await server?.stop()
  })

  it('pages every list tool to the end at its largest limit, cut for size but never without a cursor to the rest', async () => {
    const lists: [string, Record<string, unknown>, number, string, (x: any) => string][] = [
      ['list_projects', {}, 100, '', x => x.slug],
      ['list_runs', { projectSlug: 'long' }, 100, '/api/projects/long/runs', x => x.id],
      ['list_clusters', { projectSlug: 'long' }, 100, '/api/projects/long/clusters', x => x.id],
      ['list_flaky_tests', { projectSlug: 'long', label: 'any' }, 100, '/api/projects/long/flaky-tests?label=any', x => x.testCaseId],
      ['list_failed_cases', { projectSlug: 'long' }, 100, '/api/projects/long/failed-results', x => `${x.runId}/${x.testCaseId}`],
    ]
    for (const [tool, args, limit, path, keyOf] of lists) {
      const truth = (path ? await restAll(path) : await rest('/api/projects')).map(keyOf)
      const { items, shortened } = await mcpAll(tool, args, limit)
      const seen = items.map(keyOf)
      console.log(`${tool}: ${seen.length} rows, ${shortened} pages stopped early for size`)
      expect(new Set(seen).size, tool).toBe(seen.length)
      expect(seen, tool).toEqual(truth)
      expect(shortened, `${tool}: the cap should bite on this history`).toBeGreaterThan(0)
    }
    const run = (await rest('/api/projects/long/runs?limit=1')).items[0]
    const truth = (await restAll(`/api/runs/${run.id}?status=all`)).map(x => x.testCaseId)
    const { items, shortened } = await mcpAll('get_run', { runId: run.id, results: 'all' }, 200, j => j.results)
    expect(items.map(x => x.testCaseId)).toEqual(truth)
    expect(truth).toHaveLength(TESTS)
    expect(shortened).toBeGreaterThan(0)
  }, 600_000)

  it('gives a run\'s triage in one call: causes with their tests, new or known since which run, location, diagnosis', async () => {
    const suite = (cases: string) => `<testsuite name="cart">${cases}</testsuite>`
    const broken = '<testcase classname="cart" name="totals add up"><failure message="AssertionError: expected total 30 to equal 40" '
      + 'type="AssertionError">AssertionError: expected total 30 to equal 40\n    at Object.&lt;anonymous&gt; (tests/cart.spec.ts:12:5)</failure></testcase>'
    const fresh = '<testcase classname="cart" name="coupon applies"><failure message="TypeError: coupon.rate is undefined" '
      + 'type="TypeError">TypeError: coupon.rate is undefined\n    at apply (src/coupon.ts:7:11)</failure></testcase>'
    const retried = '<testcase classname="cart" name="checkout button"><flakyFailure message="Timeout waiting for #pay" type="TimeoutError">'
      + 'Timeout waiting for #pay\n    at tests/checkout.spec.ts:30:3</flakyFailure></testcase>'
    const ok = '<testcase classname="cart" name="empty cart"/>'
    const triage = (runKey: string) => ({ key: ingest, query: { project: 'triage', branch: 'main', runKey } })
    const first = await upload(server, [{ name: 'a.xml', content: suite(broken + ok) }], triage('t1'))
    const second = await upload(server, [{ name: 'b.xml', content: suite(broken + fresh + retried + ok) }], triage('t2'))
    // diagnoses are made after the commit, off the request path: wait until the known cause's has settled
    const groupOf = (json: any, t: string) => json.failureGroups.find((g: any) => g.tests.some((x: any) => x.title === t))
    await expect.poll(async () => {
      const group = groupOf((await call('get_run', { runId: second.body.runId })).json, 'totals add up')
      const summary = (await call('get_cluster', { clusterId: group.clusterId })).json.diagnosis?.summary
      return group.diagnosis !== undefined && group.diagnosis === summary?.split('\n')[0].slice(0, 200)
    }).toBe(true)
    const run = await call('get_run', { runId: second.body.runId })
    expect(run.json).not.toHaveProperty('results')
    expect(run.json.previousRunId).toBe(first.body.runId)
    const byTitle = (t: string) => groupOf(run.json, t)
    const known = byTitle('totals add up')
    expect(known).toMatchObject({ failures: 1, newFailures: 0, firstSeenRunId: first.body.runId, category: expect.any(String) })
    expect(known.newCause).toBe(false)
    expect(known.tests).toEqual([{ testCaseId: expect.any(String), title: 'totals add up', suitePath: ['cart'], knownFailure: true }])
    expect(known.location).toMatch(/cart\.spec\.ts:12/)
    const cause = await call('get_cluster', { clusterId: known.clusterId })
    expect(known.diagnosis).toBe(cause.json.diagnosis?.summary.split('\n')[0].slice(0, 200))
    const isNew = byTitle('coupon applies')
    expect(isNew).toMatchObject({ failures: 1, newFailures: 1, newCause: true, firstSeenRunId: second.body.runId })
    expect(isNew.tests[0].knownFailure).toBe(false)
    // a pass on retry is grouped under the cause of its failed attempt once ingest gives that result the cluster's id
    const flakyRows = (await rest(`/api/runs/${second.body.runId}?status=flaky`)).results.items
    expect(flakyRows).toHaveLength(1)
    const flakyGroup = byTitle('checkout button')
    if (flakyRows[0].clusterId) {
      expect(flakyGroup).toMatchObject({ clusterId: flakyRows[0].clusterId, flaky: 1 })
      // no knownFailure: it says whether a failure was already failing, and a pass on retry is none
      const flakyTest = flakyGroup.tests.find((x: any) => x.title === 'checkout button')
      expect(flakyTest).toMatchObject({ flaky: true })
      expect(flakyTest).not.toHaveProperty('knownFailure')
    }
    else expect(flakyGroup).toBeUndefined()
    expect(run.text.length).toBeLessThan(3000)
  })

  it('answers an empty list as {"items":[]}', async () => {
    expect((await call('list_clusters', { projectSlug: 'long', status: 'ignored' })).text).toBe('{"items":[]}')
    expect((await call('list_failed_cases', { projectSlug: 'long', since: '2999-01-01T00:00:00Z' })).text).toBe('{"items":[]}')
  })

  it('keeps failed-result rows to ids, title, when and where, status and the first line of the error', async () => {
    const { text, json } = await call('list_failed_cases', { projectSlug: 'long', limit: 50 })
    const row = json.items[0]
    expect(Object.keys(row).sort()).toEqual(['branch', 'clusterId', 'error', 'knownFailure', 'runId', 'startedAt', 'status', 'testCaseId', 'title'])
    expect(row.error.length).toBeLessThanOrEqual(200)
    // errors here are 190-character lines (the demo's rows average about 390 bytes: test/e2e/mcp.test.ts); the old row was ~900
    console.log(`list_failed_cases on a history of 190-character errors: ${Math.round(text.length / json.items.length)} characters a row`)
    expect(text.length / json.items.length).toBeLessThanOrEqual(700) // with 180-character titles
  })
})
