import { readFileSync } from 'node:fs'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MCP_TOOL_NAMES } from '../../shared/constants'
import { startDemoServer, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { JVM_REPORTS } from '../fixtures/jvm-build'

// the list ENABLED_TOOLS and DISABLED_TOOLS are checked against is the list tools/list gives
const TOOL_NAMES = [...MCP_TOOL_NAMES]

type AnyClient = { callTool: (p: { name: string, arguments: Record<string, unknown> }) => Promise<any>, close: () => Promise<void> }

describe('MCP endpoint', () => {
  let server: TestServer
  let cookie: string
  let key: string
  let boundKey: string
  let legacy: LegacyClient
  const clients: AnyClient[] = []

  async function connectLegacy(token: string) {
    const c = new LegacyClient({ name: 'vitest-legacy', version: '1.0.0' })
    await c.connect(new LegacyTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
    clients.push(c as unknown as AnyClient)
    return c
  }
  const call = async (c: AnyClient, name: string, args: Record<string, unknown> = {}) => {
    const r = await c.callTool({ name, arguments: args })
    const text = r.content[0].text as string
    return { isError: !!r.isError, text, json: r.isError ? null : JSON.parse(text) }
  }
  const data = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await call(legacy as unknown as AnyClient, name, args)
    expect(r.isError, `${name}: ${r.text}`).toBe(false)
    return r.json
  }
  const rest = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<any>
  const post = (body: unknown, headers: Record<string, string> = {}) => fetch(`${server.url}/mcp`, {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'accept': 'application/json, text/event-stream', 'authorization': `Bearer ${key}`, ...headers },
  })
  /** REST output compacted the way the MCP tools compact it, for parity checks. */
  // empty fields left out; get_test_case keeps the two facts a test always carries, null or not (failingSince, lastPassed)
  const KEPT_NULLS = ['failingSince', 'lastPassed']
  const compact = (v: unknown, keptNulls = false): unknown => JSON.parse(JSON.stringify(v, function (this: unknown, k, x) {
    const kept = keptNulls && x === null && KEPT_NULLS.includes(k) && this === v
    return (x === null && !kept) || x === '' || (Array.isArray(x) && !x.length) ? undefined : x
  }))
  /** Where the two doors' words differ: MCP names the tool with a clipped error's whole text, and leaves out the sparkline. */
  const door = (v: unknown, marker = 'get_test_case shows the test\'s error up to 10,000 characters'): unknown => JSON.parse(JSON.stringify(v, (k, x) => {
    if (k === 'passRates') return undefined
    if (!x?.errorTruncated) return x
    const { errorTruncated: _, ...rest } = x
    return { ...rest, errorMessage: `${x.errorMessage} [truncated: ${marker}]` }
  }))

  beforeAll(async () => {
    server = await startDemoServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['read'] })).key
    const ingest = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    await upload(server, [{ name: 'x.xml', content: '<testsuite><testcase name="solo"><failure message="lonely failure 1"/></testcase></testsuite>' }], { key: ingest, query: { project: 'solo' } })
    boundKey = (await createKey(server, cookie, { scopes: ['read'], projectSlug: 'solo' })).key
    legacy = await connectLegacy(key)
  })
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {})
    await server?.stop()
  })

  it('lists the eleven read-only tools, titled, described and with field meanings, in at most 8 KB', async () => {
    const { tools } = await legacy.listTools()
    expect(tools.map(t => t.name)).toEqual(TOOL_NAMES)
    for (const t of tools) {
      expect(t.annotations?.readOnlyHint).toBe(true)
      expect(t.title).toBeTruthy()
      expect(t.description!.length).toBeGreaterThan(50)
      expect(JSON.stringify(t.outputSchema), t.name).toMatch(/"description":"/)
      expect(JSON.stringify(t.outputSchema), t.name).not.toMatch(/additionalProperties|\$schema/)
    }
    const flaky = JSON.stringify(tools.find(t => t.name === 'list_flaky_tests')!.outputSchema)
    for (const field of ['score', 'confidence', 'sample', 'flips', 'label']) expect(flaky).toContain(`"${field}":{`)
    expect(flaky).toMatch(/Wilson/)
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-protocol-version': '2025-06-18' })
    // re-sent to the model on every turn: 4 KB without output schemas, 8 KB with them (see docs/mcp.md for the figure)
    const text = await res.text()
    const bytes = Buffer.byteLength(text)
    console.log(`tools/list: ${bytes} bytes`)
    expect(bytes).toBeLessThanOrEqual(8192)
    // the same request again is answered from the first answer (the tools are fixed for the process), with its own id
    const again = await post({ jsonrpc: '2.0', id: 'second', method: 'tools/list' }, { 'mcp-protocol-version': '2025-06-18' })
    expect(again.headers.get('cache-control')).toBe('no-store')
    expect(await again.json()).toEqual({ ...JSON.parse(text), id: 'second' })
    const ping = async (id: number) => (await post({ jsonrpc: '2.0', id, method: 'ping' }, { 'mcp-protocol-version': '2025-06-18' })).json()
    expect([await ping(7), await ping(8)]).toEqual([{ jsonrpc: '2.0', id: 7, result: {} }, { jsonrpc: '2.0', id: 8, result: {} }])
    // the SDK's start warning about JSON answers and mid-call notifications (which no tool sends) is not in the log
    expect(server.logs()).not.toContain('drops mid-call notifications')
  })

  it('speaks the modern stateless revision too', async () => {
    const c = new Client({ name: 'vitest-modern', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } })
    await c.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }))
    clients.push(c as unknown as AnyClient)
    expect(c.getProtocolEra()).toBe('modern')
    const r = await c.callTool({ name: 'list_projects', arguments: {} }) as any
    expect(JSON.parse(r.content[0].text).items.map((p: any) => p.slug)).toContain('web')
  })

  it('returns the same data as the dashboard API, tool by tool', async () => {
    expect(await data('list_projects')).toEqual(compact(door({ items: await rest('/api/projects') })))
    // what MCP leaves out of a failed-result row: the dashboard's suite path, file, commit and whole error
    const line = (m?: string) => {
      const l = m?.split('\n').find(x => x.trim())?.trim()
      return l && l.length > 200 ? `${l.slice(0, 199)}…` : l
    }
    const row = (r: any) => ({
      testCaseId: r.testCaseId, title: r.title, ...(r.variant ? { variant: r.variant } : {}), status: r.status,
      clusterId: r.clusterId ?? undefined, ...(r.quarantined ? { quarantined: true } : {}), ...(r.runId ? { runId: r.runId } : {}),
      ...(r.startedAt ? { startedAt: r.startedAt, branch: r.branch } : {}),
      ...(r.knownFailure !== undefined ? { knownFailure: r.knownFailure } : {}), ...(r.flaky ? { flaky: true } : {}),
      ...(r.attempts > 1 ? { attempts: r.attempts } : {}), ...(r.outage ? { outage: true } : {}),
      error: line(r.errorMessage ?? r.attemptDetails?.find((a: any) => a.errorMessage)?.errorMessage),
    })
    expect(await data('get_project', { projectSlug: 'web' })).toEqual(compact(door(await rest('/api/projects/web'))))
    const runs = await data('list_runs', { projectSlug: 'web', limit: 5 })
    expect(runs).toEqual(compact(await rest('/api/projects/web/runs?limit=5')))
    const red = (await data('list_runs', { projectSlug: 'web', status: 'failed', limit: 1 })).items[0]
    const { results: restResults, failureGroups, ...restRun } = await rest(`/api/runs/${red.id}?limit=10`)
    // a group lists its first tests and says how many more it has
    const groups = failureGroups.map(({ tests, ...g }: any) => ({
      ...g, tests: tests.map(({ resultId: _, knownFailure, ...t }: any) => t.flaky ? t : { ...t, knownFailure }),
      ...(g.failures + g.flaky > tests.length ? { testsNotListed: g.failures + g.flaky - tests.length } : {}),
    }))
    expect(await data('get_run', { runId: red.id })).toEqual(compact({ ...restRun, failureGroups: groups }))
    expect(await data('get_run', { runId: red.id, results: 'failed', limit: 10 }))
      .toEqual(compact({ ...restRun, failureGroups: groups, results: { ...restResults, items: restResults.items.map(row) } }))
    // a run's triage in one call: its failures by cause with their first tests, in a default answer of about 2k tokens
    const failing = (r: any) => (r.counts.failed ?? 0) + (r.counts.errored ?? 0)
    const worst = (await data('list_runs', { projectSlug: 'web', status: 'failed', limit: 100 })).items.reduce((a: any, b: any) => (failing(b) > failing(a) ? b : a))
    const triage = await call(legacy as unknown as AnyClient, 'get_run', { runId: worst.id })
    expect(triage.json.failureGroups.reduce((n: number, g: any) => n + g.failures, 0)).toBe(failing(worst))
    expect(triage.json.failureGroups.some((g: any) => g.testsNotListed > 0)).toBe(true)
    for (const g of triage.json.failureGroups) expect(g.tests.length + (g.testsNotListed ?? 0)).toBe(g.failures + g.flaky)
    console.log(`get_run of a run with ${failing(worst)} failures in ${triage.json.failureGroups.length} groups: ${triage.text.length} chars`)
    expect(triage.text.length).toBeLessThan(10_000)
    const failedRest = await rest('/api/projects/web/failed-results')
    const failedMcp = await call(legacy as unknown as AnyClient, 'list_failed_cases', { projectSlug: 'web', limit: 20 })
    expect(failedMcp.json).toEqual(compact({ ...failedRest, items: failedRest.items.map(row) }))
    const perRow = Buffer.byteLength(failedMcp.text) / failedMcp.json.items.length
    console.log(`list_failed_cases: ${Math.round(perRow)} bytes a row (${Math.round(Buffer.byteLength(JSON.stringify(compact(door(failedRest)))) / failedRest.items.length)} in the dashboard's shape)`)
    expect(perRow).toBeLessThanOrEqual(400)
    const flaky = await data('list_flaky_tests', { projectSlug: 'web' })
    expect(flaky).toEqual(compact(await rest('/api/projects/web/flaky-tests')))
    const { history, ...testCase } = await rest(`/api/test-cases/${flaky.items[0].testCaseId}`)
    const mcpCase = await data('get_test_case', { testCaseId: flaky.items[0].testCaseId, history: 20 })
    const { history: mcpHistory, errors, ...mcpRest } = mcpCase
    // its clusters say this test's occurrences apart from a cluster's total (get_cluster's occurrences)
    const testClusters = testCase.clusters.map(({ occurrences, ...c }: any) => ({ ...c, testOccurrences: occurrences }))
    expect(mcpRest).toEqual(compact({ ...testCase, clusters: testClusters }, true))
    const failedCase = (await rest('/api/projects/web/failed-results?limit=20')).items.find((r: any) => r.clusterId)
    const failedClusters = (await data('get_test_case', { testCaseId: failedCase.testCaseId })).clusters
    expect(failedClusters.map((c: any) => c.id)).toContain(failedCase.clusterId)
    for (const c of failedClusters) {
      expect(c).not.toHaveProperty('occurrences')
      expect(c.testOccurrences).toBeGreaterThan(0)
      expect(c.testOccurrences).toBeLessThanOrEqual((await data('get_cluster', { clusterId: c.id })).occurrences)
    }
    // historyCursor pages the rest of the history with historyNextCursor, to the end, as REST's history list does
    const restAll = await (async () => {
      const rows: any[] = [...history]
      for (let cursor = testCase.historyNextCursor; cursor;) {
        const page = await rest(`/api/test-cases/${testCase.testCaseId}/history?limit=20&cursor=${encodeURIComponent(cursor)}`)
        rows.push(...page.items)
        cursor = page.nextCursor
      }
      return rows
    })()
    const mcpAll = [...mcpHistory]
    for (let cursor = mcpCase.historyNextCursor; cursor;) {
      const page = await data('get_test_case', { testCaseId: testCase.testCaseId, history: 20, historyCursor: cursor })
      // a later page is its rows (and their errors), not the test again
      expect(Object.keys(page).filter(k => !['testCaseId', 'history', 'errors', 'historyNextCursor'].includes(k))).toEqual([])
      mcpAll.push(...page.history)
      cursor = page.historyNextCursor
    }
    expect(restAll.length).toBeGreaterThan(20)
    expect(mcpAll.map(h => h.runId)).toEqual(restAll.map(h => h.runId))
    expect(mcpHistory).toEqual(compact(history.map((h: any) => ({
      runId: h.runId, startedAt: h.startedAt, branch: h.branch, status: h.status, durationMs: h.durationMs, commit: h.commit,
      ...(h.flaky ? { flaky: true } : {}), ...(h.attempts > 1 ? { attempts: h.attempts } : {}) }))))
    // each cause once (its cluster; a message without one), with how many history rows had it and the newest that did
    const lines = history.map((h: any) => row(h).error).filter(Boolean)
    expect(errors.reduce((n: number, e: any) => n + e.count, 0)).toBe(lines.length)
    const causeOf = (x: any) => x.clusterId ?? `message ${row(x).error ?? x.message}`
    expect(new Set(errors.map(causeOf)).size).toBe(errors.length)
    for (const e of errors) {
      const newest = history.find((h: any) => row(h).error && causeOf(h) === causeOf(e))
      expect({ runId: newest.runId, message: row(newest).error }).toEqual({ runId: e.lastRunId, message: e.message })
    }
    const clusters = await data('list_clusters', { projectSlug: 'web' })
    expect(clusters).toEqual(compact(await rest('/api/projects/web/clusters')))
    const id = clusters.items[0].id
    // the page's read adds the cited runs' numbers (#50); an agent reads the ids
    const { latest: { runNumbers, ...restLatest }, ...restDiagnosis } = await rest(`/api/clusters/${id}/diagnosis`)
    expect(Object.keys(runNumbers).length).toBeGreaterThan(0)
    expect(await data('get_cluster_diagnosis', { clusterId: id })).toEqual(compact({ ...restDiagnosis, latest: restLatest }))
    // the affected tests listed, and how many more there are; a diagnosis older than the latest failure says so
    for (const clusterId of clusters.items.slice(0, 10).map((c: any) => c.id)) {
      const restCluster = await rest(`/api/clusters/${clusterId}`)
      const more = restCluster.affectedTests - restCluster.affected.length
      const d = restCluster.diagnosis
      const older = d && d.createdAt < restCluster.lastSeenAt ? { diagnosis: { ...d, note: `Made before the run of the latest failure started (${restCluster.lastSeenAt}): the scores and counts it quotes are of its time.` } } : {}
      expect(await data('get_cluster', { clusterId })).toEqual(compact({ ...restCluster, ...older, ...(more > 0 ? { affectedNotListed: more } : {}) }))
    }
    const context = await data('get_cluster_context', { clusterId: id })
    const restContext = await rest(`/api/clusters/${id}/context`)
    expect(context.markdown).toBe(restContext.markdown)
    expect(context.approxTokens).toBeLessThan(8000)
  })

  it('pages every list to the end without repeats, and a pass on retry is never a failure', async () => {
    const restAll = async (path: string) => {
      const items: any[] = []
      let cursor: string | undefined
      do {
        const page = await rest(`${path}${path.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        items.push(...(Array.isArray(page) ? page : page.items))
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      return items.map(key)
    }
    const key = (x: any) => x.slug ?? (x.runId ? `${x.runId}/${x.testCaseId}` : x.id ?? x.testCaseId)
    for (const [tool, args, path] of [
      ['list_runs', { projectSlug: 'web' }, '/api/projects/web/runs'],
      ['list_failed_cases', { projectSlug: 'api' }, '/api/projects/api/failed-results'],
      ['list_projects', {}, '/api/projects'],
      ['list_flaky_tests', { projectSlug: 'web', label: 'any' }, '/api/projects/web/flaky-tests?label=any'],
      ['list_clusters', { projectSlug: 'billing' }, '/api/projects/billing/clusters'],
    ] as const) {
      const seen: string[] = []
      let cursor: string | undefined
      for (let i = 0; i < 500; i++) {
        const page = await data(tool, { ...args, limit: 3, ...(cursor ? { cursor } : {}) })
        seen.push(...page.items.map(key))
        cursor = page.nextCursor
        if (!cursor) break
      }
      expect(new Set(seen).size, tool).toBe(seen.length)
      expect(seen, tool).toEqual(await restAll(path))
    }
    const runs = (await data('list_runs', { projectSlug: 'web', limit: 100 })).items
    const withFlakes = runs.find((r: any) => r.counts.flaky > 0)
    const resultsOf = async (results: string, limit: number) => {
      const rows: any[] = []
      let cursor: string | undefined
      do {
        const page = (await data('get_run', { runId: withFlakes.id, results, limit, ...(cursor ? { cursor } : {}) })).results
        rows.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      return rows
    }
    expect(await data('get_run', { runId: withFlakes.id })).not.toHaveProperty('results')
    const failed = await resultsOf('failed', 5)
    expect(failed).toHaveLength((withFlakes.counts.failed ?? 0) + (withFlakes.counts.errored ?? 0))
    expect(failed.every((r: any) => r.status !== 'passed')).toBe(true)
    const flaky = await resultsOf('flaky', 200)
    expect(flaky).toHaveLength(withFlakes.counts.flaky)
    expect(flaky.every((r: any) => r.status === 'passed' && r.flaky && r.error)).toBe(true)
  })

  it('get_run of a build that sent a file per test class: its failures whole, its first 10 files, the rest counted', async () => {
    const ingest = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const files = Array.from({ length: 320 }, (_, i) => ({
      name: `TEST-com.acme.ledger.module${i % 8}.Service${i}Test.xml`,
      content: `<testsuite name="com.acme.ledger.Service${i}Test"><testcase classname="com.acme.ledger.Service${i}Test" name="works()">${i === 317 ? '<failure message="expected: &lt;2&gt; but was: &lt;3&gt;"/>' : ''}</testcase></testsuite>`,
    }))
    // the CLI sends at most 50 files an upload, under one run key
    for (let i = 0; i < files.length; i += 50) {
      const r = await upload(server, files.slice(i, i + 50), { key: ingest, query: { project: 'gradle', runKey: 'build-1' } })
      expect(r.status, JSON.stringify(r.body)).toBe(201)
    }
    const run = await data('get_run', { runId: 'gradle#1' })
    expect(run.failureGroups.flatMap((g: any) => g.tests.map((t: any) => t.title))).toEqual(['works()'])
    expect([run.uploads.length, run.uploadsNotListed]).toEqual([10, 310])
    expect(JSON.stringify(run)).not.toContain('[cut at')
  })

  it('a JVM build: a skipped test\'s @Disabled reason in the run\'s rows and its history; failures carry their suite path', async () => {
    const ingest = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const r = await upload(server, JVM_REPORTS, { key: ingest, query: { project: 'jvm', runKey: 'jvm-1' } })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const reason = 'Legacy endpoint removed in 2.0, see #412'
    const skipped = (await rest(`/api/runs/${r.body.runId}?status=skipped`)).results.items
    expect(skipped.map((x: any) => [x.title, x.skipReason])).toEqual([['legacyEndpoint()', reason]])
    expect((await rest(`/api/runs/${r.body.runId}?status=passed`)).results.items.every((x: any) => !('skipReason' in x))).toBe(true)
    expect((await data('get_run', { runId: r.body.runId, results: 'skipped' })).results.items[0].skipReason).toBe(reason)
    expect((await data('get_test_case', { testCaseId: skipped[0].testCaseId })).history[0]).toMatchObject({ status: 'skipped', skipReason: reason })
    expect((await rest(`/api/test-cases/${skipped[0].testCaseId}`)).history[0].skipReason).toBe(reason)
    const failing = (await rest(`/api/runs/${r.body.runId}`)).failureGroups.flatMap((g: any) => g.tests)
    expect(failing.map((t: any) => [t.suitePath, t.title]).sort()).toEqual([
      [['com.example.api.ApplicationTests'], 'contextLoads()'],
      [['com.example.billing.ApplicationTests'], 'contextLoads()'],
    ])
  })

  it('a Go monorepo\'s packages that did not build: list_failed_cases says each row\'s package, which no file does', async () => {
    const ingest = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const content = readFileSync(`${__dirname}/../fixtures/reports/gojunit-build.xml`, 'utf8')
    expect((await upload(server, [{ name: 'report.xml', content }], { key: ingest, query: { project: 'go-shop' } })).status).toBe(201)
    const rows = (await data('list_failed_cases', { projectSlug: 'go-shop', limit: 10 })).items
    expect(rows.map((r: any) => [r.title, r.package, r.error]).sort()).toEqual([
      // what the compiler said, not go-junit-report's "Build error" (and "Runtime error": its TestMain exited 1)
      ['Failure', 'example.com/shop/internal/orders', 'orders: ORDERS_DB is not set'],
      ['[build failed]', 'example.com/shop/internal/cart', 'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration'],
      ['[build failed]', 'example.com/shop/internal/pricing', 'internal/pricing/pricing_test.go:9:12: undefined: Discunt'],
      ['[build failed]', 'example.com/shop/internal/search', 'internal/search/search_test.go:9:2: fmt.Printf format %d has arg Normalize("ABC") of wrong type string'],
    ])
  })

  it('names a test as lists do beside its stored title, and lists a cause\'s tests by name, in every tool', async () => {
    const ingest = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    // pytest escapes non-ASCII in a parametrize id; its report order is the order its workers finished
    const scenarios = [5, 6, 8, 4, 3, 7, 2, 9]
    const report = (failing: boolean) => `<testsuites><testsuite name="pytest">${[
      ...Array.from({ length: 12 }, (_, i) => `<testcase classname="tests.test_ok" name="test_ok_${i}"/>`),
      `<testcase classname="tests.test_names" name="test_greet[\\u65e5\\u672c]">${failing ? '<failure message="AssertionError: greeting differs"/>' : ''}</testcase>`,
      `<testcase classname="tests.test_names" name="test_greet[M\\xfcller]">${failing ? '<flakyFailure message="AssertionError: greeting differs"/>' : ''}</testcase>`,
      `<testcase classname="com.example.api.ApplicationTests" name="contextLoads()">${failing ? '<failure message="IllegalStateException: Failed to load ApplicationContext"/>' : ''}</testcase>`,
      ...scenarios.map(n => `<testcase classname="checkout" name="checkout scenario ${n}">${failing ? '<failure message="expected 200, received 500"/>' : ''}</testcase>`),
    ].join('')}</testsuite></testsuites>`
    let receipt: any
    for (const failing of [false, true]) {
      const r = await upload(server, [{ name: 'report.xml', content: report(failing) }], { key: ingest, query: { project: 'names', branch: 'main' } })
      expect(r.status, JSON.stringify(r.body)).toBe(201)
      receipt = r.body
    }
    const named = (t: any) => t.name ? [t.title, t.name] : [t.title]
    const greet = [['test_greet[\\u65e5\\u672c]', 'test_greet[日本]'], ['test_greet[M\\xfcller]', 'test_greet[Müller]']]
    const jvm = ['contextLoads()', 'ApplicationTests › contextLoads()']
    const ordered = scenarios.toSorted().map(n => [`checkout scenario ${n}`])

    const run = await data('get_run', { runId: 'names#2', results: 'failed', limit: 20, compareTo: 'previous' })
    const groups = run.failureGroups.map((g: any) => g.tests.map(named))
    expect(groups).toContainEqual(ordered)
    expect(groups).toContainEqual(greet)
    expect(groups).toContainEqual([jvm])
    // the same order wherever the run's causes are read: the run page's REST read and the receipt the CLI renders
    const restRun = await rest(`/api/runs/${run.id}`)
    expect(restRun.failureGroups.map((g: any) => g.tests.map((t: any) => [t.title]))).toContainEqual(ordered)
    expect(receipt.failureGroups.groups.map((g: any) => g.tests.map((t: any) => [t.title]))).toContainEqual(ordered)
    expect(run.results.items.map(named)).toEqual(expect.arrayContaining([greet[0], jvm]))
    expect(run.comparison.newlyFailing.tests.map(named)).toEqual(expect.arrayContaining([greet[0], jvm]))

    const failed = (await data('list_failed_cases', { projectSlug: 'names', limit: 20 })).items
    expect(failed.map(named)).toEqual(expect.arrayContaining([greet[0], jvm, ['checkout scenario 2']]))
    const flaky = (await data('list_flaky_tests', { projectSlug: 'names', label: 'any' })).items
    expect(flaky.map(named)).toContainEqual(greet[1])
    const testCase = await data('get_test_case', { testCaseId: flaky.find((t: any) => t.name).testCaseId })
    expect(named(testCase)).toEqual(greet[1])
    const cluster = await data('get_cluster', { clusterId: run.failureGroups.find((g: any) => g.tests.length === 2).clusterId })
    expect(cluster.affected.map(named)).toEqual(expect.arrayContaining(greet))
    // as stored, escaped: what pytest selects the test by
    expect(JSON.stringify(run)).toContain('"title":"test_greet[\\\\u65e5\\\\u672c]","name":"test_greet[日本]"')
    // and found by the name shown (a review searched for Müller and found nothing), in search and in the lists' filters
    for (const [q, title] of [['Müller', greet[1]![0]], ['MÜLLER', greet[1]![0]], ['greet[日本', greet[0]![0]], ['M\\xfcller', greet[1]![0]]]) {
      const found = await rest(`/api/search?project=names&q=${encodeURIComponent(q!)}`)
      expect(found.tests.items.map((t: any) => t.title), q).toEqual([title])
      const explored = await rest(`/api/projects/names/tests?query=${encodeURIComponent(q!)}`)
      expect(explored.items.map((t: any) => t.title), q).toEqual([title])
    }
  })

  it('answers bad arguments, unknown ids and other projects with isError sentences the model can act on', async () => {
    const bad = await call(legacy as unknown as AnyClient, 'list_runs', { projectSlug: 'web', status: 'green' })
    expect(bad.isError).toBe(true)
    expect(bad.text).toMatch(/status/)
    // bounds kept out of the advertised JSON Schema (to keep tools/list small) are still enforced
    for (const [arg, value] of [['limit', 0], ['limit', 2.5], ['limit', 101], ['branch', ' '], ['cursor', 'x'.repeat(501)]] as const) {
      const r = await call(legacy as unknown as AnyClient, 'list_runs', { projectSlug: 'web', [arg]: value })
      expect(r.isError, `${arg}=${value}`).toBe(true)
      expect(r.text, `${arg}=${value}`).toMatch(arg)
    }
    // an argument the tool does not take (misnamed: `status` is get_run's REST name for `results`) is refused, not dropped
    for (const [tool, args, key] of [
      ['get_run', { runId: '00000000-0000-4000-8000-000000000000', status: 'all' }, 'status'],
      ['list_runs', { projectSlug: 'web', state: 'failed' }, 'state'],
    ] as const) {
      const r = await call(legacy as unknown as AnyClient, tool, args)
      expect(r, tool).toMatchObject({ isError: true, text: expect.stringContaining(`Unrecognized key: "${key}"`) })
    }
    const cursor = await call(legacy as unknown as AnyClient, 'list_runs', { projectSlug: 'web', cursor: 'nonsense' })
    expect(cursor).toMatchObject({ isError: true })
    expect(cursor.text).toMatch(/cursor/)
    expect(cursor.text).not.toMatch(/select .* from|syntax error|postgres|drizzle/i)
    // the service says what is missing, the MCP door adds where the ids come from
    for (const [tool, args, text] of [
      ['get_run', { runId: '00000000-0000-4000-8000-000000000000' }, 'No run with this id visible to you. list_runs gives the ids of a project\'s runs.'],
      ['get_project', { projectSlug: 'nope' }, 'No project "nope" visible to you. list_projects (or the projects page) shows the ones you can read.'],
      ['list_runs', { projectSlug: 'nope' }, 'No project "nope" visible to you. list_projects (or the projects page) shows the ones you can read.'],
      ['get_test_case', { testCaseId: '00000000-0000-4000-8000-000000000000' },
        'No test case with this id visible to you. get_run, list_failed_cases and list_flaky_tests give test case ids.'],
      ['get_cluster', { clusterId: '00000000-0000-4000-8000-000000000000' },
        'No failure cluster with this id visible to you (a merged cluster lives on in the one it was merged into). list_clusters gives cluster ids.'],
    ] as const) expect(await call(legacy as unknown as AnyClient, tool, args), tool).toEqual({ isError: true, text, json: null })

    // a key bound to project "solo" cannot tell web's ids from ids that do not exist
    const bound = await connectLegacy(boundKey) as unknown as AnyClient
    expect((await call(bound, 'list_projects')).json.items.map((p: any) => p.slug)).toEqual(['solo'])
    const webRun = (await data('list_runs', { projectSlug: 'web', limit: 1 })).items[0].id
    const webCluster = (await data('list_clusters', { projectSlug: 'web', limit: 1 })).items[0].id
    for (const [tool, args, missingArgs] of [
      ['get_project', { projectSlug: 'web' }, { projectSlug: 'nope' }],
      ['get_run', { runId: webRun }, { runId: '00000000-0000-4000-8000-000000000001' }],
      ['get_cluster', { clusterId: webCluster }, { clusterId: '00000000-0000-4000-8000-000000000001' }],
      ['get_cluster_diagnosis', { clusterId: webCluster }, { clusterId: '00000000-0000-4000-8000-000000000001' }],
      ['get_cluster_context', { clusterId: webCluster }, { clusterId: '00000000-0000-4000-8000-000000000001' }],
    ] as const) {
      const other = await call(bound, tool, args)
      const absent = await call(bound, tool, missingArgs)
      expect(other.isError, tool).toBe(true)
      expect(other.text.replace(/"[^"]*"/g, '""'), tool).toBe(absent.text.replace(/"[^"]*"/g, '""'))
    }
  })

  it('follows the transport rules: 405, 202, 403, 401 with WWW-Authenticate, JSON-only Accept, 413, no-store', async () => {
    const get = await fetch(`${server.url}/mcp`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expect((await fetch(`${server.url}/mcp`, { method: 'DELETE' })).status).toBe(405)

    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-protocol-version': '2025-06-18' })
    expect(note.status).toBe(202)
    expect(await note.text()).toBe('')

    expect((await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { origin: 'https://evil.example' })).status).toBe(403)

    const none = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="proofdeck"')
    expect((await none.json() as any).error.message).toMatch(/Settings → API keys/)
    const wrong = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: 'Bearer pd_0000000000000000000000000000000000000000000000000000000000000000' })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    expect(server.logs()).not.toContain('pd_0000000000000000000000000000000000000000000000000000000000000000')

    const jsonOnly = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } } }, { accept: 'application/json' })
    expect(jsonOnly.status).toBe(200)
    expect(jsonOnly.headers.get('content-type')).toMatch(/application\/json/)
    expect(jsonOnly.headers.get('cache-control')).toBe('no-store')
    expect((await jsonOnly.json() as any).result.protocolVersion).toBe('2025-06-18')

    expect((await post('x'.repeat(1_100_000))).status).toBe(413)
    expect((await post('{not json', { 'mcp-protocol-version': '2025-06-18' })).status).toBe(400)

    const probe = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)
    expect(probe.status).toBe(404)
    expect((await probe.json() as any).error_description).toMatch(/API keys/)
    const register = await fetch(`${server.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect((await register.json() as any).error_description).toMatch(/does not use OAuth/)
  })

  it('takes a revoked key, a narrowed membership and a deactivated owner into account from the very next call', async () => {
    // a checked key is answered from memory until a change to keys is heard; every such change on this instance
    // forgets the kept keys at once (on PGlite the only way to hear it; instances.test.ts: another instance's change)
    const admin = (method: string, path: string, body?: unknown) => fetch(`${server.url}${path}`, {
      method, headers: { cookie, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
    })
    const listAs = (token: string) => post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${token}` })
    const revocable = await createKey(server, cookie, { scopes: ['read'] })
    expect((await listAs(revocable.key)).status).toBe(200)
    expect((await listAs(revocable.key)).status).toBe(200)
    expect((await admin('DELETE', `/api/keys/${revocable.id}`)).status).toBe(200)
    const revoked = await listAs(revocable.key)
    expect(revoked.status).toBe(401)
    expect((await revoked.json() as any).error.message).toMatch(/revoked/)

    const creds = { email: 'cached-member@example.test', password: 'member password 123' }
    const member = (await (await admin('POST', '/api/users', { ...creds, name: 'Member', role: 'member', projectSlugs: ['web'] })).json() as any).user
    const memberKey = (await createKey(server, await login(server, creds), { scopes: ['read'] })).key
    const asMember = await connectLegacy(memberKey)
    expect((await call(asMember as unknown as AnyClient, 'get_project', { projectSlug: 'web' })).isError).toBe(false)
    expect((await admin('PATCH', `/api/users/${member.id}`, { projectSlugs: [] })).status).toBe(200)
    const narrowed = await call(asMember as unknown as AnyClient, 'get_project', { projectSlug: 'web' })
    expect(narrowed.isError).toBe(true)
    expect(narrowed.text).toMatch(/No project "web"/)
    expect((await admin('PATCH', `/api/users/${member.id}`, { active: false })).status).toBe(200)
    expect((await listAs(memberKey)).status).toBe(401)
  })

  it('an ingest-only key cannot read', async () => {
    const ingestOnly = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    const r = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${ingestOnly}` })
    expect(r.status).toBe(401)
    expect((await r.json() as any).error.message).toMatch(/"read" scope/)
  })
})
