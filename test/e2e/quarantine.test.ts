import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QUARANTINE_RELEASE_PASSES } from '#shared/constants'
import { startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { JVM_REPORTS } from '../fixtures/jvm-build'

const exec = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'pd-quarantine-'))

/** A Proofdeck JSON report: the tests named fail, the rest pass. */
function report(failing: string[], passing: string[] = ['login works']) {
  const results = [
    ...failing.map(title => ({ title, status: 'failed', errorMessage: `${title}: expected 1 to be 2` })),
    ...passing.map(title => ({ title, status: 'passed' })),
  ]
  return JSON.stringify({ format: 'proofdeck', version: 1, results })
}

function reportFile(name: string, failing: string[], passing?: string[]) {
  const path = join(dir, name)
  writeFileSync(path, report(failing, passing))
  return path
}

describe('quarantine', () => {
  let server: TestServer
  let admin: string
  let ingestKey: string
  let readKey: string
  const cookies: Record<'member' | 'viewer' | 'outsider', string> = { member: '', viewer: '', outsider: '' }
  const ids: Record<string, string> = {}

  const call = (who: string, method: string, path: string, body?: unknown) => fetch(`${server.url}${path}`, {
    method, headers: { 'content-type': 'application/json', 'cookie': who }, body: body === undefined ? undefined : JSON.stringify(body),
  })
  const answer = async (res: Promise<Response>, status: number) => {
    const r = await res
    const text = await r.text()
    expect(r.status, text).toBe(status)
    return JSON.parse(text)
  }
  const quarantine = (who: string, title: string, body: unknown) => call(who, 'PUT', `/api/test-cases/${ids[title]}/quarantine`, body)
  const release = (who: string, title: string) => call(who, 'DELETE', `/api/test-cases/${ids[title]}/quarantine`)
  const cli = async (args: string[], key = ingestKey) => {
    const env = { PATH: process.env.PATH!, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key }
    try {
      const { stdout, stderr } = await exec(process.execPath, ['cli/proofdeck.mjs', ...args], { env })
      return { code: 0, stdout, stderr }
    }
    catch (err) {
      const e = err as { code: number, stdout: string, stderr: string }
      return { code: e.code, stdout: e.stdout, stderr: e.stderr }
    }
  }
  let runs = 0
  // each a CI run of its own (its key): outside a CI the CLI keys a run by its content, and these reports repeat theirs
  const uploadCli = (failing: string[], passing?: string[]) =>
    cli(['upload', reportFile(`run-${++runs}.json`, failing, passing), '--project', 'web', '--fail-on-blocking', '--run-key', `run-${runs}`])

  async function addUser(name: string, role: string, project: string) {
    const created = await answer(call(admin, 'POST', '/api/users', { email: `${name}@example.test`, name, role, projectSlugs: [project] }), 201)
    return login(server, { email: `${name}@example.test`, password: created.generatedPassword })
  }

  beforeAll(async () => {
    server = await startServer()
    admin = await login(server)
    ingestKey = (await createKey(server, admin, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, admin, { scopes: ['read'] })).key
    const first = await upload(server, [{ name: 'r.json', content: report(['checkout pays', 'search is fast']) }], { key: ingestKey, query: { project: 'web' } })
    for (const t of first.body.failures.blocking) ids[t.title] = t.testCaseId
    await upload(server, [{ name: 'r.json', content: report([]) }], { key: ingestKey, query: { project: 'other' } })
    cookies.member = await addUser('Mia', 'member', 'web')
    cookies.viewer = await addUser('Vic', 'viewer', 'web')
    cookies.outsider = await addUser('Olu', 'member', 'other')
  })
  afterAll(() => server?.stop())

  it('lets a member quarantine and release a test; a viewer is refused, another project\'s user gets a 404, bad input a sentence', async () => {
    const set = await answer(quarantine(cookies.member, 'search is fast', { reason: '  vendor sandbox times out  ' }), 200)
    expect(set).toMatchObject({ reason: 'vendor sandbox times out', by: { name: 'Mia' }, expiresAt: null, passesInARow: 0, releaseProposed: false })
    expect(Date.now() - Date.parse(set.at)).toBeLessThan(60_000)

    const viewer = await answer(quarantine(cookies.viewer, 'checkout pays', { reason: 'x' }), 403)
    expect(viewer.message).toBe('Only members and admins signed in to the dashboard can quarantine or release a test.')
    await answer(release(cookies.viewer, 'search is fast'), 403)
    for (const res of [quarantine(cookies.outsider, 'checkout pays', { reason: 'x' }), release(cookies.outsider, 'search is fast')]) {
      expect((await answer(res, 404)).message).toBe('No test case with this id visible to you.')
    }

    expect((await answer(quarantine(cookies.member, 'checkout pays', {}), 400)).message).toMatch(/Say why the test is quarantined/)
    expect((await answer(quarantine(cookies.member, 'checkout pays', { reason: ' ' }), 400)).message).toMatch(/Say why the test is quarantined/)
    expect((await answer(quarantine(cookies.member, 'checkout pays', { reason: 'x'.repeat(501) }), 400)).message).toMatch(/at most 500 characters/)
    const past = await answer(quarantine(cookies.member, 'checkout pays', { reason: 'x', until: '2020-01-01T00:00:00Z' }), 400)
    expect(past.message).toMatch(/An expiry is in the future/)
    expect((await answer(quarantine(cookies.member, 'checkout pays', { reason: 'x', expiresAt: 'soon' }), 400)).message).toMatch(/ISO date-time/)
    expect((await answer(call(cookies.member, 'PUT', '/api/test-cases/nope/quarantine', { reason: 'x' }), 400)).message).toMatch(/test case id is a UUID/)

    // the viewer and the outsider changed nothing; a release by a member does
    const detail = await answer(call(cookies.viewer, 'GET', `/api/test-cases/${ids['search is fast']}`), 200)
    expect(detail.quarantine).toMatchObject({ reason: 'vendor sandbox times out', by: { name: 'Mia' } })
    expect((await answer(call(admin, 'GET', `/api/test-cases/${ids['checkout pays']}`), 200)).quarantine).toBeNull()
    expect(await answer(release(cookies.member, 'search is fast'), 200)).toEqual({ released: true })
    expect(await answer(release(cookies.member, 'search is fast'), 200)).toEqual({ released: false })
    expect((await answer(call(admin, 'GET', `/api/test-cases/${ids['search is fast']}`), 200)).quarantine).toBeNull()
  })

  const mcpCall = async (name: string, args: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept': 'application/json', 'authorization': `Bearer ${readKey}`, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
    })
    return JSON.parse(((await res.json()) as any).result.content[0].text)
  }

  it('splits the receipt into blocking and quarantined failures; --fail-on-blocking exits 1 only for a blocking one', async () => {
    await answer(quarantine(cookies.member, 'search is fast', { reason: 'vendor sandbox times out' }), 200)
    const receipt = (await upload(server, [{ name: 'r.json', content: report(['checkout pays', 'search is fast']) }],
      { key: ingestKey, query: { project: 'web' } })).body
    expect(receipt.failures).toEqual({
      blocking: [{ testCaseId: ids['checkout pays'], title: 'checkout pays', variant: null, url: `${server.url}/tests/${ids['checkout pays']}` }],
      quarantined: [{
        testCaseId: ids['search is fast'], title: 'search is fast', variant: null, reason: 'vendor sandbox times out', url: `${server.url}/tests/${ids['search is fast']}`,
      }],
      counts: { blocking: 1, quarantined: 1 },
      // the same report was sent before the quarantine: this retry counts its tests again, the quarantine included
      thisUpload: { blocking: 1, quarantined: 1 },
    })
    // the run page, get_run and list_failed_cases say which failure is quarantined, as the receipt does
    const quarantinedIn = (rows: { title: string, quarantined?: boolean }[]) => rows.filter(r => r.quarantined).map(r => r.title)
    const page = await answer(call(cookies.viewer, 'GET', `/api/runs/${receipt.runId}`), 200)
    expect(quarantinedIn(page.results.items)).toEqual(['search is fast'])
    expect(quarantinedIn(page.failureGroups.flatMap((g: any) => g.tests))).toEqual(['search is fast'])
    const run = await mcpCall('get_run', { runId: receipt.runId, results: 'failed' })
    expect(quarantinedIn(run.results.items)).toEqual(['search is fast'])
    expect(quarantinedIn(run.failureGroups.flatMap((g: any) => g.tests))).toEqual(['search is fast'])
    const failed = await mcpCall('list_failed_cases', { projectSlug: 'web', limit: 2 })
    expect(quarantinedIn(failed.items)).toEqual(['search is fast'])

    const blocked = await uploadCli(['checkout pays', 'search is fast'])
    expect(blocked.code).toBe(1)
    expect(blocked.stderr).toContain('1 failure blocking: checkout pays (1 failure forgiven: quarantined)')

    await answer(quarantine(cookies.member, 'checkout pays', { reason: 'payment provider outage' }), 200)
    const forgiven = await uploadCli(['checkout pays', 'search is fast'])
    expect(forgiven.code).toBe(0)
    expect(forgiven.stdout).toMatch(/web: run #\d+ failed/)
    expect(forgiven.stderr).toContain(
      '2 failures forgiven: quarantined — checkout pays (payment provider outage), search is fast (vendor sandbox times out)')

    // a run with many failures keeps a small receipt: 20 named per kind, every one counted
    const many = Array.from({ length: 25 }, (_, i) => `bulk ${String(i).padStart(2, '0')}`)
    const big = (await upload(server, [{ name: 'r.json', content: report([...many, 'search is fast']) }], { key: ingestKey, query: { project: 'web' } })).body
    expect(big.failures.blocking.map((t: { title: string }) => t.title)).toEqual(many.slice(0, 20))
    expect(big.failures.counts).toEqual({ blocking: 25, quarantined: 1 })
    const bulk = await uploadCli(many)
    expect(bulk.stderr).toContain('25 failures blocking: bulk 00, bulk 01, bulk 02, bulk 03, bulk 04, …and 20 more')

    const without = await cli(['upload', reportFile('plain.json', ['checkout pays']), '--project', 'web'])
    expect(without.code).toBe(0)
    expect(without.stderr).not.toContain('forgiven')
  })

  it('an expired quarantine no longer applies: the failure blocks again and the list leaves it out', async () => {
    await answer(quarantine(cookies.member, 'checkout pays', { reason: 'until the fix lands', expiresAt: new Date(Date.now() + 1500).toISOString() }), 200)
    expect((await uploadCli(['checkout pays'])).code).toBe(0)
    await new Promise(r => setTimeout(r, 1600))
    const again = await uploadCli(['checkout pays'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('1 failure blocking: checkout pays')
    expect((await answer(call(admin, 'GET', `/api/test-cases/${ids['checkout pays']}`), 200)).quarantine).toBeNull()
    const list = await cli(['quarantine', '--project', 'web'])
    expect(list.stdout).toBe('search is fast\n')
  })

  it('proofdeck quarantine prints the list as titles or JSON, with an ingest or a read key, for the key\'s projects only', async () => {
    await answer(quarantine(cookies.member, 'checkout pays', { reason: 'payment provider outage', until: '2099-01-01T00:00:00Z' }), 200)
    const list = await cli(['quarantine', '--project', 'web', '--format', 'list'])
    expect(list).toMatchObject({ code: 0, stdout: 'checkout pays\nsearch is fast\n' })
    const json = await cli(['quarantine', '--project', 'web', '--format', 'json'], readKey)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ testCaseId: ids['checkout pays'], title: 'checkout pays', variant: null, reason: 'payment provider outage', by: 'Mia', expiresAt: '2099-01-01T00:00:00.000Z' }),
      expect.objectContaining({ testCaseId: ids['search is fast'], title: 'search is fast', reason: 'vendor sandbox times out', expiresAt: null }),
    ])
    expect((await cli(['quarantine', '--project', 'web', '--format', 'csv'])).code).toBe(2)
    const memberKey = (await createKey(server, cookies.outsider, { scopes: ['read'] })).key
    const outside = await cli(['quarantine', '--project', 'web'], memberKey)
    expect(outside.code).toBe(1)
    expect(outside.stderr).toContain('404: No project "web" visible to you.')
    expect((await fetch(`${server.url}/api/v1/projects/web/quarantine`)).status).toBe(401)
  })

  it('shows the quarantine on the flaky list and in MCP, and proposes release after passing runs in a row', async () => {
    const flaky = async () => (await answer(call(cookies.viewer, 'GET', '/api/projects/web/flaky-tests?label=any&limit=100'), 200)).items as any[]
    const listed = (await flaky()).find(t => t.title === 'search is fast')
    expect(listed.quarantine).toMatchObject({ reason: 'vendor sandbox times out', by: { name: 'Mia' }, releaseProposed: false })
    const detail = async () => (await answer(call(cookies.viewer, 'GET', `/api/test-cases/${ids['search is fast']}`), 200)).quarantine
    const card = async () => (await answer(call(cookies.viewer, 'GET', '/api/projects/web/quarantine'), 200)).items as any[]

    for (let i = 0; i < QUARANTINE_RELEASE_PASSES - 1; i++) await uploadCli([], ['search is fast'])
    expect(await detail()).toMatchObject({ passesInARow: QUARANTINE_RELEASE_PASSES - 1, releaseProposed: false })
    await uploadCli([], ['search is fast'])
    expect(await detail()).toMatchObject({ passesInARow: QUARANTINE_RELEASE_PASSES, releaseProposed: true })
    // the flaky page's card: a passing test may have left the flaky list, the proposal is still shown
    expect((await card()).map(t => [t.title, t.releaseProposed])).toEqual([['checkout pays', false], ['search is fast', true]])
    expect((await answer(call(cookies.outsider, 'GET', '/api/projects/web/quarantine'), 404)).message).toBe('No project "web" visible to you.')

    const test = await mcpCall('get_test_case', { testCaseId: ids['search is fast'] })
    expect(test.quarantine).toMatchObject({ reason: 'vendor sandbox times out', by: { name: 'Mia' }, releaseProposed: true })
    expect(test.quarantine.at).toEqual(expect.any(String))
    const inMcp = (await mcpCall('list_flaky_tests', { projectSlug: 'web', label: 'any' })).items.find((t: any) => t.title === 'checkout pays')
    expect(inMcp.quarantine).toMatchObject({ reason: 'payment provider outage', expiresAt: '2099-01-01T00:00:00.000Z' })
  })

  it('counts new and already failing on main over the blocking failures; a quarantined failure is in neither, the run page counts it', async () => {
    const send = async (failing: string[], runKey: string) => (await upload(server, [{ name: 'r.json', content: report(failing, ['logs in'].filter(t => !failing.includes(t))) }],
      { key: ingestKey, query: { project: 'web-novelty', branch: 'main', runKey } })).body
    const first = await send(['pays', 'ships'], 'q1')
    const ship = first.failures.blocking.find((t: any) => t.title === 'ships').testCaseId
    await answer(call(admin, 'PUT', `/api/test-cases/${ship}/quarantine`, { reason: 'carrier sandbox down' }), 200)

    const second = await send(['pays', 'ships', 'logs in'], 'q2')
    // pays failed on main before (known), logs in passed there (new), ships is quarantined: listed apart, in no count
    expect(second.failureGroups.novelty).toEqual({ new: 1, known: 1 })
    const tests = second.failureGroups.groups.flatMap((g: any) => g.tests).map((t: any) => [t.title, t.known, t.quarantined]).sort()
    expect(tests).toEqual([['logs in', false, false], ['pays', true, false], ['ships', true, true]])
    expect(second.failures.counts).toEqual({ blocking: 2, quarantined: 1 })
    expect((await answer(call(admin, 'GET', `/api/runs/${second.runId}`), 200)).novelty).toEqual({ new: 1, known: 2, defaultBranch: 'main' })
  })

  it('names JVM tests with their class in the blocking and quarantined lists, and the CLI prints those names', async () => {
    // two modules' ApplicationTests.contextLoads() fail (api and billing); billing's is quarantined
    const first = (await upload(server, JVM_REPORTS, { key: ingestKey, query: { project: 'jvm-quarantine', runKey: 'jvm-1' } })).body
    const name = 'ApplicationTests › contextLoads()'
    expect(first.failures.blocking.map((t: any) => [t.title, t.name])).toEqual([['contextLoads()', name], ['contextLoads()', name]])
    // as the failure groups name them
    expect(first.failureGroups.groups.flatMap((g: any) => g.tests).map((t: any) => t.name)).toEqual([name, name])
    const billing = (await answer(call(admin, 'GET', `/api/runs/${first.runId}?status=failed`), 200)).results.items
      .find((r: any) => r.suitePath[0] === 'com.example.billing.ApplicationTests').testCaseId
    await answer(call(admin, 'PUT', `/api/test-cases/${billing}/quarantine`, { reason: 'billing sandbox down' }), 200)

    const files = JVM_REPORTS.map((f) => {
      const path = join(dir, 'jvm', f.name)
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, f.content)
      return path
    })
    const summary = join(dir, 'jvm-summary.md')
    const res = await cli(['upload', ...files, '--project', 'jvm-quarantine', '--run-key', 'jvm-2', '--fail-on-blocking', '--summary', summary, '--no-comment'])
    expect(res.code, res.stderr).toBe(1)
    expect(res.stderr).toContain(`1 failure blocking: ${name} (1 failure forgiven: quarantined)`)
    expect(readFileSync(summary, 'utf8')).toMatch(/#### Quarantined \(1, not blocking\)\n\n- \[ApplicationTests › contextLoads\\\(\\\)\]\(\S+\) — billing sandbox down/)
  })
})
