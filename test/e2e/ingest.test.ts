import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { deflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countRows, queryDb, startServer, type TestServer } from './server'
import { createKey, login, trendByDay, trendOfRuns, upload } from './client'

const CORPUS = resolve(__dirname, '../../../shared/corpus')
interface Counts { tests: number, passed: number, failed: number, errored: number, skipped: number, flaky: number }
const expected: (Counts & { file: string, malformed: boolean })[]
  = JSON.parse(readFileSync(`${CORPUS}/expected.json`, 'utf8'))
const corpusFile = (file: string) => ({ name: file.split('/').pop()!, content: readFileSync(`${CORPUS}/${file}`) })
const countsOf = (e: Counts): Counts => ({
  tests: e.tests, passed: e.passed, failed: e.failed, errored: e.errored, skipped: e.skipped, flaky: e.flaky,
})
const expectedFor = (file: string) => expected.find(e => e.file === file)!

describe('ingest', () => {
  let server: TestServer
  let key: string
  let readKey: string
  let cookie: string

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
  })
  afterAll(() => server?.stop())

  it.each([
    'junit/maven-surefire__TEST-org.acme.FlakyTest.xml',
    'junit/junitxml__junit-complete.xml',
    'playwright/playwright-report-summary__report-valid.json',
    'playwright/erp-frontend-vite__results-82b799b.json',
    'ctrf/github-test-reporter__ctrf-report.json',
  ])('ingests %s end to end with the corpus counts', async (file) => {
    const res = await upload(server, [corpusFile(file)], { key, query: { project: 'formats', branch: 'main', runKey: file } })
    expect(res.status).toBe(201)
    expect(res.body.counts).toEqual(countsOf(expectedFor(file)))
    expect(res.body.project).toBe('formats')
    expect(res.body.url).toBe(`${server.url}/runs/${res.body.runId}`)
    // the receipt's link opens the run's page
    const page = await fetch(res.body.url, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(res.body.runId.slice(0, 8))
    expect(res.body.files).toEqual([expect.objectContaining({ status: 'ingested', results: expectedFor(file).tests })])
  })

  it('marks a Playwright run with 0 tests and a top-level error as failed, not empty', async () => {
    const res = await upload(server, [corpusFile('playwright/tailwind-grid-layout__results.json')], { key, query: { project: 'formats' } })
    expect(res.status).toBe(201)
    expect(res.body.counts.tests).toBe(0)
    expect(res.body.status).toBe('failed')
    expect(res.body.errors.length).toBeGreaterThan(0)
  })

  it('says a failure is new or already failing on main by one rule on the run page, get_run and the receipt, per test', async () => {
    const report = (tests: Record<string, 'passed' | 'failed'>) => ({ name: 'n.json', content: JSON.stringify({
      format: 'proofdeck', version: 1,
      results: Object.entries(tests).map(([title, status]) => ({ title, status, ...(status === 'failed' ? { errorMessage: `${title} broke` } : {}) })),
    }) })
    const send = async (i: number, branch: string, tests: Record<string, 'passed' | 'failed'>) => {
      const startedAt = new Date(Date.UTC(2026, 10, 1, i)).toISOString()
      const res = await upload(server, [report(tests)], { key, query: { project: 'novelty', branch, runKey: `n${i}`, startedAt } })
      expect(res.status).toBe(201)
      return res.body
    }
    const page = async (runId: string) => (await fetch(`${server.url}/api/runs/${runId}?limit=50`, { headers: { cookie } })).json()
    // `nightly` fails on main in run 1, is not run in run 2 (its shard did not run), fails again in run 3: known, by
    // its own last result; `b` passed in run 2 and fails in run 3: new; `a` fails in every run: known
    await send(1, 'main', { a: 'failed', b: 'passed', nightly: 'failed' })
    await send(2, 'main', { a: 'failed', b: 'passed' })
    const third = await send(3, 'main', { a: 'failed', b: 'failed', nightly: 'failed' })
    // on a feature branch, `a` is known (failing on main) and `c` is new, push after push: what the branch broke
    await send(4, 'feat/x', { a: 'failed', c: 'failed' })
    const feature = await send(5, 'feat/x', { a: 'failed', c: 'failed' })
    for (const [receipt, known, fresh] of [[third, ['a', 'nightly'], ['b']], [feature, ['a'], ['c']]] as const) {
      const tests = receipt.failureGroups.groups.flatMap((g: any) => g.tests)
      const knownIn = (rows: any[], isKnown: (r: any) => boolean) => rows.filter(isKnown).map(r => r.title).sort()
      expect(knownIn(tests, t => t.known)).toEqual(known)
      expect(knownIn(tests, t => !t.known)).toEqual(fresh)
      expect(receipt.failureGroups.novelty).toEqual({ new: fresh.length, known: known.length })
      const run = await page(receipt.runId)
      expect(knownIn(run.results.items, r => r.knownFailure)).toEqual(known)
      expect(knownIn(run.failureGroups.flatMap((g: any) => g.tests), t => t.knownFailure)).toEqual(known)
      expect(run.failureGroups.reduce((n: number, g: any) => n + g.newFailures, 0)).toBe(fresh.length)
      expect(run.novelty).toEqual({ new: fresh.length, known: known.length, defaultBranch: 'main' })
    }

    // the migration that judged the failures stored before uploads judged them (0027) says what ingest says
    if (server.env.DATABASE_URL) {
      const judged = `select r.id, r.known_failure from test_results r join projects p on p.id = r.project_id
        where p.slug = 'novelty' and r.status = 'failed' order by r.id`
      const stored = await queryDb(server.env, judged)
      expect(stored.filter(r => r.known_failure)).toHaveLength(5)
      const backfill = readFileSync(resolve(__dirname, '../../drizzle/0027_known_failure.sql'), 'utf8').split('--> statement-breakpoint')[1]!
      await queryDb(server.env, `update test_results set known_failure = null
        where project_id = (select id from projects where slug = 'novelty'); ${backfill}`)
      expect(await queryDb(server.env, judged)).toEqual(stored)
    }

    // a main run that started before all of them, uploaded last, where `c` fails: the feature run's receipt called
    // `c` new, and its page goes on saying so (each failure is judged when its upload stores it)
    await send(0, 'main', { c: 'failed' })
    const after = await page(feature.runId)
    expect(after.novelty).toEqual({ new: 1, known: 1, defaultBranch: 'main' })
    expect(after.results.items.filter((r: any) => r.knownFailure).map((r: any) => r.title)).toEqual(['a'])

    // a new default branch judges the stored failures again, against it; and the old one back, against main as it is now
    const defaultBranch = async (branch: string) => expect((await fetch(`${server.url}/api/projects/novelty`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ defaultBranch: branch }),
    })).status).toBe(200)
    await defaultBranch('feat/x')
    expect((await page(feature.runId)).novelty).toEqual({ new: 0, known: 2, defaultBranch: 'feat/x' })
    expect((await page(third.runId)).novelty).toBeNull()
    await defaultBranch('main')
    expect((await page(feature.runId)).novelty).toEqual({ new: 0, known: 2, defaultBranch: 'main' })
    expect((await page(third.runId)).novelty).toEqual({ new: 1, known: 2, defaultBranch: 'main' })
  })

  it('keeps a result\'s id when a shard of its run sends the test again: paging the run or its failures loses and repeats nothing', async () => {
    const report = (message: string) => ({ name: 'p.json', content: JSON.stringify({
      format: 'proofdeck', version: 1,
      results: Array.from({ length: 30 }, (_, i) => ({ title: `t${String(i).padStart(2, '0')}`, status: 'failed', errorMessage: `${message} ${i}` })),
    }) })
    const first = await upload(server, [report('first')], { key, query: { project: 'paging', branch: 'main', runKey: 'p1' } })
    expect(first.status).toBe(201)
    const get = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json()
    const results = await get(`/api/runs/${first.body.runId}?status=all&limit=10`)
    const failures = await get('/api/projects/paging/failed-results?limit=10')
    // the same 30 tests again, other messages, under the run's key: a shard that re-runs them
    expect((await upload(server, [report('again')], { key, query: { project: 'paging', branch: 'main', runKey: 'p1' } })).status).toBe(201)
    const rest = async (page: any, next: (cursor: string) => Promise<any>) => {
      const rows = [...page.items]
      for (let cursor = page.nextCursor; cursor;) {
        const more = await next(cursor)
        rows.push(...more.items)
        cursor = more.nextCursor
      }
      return rows.map((r: any) => r.id)
    }
    const runRows = await rest(results.results, async c => (await get(`/api/runs/${first.body.runId}?status=all&limit=10&cursor=${c}`)).results)
    const failureRows = await rest(failures, c => get(`/api/projects/paging/failed-results?limit=10&cursor=${c}`))
    for (const rows of [runRows, failureRows]) {
      expect(rows).toHaveLength(30)
      expect(new Set(rows).size).toBe(30)
    }
  })

  it('ingests our own JSON format', async () => {
    const report = {
      format: 'proofdeck', version: 1,
      results: [
        { title: 'adds', suitePath: ['math'], status: 'passed', durationMs: 3 },
        { title: 'divides', suitePath: ['math'], status: 'failed', errorMessage: 'expected 2 to be 3' },
      ],
    }
    const res = await upload(server, [{ name: 'own.json', content: JSON.stringify(report) }], { key, query: { project: 'own' } })
    expect(res.status).toBe(201)
    expect(res.body.format).toBe('proofdeck')
    expect(res.body.counts).toEqual({ tests: 2, passed: 1, failed: 1, errored: 0, skipped: 0, flaky: 0 })
  })

  it('stores text as sent (written with COPY on both databases): tabs, backslashes, newlines, NULs and unicode', async () => {
    const text = 'tab\tthen back\\slash \\N \\t, new\nline\r\nand CR, nul\0gone, ünïcödé 😀 漢字, "quoted" {braced}'
    const stored = text.replace('\0', '')
    const report = {
      format: 'proofdeck', version: 1,
      results: [{
        title: 'escapes', suitePath: ['copy'], status: 'failed', errorMessage: text, errorStack: `at ${text}`, stdout: text, stderr: text,
        tags: ['a\tb', 'c\\d', 'e"f', '{g,h}'], properties: { k: text }, steps: [{ title: text, status: 'failed', error: text }],
        attempts: [{ status: 'failed', errorMessage: `first ${text}` }, { status: 'failed', errorMessage: `second ${text}` }],
      }],
    }
    const res = await upload(server, [{ name: 'escapes.json', content: JSON.stringify(report) }], { key, query: { project: 'escapes' } })
    expect(res.status).toBe(201)
    const get = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<any>
    const [result] = (await get(`/api/runs/${res.body.runId}`)).results.items
    expect(result.attemptDetails.map((a: any) => a.errorMessage)).toEqual([`first ${stored}`, `second ${stored}`])
    expect(await get(`/api/results/${result.id}/evidence`)).toMatchObject({
      errorMessage: stored, errorStack: `at ${stored}`, stdout: stored, stderr: stored,
    })
  })

  it('a retried upload (same run key, same content) returns the same receipt with 200 and no new rows', async () => {
    const file = corpusFile('junit/test-reporter__jest-junit.xml')
    const first = await upload(server, [file], { key, query: { project: 'retry', runKey: 'build-41', commit: 'a'.repeat(40) } })
    const second = await upload(server, [file], { key, query: { project: 'retry', runKey: 'build-41', commit: 'a'.repeat(40) } })
    expect(first.status).toBe(201)
    expect(second.status).toBe(200)
    expect(second.body.runId).toBe(first.body.runId)
    expect(second.body.counts).toEqual(first.body.counts)
    expect(second.body.files[0].status).toBe('duplicate')
  })

  it('says in Server-Timing where an upload spent its time, step by step, and a retry skips the storing steps', async () => {
    const file = corpusFile('junit/maven-surefire__TEST-org.acme.FlakyTest.xml')
    const steps = (h: Headers) => Object.fromEntries((h.get('server-timing') ?? '').split(', ').map((s) => {
      const m = /^([a-z]+);dur=(\d+\.\d)$/.exec(s)
      return [m?.[1] ?? `unreadable: ${s}`, Number(m?.[2])]
    }))
    const started = performance.now()
    const first = await upload(server, [file], { key, query: { project: 'timing', runKey: 'build-1' } })
    const wall = performance.now() - started
    const retry = await upload(server, [file], { key, query: { project: 'timing', runKey: 'build-1' } })
    expect([first.status, retry.status]).toEqual([201, 200])
    const timed = steps(first.headers)
    // on Postgres one JUnit file is stored while it is parsed: the parse's time is what the store waited for it
    const streamed = !!process.env.TEST_DATABASE_URL
    const order = (rest: string[]) => streamed ? ['body', 'prepare', 'lock', 'parse', ...rest] : ['body', 'parse', 'prepare', 'lock', ...rest]
    expect(Object.keys(timed)).toEqual(order(['unpack', 'cases', 'clusters', 'properties', 'known', 'results', 'counters', 'counts',
      'quiet', 'scores', 'flakiness', 'files', 'rollups', 'receipt', 'commit']))
    const total = Object.values(timed).reduce((a, b) => a + b, 0)
    expect(total).toBeGreaterThan(0)
    expect(total).toBeLessThanOrEqual(wall)
    expect(Object.keys(steps(retry.headers))).toEqual(order(['files', 'rollups', 'receipt', 'commit']))
  })

  it('a retry that sends an attempt\'s file again, with other bytes, keeps one copy of it', async () => {
    const report = JSON.stringify({
      format: 'proofdeck', version: 1,
      results: [{ title: 'shows the cart', status: 'failed', errorMessage: 'boom', attachments: [{ name: 'screenshot', contentType: 'image/png', path: 'shots/cart.png' }] }],
    })
    const send = (png: string) => upload(server, [{ name: 'r.json', content: report }, { name: 'shots/cart.png', content: png, field: 'attachment' }],
      { key, query: { project: 'retry-files', branch: 'main', runKey: 'retry-files-1' }, headers: { 'content-type': 'multipart/form-data' } })
    const first = await send('PNG-1')
    expect(first.status).toBe(201)
    for (const png of ['PNG-2', 'PNG-1', 'PNG-3']) expect((await send(png)).status).toBe(200)
    const files = await (await fetch(`${server.url}/api/runs/${first.body.runId}/attachments`, { headers: { cookie } })).json() as { name: string, url: string }[]
    expect(files.map(f => f.name)).toEqual(['screenshot'])
    expect(await (await fetch(`${server.url}${files[0]!.url}`, { headers: { cookie } })).text()).toBe('PNG-1')
    // a new shard that runs the test again keeps its own screenshot beside the first (one result, both executions)
    const shard = JSON.stringify({ ...JSON.parse(report), results: [...JSON.parse(report).results, { title: 'another', status: 'passed' }] })
    const second = await upload(server, [{ name: 'r2.json', content: shard }, { name: 'shots/cart.png', content: 'PNG-shard', field: 'attachment' }],
      { key, query: { project: 'retry-files', branch: 'main', runKey: 'retry-files-1' }, headers: { 'content-type': 'multipart/form-data' } })
    expect(second.status).toBe(201)
    const both = await (await fetch(`${server.url}/api/runs/${first.body.runId}/attachments`, { headers: { cookie } })).json() as { url: string }[]
    const bytes = await Promise.all(both.map(async f => (await fetch(`${server.url}${f.url}`, { headers: { cookie } })).text()))
    expect(bytes.sort()).toEqual(['PNG-1', 'PNG-shard'])
  })

  it('without a run key, re-sending the same content is still one run', async () => {
    const file = corpusFile('junit/test-reporter__python-xunit-pytest.xml')
    const a = await upload(server, [file], { key, query: { project: 'nokey', branch: 'main' } })
    const b = await upload(server, [file], { key, query: { project: 'nokey', branch: 'main' } })
    expect([a.status, b.status]).toEqual([201, 200])
    expect(b.body.runId).toBe(a.body.runId)
  })

  it('merges shards with one run key into one run with summed counts', async () => {
    const s1 = 'junit/junitxml__junit-basic.xml'
    const s2 = 'junit/test-reporter__python-xunit-unittest.xml'
    const a = await upload(server, [corpusFile(s1)], { key, query: { project: 'shards', runKey: 'pipeline-7' } })
    const b = await upload(server, [corpusFile(s2)], { key, query: { project: 'shards', runKey: 'pipeline-7' } })
    expect([a.status, b.status]).toEqual([201, 201])
    expect(b.body.runId).toBe(a.body.runId)
    expect(b.body.merged.shards).toBe(2)
    const e1 = expectedFor(s1)
    const e2 = expectedFor(s2)
    expect(b.body.counts.tests).toBe(e1.tests + e2.tests)
    expect(b.body.counts.failed).toBe(e1.failed + e2.failed)
    expect(b.body.rejected).toEqual([])
  })

  it('counts a sharded run\'s shards in, from ?shard or a Playwright report\'s own config.shard, on the receipt and the run', async () => {
    const junit = (name: string) => ({ name: `${name}.xml`, content: `<testsuite name="s"><testcase classname="c" name="${name}"/></testsuite>` })
    const query = (shard: string) => ({ project: 'sharded', runKey: 'pipeline-9', shard })
    const first = await upload(server, [junit('one')], { key, query: query('1/3') })
    expect(first.body.shards).toEqual({ expected: 3, received: 1, missing: [2, 3] })
    // a retry of shard 1 is no new shard; shard 3 comes before shard 2
    expect((await upload(server, [junit('one')], { key, query: query('1/3') })).body.shards).toEqual({ expected: 3, received: 1, missing: [2, 3] })
    expect((await upload(server, [junit('three')], { key, query: query('3/3') })).body.shards).toEqual({ expected: 3, received: 2, missing: [2] })
    const run = async () => (await (await fetch(`${server.url}/api/runs/${first.body.runId}?limit=1`, { headers: { cookie } })).json()).shards
    expect(await run()).toEqual({ expected: 3, received: 2, missing: [2] })
    const last = await upload(server, [junit('two')], { key, query: query('2/3') })
    expect(last.body).toMatchObject({ shards: { expected: 3, received: 3, missing: [] }, counts: { tests: 3 }, merged: { shards: 3 } })
    expect(await run()).toEqual({ expected: 3, received: 3, missing: [] })
    // another job's shards under the same run key, numbered their own way: said, and the run still counts to 3
    const other = await upload(server, [junit('api')], { key, query: query('1/2') })
    expect(other.body.shards).toEqual({ expected: 3, received: 3, missing: [] })
    expect(other.body.rejected).toEqual([{ item: 'shard 1/2', reason: expect.stringMatching(/^another upload of this run said 3 shards: .* give each job its own run key/) }])
    const page = await (await fetch(first.body.url, { headers: { cookie } })).text()
    expect(page).toContain('3 of 3 shards uploaded')

    // Playwright's --shard=2/4 writes config.shard; the run misses shards 1, 3 and 4
    const pw = { name: 'pw.json', content: JSON.stringify({
      config: { version: '1.57.0', shard: { current: 2, total: 4 } },
      suites: [{ title: 'a.spec.ts', file: 'a.spec.ts', specs: [{ title: 'works', file: 'a.spec.ts', tests: [{ projectName: 'chromium', results: [{ status: 'passed', duration: 5 }] }] }] }],
    }) }
    const played = await upload(server, [pw], { key, query: { project: 'sharded', runKey: 'pw-1' } })
    expect(played.status).toBe(201)
    expect(played.body.shards).toEqual({ expected: 4, received: 1, missing: [1, 3, 4] })
    const text = (await (await fetch(played.body.url, { headers: { cookie } })).text()).replace(/<!--[^]*?-->/g, '').replace(/\s+/g, ' ')
    expect(text).toContain('1 of 4 shards uploaded; missing shards 1, 3 and 4: the counts are partial')
    expect(text).toContain('Upload of shard 2/4 ')
    // an unsharded run says nothing of shards
    expect((await upload(server, [junit('alone')], { key, query: { project: 'sharded' } })).body.shards).toBeUndefined()
  })

  it('counts each job\'s shards apart under one run key: two jobs of three shards each, interleaved, stay partial until all six are in', async () => {
    const junit = (name: string) => ({ name: `${name}.xml`, content: `<testsuite name="s"><testcase classname="c" name="${name}"/></testsuite>` })
    const send = async (job: string, shard: string) => {
      const res = await upload(server, [junit(`${job}-${shard[0]}`)], { key, query: { project: 'jobs', runKey: 'workflow-5', job, shard } })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body
    }
    const run = async (runId: string) => (await (await fetch(`${server.url}/api/runs/${runId}?limit=1`, { headers: { cookie } })).json())
    const first = await send('e2e', '1/3')
    expect(first.shards).toEqual({ expected: 3, received: 1, missing: ['e2e 2/3', 'e2e 3/3'], jobs: [{ job: 'e2e', expected: 3, received: 1, missing: [2, 3] }] })
    // api's shards number their own 1…3, so api 2/3 is no e2e shard; e2e 3/3 makes three shards in, not "3 of 3"
    await send('api', '2/3')
    const third = await send('e2e', '3/3')
    expect(third.shards).toEqual({
      expected: 6, received: 3, missing: ['api 1/3', 'api 3/3', 'e2e 2/3'],
      jobs: [{ job: 'api', expected: 3, received: 1, missing: [1, 3] }, { job: 'e2e', expected: 3, received: 2, missing: [2] }],
    })
    // two jobs with their own counts are no disagreement
    expect(third.rejected).toEqual([])
    expect((await run(first.runId)).shards).toEqual(third.shards)
    const page = async () => (await (await fetch(first.url, { headers: { cookie } })).text()).replace(/<!--[^]*?-->/g, '').replace(/\s+/g, ' ')
    expect(await page()).toContain('3 of 6 shards uploaded; missing shards 1 and 3 of api and shard 2 of e2e: the counts are partial')
    expect(await page()).toContain('Upload of shard 2/3 of api ')
    expect((await send('api', '1/3')).shards).toMatchObject({ expected: 6, received: 4, missing: ['api 3/3', 'e2e 2/3'] })
    expect((await send('e2e', '2/3')).shards).toMatchObject({ expected: 6, received: 5, missing: ['api 3/3'] })
    const last = await send('api', '3/3')
    expect(last).toMatchObject({ counts: { tests: 6 }, merged: { shards: 6 } })
    expect(last.shards).toEqual({
      expected: 6, received: 6, missing: [],
      jobs: [{ job: 'api', expected: 3, received: 3, missing: [] }, { job: 'e2e', expected: 3, received: 3, missing: [] }],
    })
    expect(await page()).toContain('6 of 6 shards uploaded')

    // a count that disagrees within one job is said; one job's 4 beside another's 2 is not
    const other = async (job: string, shard: string) => (await upload(server, [junit(`${job}-${shard}`)], { key, query: { project: 'jobs', runKey: 'workflow-6', job, shard } })).body
    expect((await other('e2e', '1/4')).rejected).toEqual([])
    const api = await other('api', '1/2')
    expect(api.rejected).toEqual([])
    expect(api.shards).toMatchObject({ expected: 6, received: 2, missing: ['api 2/2', 'e2e 2/4', 'e2e 3/4', 'e2e 4/4'] })
    expect((await other('e2e', '2/3')).rejected).toEqual([{ item: 'shard 2/3 of e2e', reason: expect.stringMatching(/^another upload of job e2e in this run said 4 shards: /) }])
  })

  it('reads a report written as UTF-16, as Windows PowerShell writes it, as the same report in UTF-8', async () => {
    const file = 'junit/action-junit-report__basic.xml'
    const utf16 = Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from(readFileSync(`${CORPUS}/${file}`, 'utf8'), 'utf16le')])
    const res = await upload(server, [{ name: 'TEST-powershell.xml', content: utf16 }], { key, query: { project: 'utf16' } })
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201)
    expect(countsOf(res.body.counts)).toEqual(countsOf(expectedFor(file)))
  })

  it('says in the receipt what a report was read as otherwise than it says: an unnamed testcase, a stray failure', async () => {
    const report = '<testsuite name="s"><testcase classname="c" name=""/><testcase classname="c" name="named"/>'
      + '<failure message="setup">boom</failure></testsuite>'
    const res = await upload(server, [{ name: 'odd.xml', content: report }], { key, query: { project: 'odd' } })
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201)
    expect(res.body.rejected).toEqual([
      { item: 'odd.xml', reason: '1 testcase has no name; shown as "(unnamed testcase)".' },
      { item: 'odd.xml', reason: '1 <error>/<failure> element sits outside any testcase; reported as run errors, not tests.' },
    ])
  })

  it('stores a shard that names another branch or commit in its run, on the run\'s, and says so in the receipt', async () => {
    const s1 = 'junit/junitxml__junit-basic.xml'
    const s2 = 'junit/test-reporter__python-xunit-unittest.xml'
    const query = { project: 'shards', runKey: 'reused-build-9' }
    const a = await upload(server, [corpusFile(s1)], { key, query: { ...query, branch: 'dev', commit: 'abcdef1' } })
    expect(a.status).toBe(201)
    const b = await upload(server, [corpusFile(s2)], { key, query: { ...query, branch: 'release', commit: '9999999' } })
    expect(b.status).toBe(201)
    expect(b.body).toMatchObject({ runId: a.body.runId, branch: 'dev', commit: 'abcdef1', merged: { shards: 2 } })
    expect(b.body.rejected).toEqual([
      { item: 'branch release', reason: 'run key reused-build-9 is a run on dev: these results are stored in it, on its branch.' },
      { item: 'commit 9999999', reason: 'run key reused-build-9 is a run of commit abcdef1: these results are stored in it, with its commit.' },
    ])
    // a shard that says nothing of them, or the same, is no news
    const c = await upload(server, [corpusFile('junit/action-junit-report__basic.xml')], { key, query: { ...query, branch: 'dev' } })
    expect([c.status, c.body.rejected]).toEqual([201, []])
    // a retry of the first shard that names another branch is told so too; the retry as sent first is told nothing new
    const retried = await upload(server, [corpusFile(s1)], { key, query: { ...query, branch: 'main', commit: 'abcdef1' } })
    expect([retried.status, retried.body.rejected]).toEqual([200, [
      { item: 'branch main', reason: 'run key reused-build-9 is a run on dev: these results are stored in it, on its branch.' },
    ]])
    const again = await upload(server, [corpusFile(s1)], { key, query: { ...query, branch: 'dev', commit: 'abcdef1' } })
    expect([again.status, again.body.rejected]).toEqual([200, []])
    // the retry of the second shard, as sent, keeps what its first sending was told, once
    const b2 = await upload(server, [corpusFile(s2)], { key, query: { ...query, branch: 'release', commit: '9999999' } })
    expect([b2.status, b2.body.rejected]).toEqual([200, b.body.rejected])
  })

  it('counts uploads, not files: one upload of two report files is one upload of the run, a second shard makes two', async () => {
    const [f1, f2, f3] = ['junit/junitxml__junit-basic.xml', 'junit/test-reporter__python-xunit-unittest.xml', 'junit/test-reporter__python-xunit-pytest.xml']
    const query = { project: 'upload-count', runKey: 'pipeline-8' }
    const a = await upload(server, [corpusFile(f1!), corpusFile(f2!)], { key, query })
    expect(a.status).toBe(201)
    expect(a.body.files).toHaveLength(2)
    expect(a.body.merged.shards).toBe(1)
    const b = await upload(server, [corpusFile(f3!)], { key, query })
    expect(b.body.merged.shards).toBe(2)
    // a retry of the first upload is not a third
    expect((await upload(server, [corpusFile(f1!), corpusFile(f2!)], { key, query })).body.merged.shards).toBe(2)
    const run = await (await fetch(`${server.url}/api/runs/${a.body.runId}?limit=1`, { headers: { cookie } })).json() as { uploads: { upload: string, fileName: string }[] }
    expect(run.uploads.map(u => u.fileName).sort()).toEqual([f1, f2, f3].map(f => f!.split('/').pop()).sort())
    const uploadOf = (file: string) => run.uploads.find(u => file.endsWith(u.fileName))!.upload
    expect(uploadOf(f1!)).toBe(uploadOf(f2!))
    expect(uploadOf(f3!)).not.toBe(uploadOf(f1!))
  })

  it('folds the same test in two shards of one run into one result: a failure then a pass is a flaky pass', async () => {
    const shard = (body: string) => `<testsuite name="s"><testcase classname="c" name="retried">${body}</testcase><testcase classname="c" name="other${body ? 1 : 2}"/></testsuite>`
    const a = await upload(server, [{ name: 'a.xml', content: shard('<failure message="boom">stack</failure>') }], { key, query: { project: 'cross', runKey: 'r1' } })
    expect(a.body.counts).toEqual({ tests: 2, passed: 1, failed: 1, errored: 0, skipped: 0, flaky: 0 })
    const b = await upload(server, [{ name: 'b.xml', content: shard('') }], { key, query: { project: 'cross', runKey: 'r1' } })
    expect(b.status).toBe(201)
    expect(b.body.counts).toEqual({ tests: 3, passed: 3, failed: 0, errored: 0, skipped: 0, flaky: 1 })
    expect(b.body.status).toBe('passed')
  })

  it('merges several files of one multipart upload into one run', async () => {
    const files = ['ctrf/ctrf__minimal.json', 'ctrf/ctrf__with-retries.json'].map(corpusFile)
    files[1]!.name = 'retries.json'
    const res = await upload(server, files, { key, query: { project: 'multipart' } })
    expect(res.status).toBe(201)
    expect(res.body.files).toHaveLength(2)
    expect(res.body.counts.tests).toBe(3)
    expect(res.body.counts.flaky).toBe(1)
  })

  it('keeps duplicate test identities of one upload as attempts of one result, and says so', async () => {
    const xml = `<testsuite name="s"><testcase classname="c" name="t"><failure message="boom">x</failure></testcase>
      <testcase classname="c" name="t"/><testcase classname="c" name="u"/></testsuite>`
    const res = await upload(server, [{ name: 'dups.xml', content: xml }], { key, query: { project: 'dups' } })
    expect(res.status).toBe(201)
    expect(res.body.counts).toEqual({ tests: 2, passed: 2, failed: 0, errored: 0, skipped: 0, flaky: 1 })
    expect(res.body.merged.duplicates).toEqual([{ test: expect.stringContaining('t'), occurrences: 2 }])
    // the run lists the upload as its receipt said (the notes counted in SQL)
    const run = await (await fetch(`${server.url}/api/runs/${res.body.runId}`, { headers: { cookie } })).json() as any
    expect(run.uploads).toEqual([{
      upload: expect.stringMatching(/^[0-9a-f-]{36}$/), fileName: 'dups.xml', format: 'junit', results: 3, bytes: Buffer.byteLength(xml), uploadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), shard: null, job: null,
      duplicates: 1, rejected: 0, newClusters: res.body.newClusters.length, newlyFlaky: res.body.newlyFlaky.length,
    }])
    expect(Math.abs(Date.parse(run.uploads[0].uploadedAt) - Date.now())).toBeLessThan(60_000)
  })

  it('stores a hostile but well-formed report: absurd numbers become nulls, a test repeated 500 times keeps its last 100 tries', async () => {
    const xml = `<testsuite name="s" time="1e12">${'<testcase classname="c" name="again" time="1e12" line="99999999999"><failure message="x"/></testcase>'.repeat(500)}</testsuite>`
    const res = await upload(server, [{ name: 'hostile.xml', content: xml }], { key, query: { project: 'hostile' } })
    expect(res.status).toBe(201)
    expect(res.body.counts).toEqual({ tests: 1, passed: 0, failed: 1, errored: 0, skipped: 0, flaky: 0 })
    expect(res.body.merged.duplicates).toEqual([{ test: 's › c › again', occurrences: 500 }])
  })

  it('keeps the projects overview equal to its runs through new runs, a retry, a shard, a feature branch and a late upload', async () => {
    const get = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<any>
    // the overview and the trends read rollups kept at ingest; the runs list reads the runs themselves
    const expectOverviewOfRuns = async () => {
      const [overview, listed, runs, trend] = await Promise.all([get('/api/projects/rollups'), get('/api/projects'),
        get('/api/projects/rollups/runs?limit=100'), get('/api/projects/rollups/trends?days=30')])
      const { recentRuns: _, ...project } = overview
      expect(listed.find((p: any) => p.slug === 'rollups')).toEqual(project)
      expect(overview.runCount).toBe(runs.items.length)
      expect(trendByDay(trend.points)).toEqual(trendOfRuns(runs.items, trend.since))
      expect(overview.latestRun).toMatchObject({ id: runs.items[0].id, status: runs.items[0].status, counts: runs.items[0].counts })
      const onMain = trend.points.filter((t: any) => t.branch === 'main')
      const rate = (ps: any[]) => ps.reduce((n, t) => n + t.passed, 0) / ps.reduce((n, t) => n + t.executed, 0)
      expect(overview.passRate).toBeCloseTo(rate(onMain), 4)
      const days = overview.passRates.map((r: number | null, i: number) => [i, r]).filter(([, r]: any) => r !== null)
      expect(days.map(([, r]: any) => r)).toEqual([...new Set(onMain.map((t: any) => t.day))].sort()
        .map(d => expect.closeTo(rate(onMain.filter((t: any) => t.day === d)), 4)))
    }
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString()
    const send = (file: string, query: Record<string, string>) => upload(server, [corpusFile(file)], { key, query: { project: 'rollups', ...query } })
    expect((await send('junit/junitxml__junit-basic.xml', { branch: 'main', runKey: 'r1', startedAt: at(2) })).status).toBe(201)
    expect((await send('junit/junitxml__junit-basic.xml', { branch: 'main', runKey: 'r1', startedAt: at(2) })).status).toBe(200)
    expect((await send('junit/test-reporter__python-xunit-unittest.xml', { branch: 'main', runKey: 'r1' })).status).toBe(201)
    await expectOverviewOfRuns()
    expect((await send('junit/test-reporter__jest-junit.xml', { branch: 'feature/x', runKey: 'r2', startedAt: at(1) })).status).toBe(201)
    expect((await send('junit/action-junit-report__mocha.xml', { branch: 'main', runKey: 'r3', startedAt: at(5) })).status).toBe(201)
    await expectOverviewOfRuns()
    expect((await get('/api/projects/rollups')).runCount).toBe(3)
  })

  it('refuses a read-only key with 403 and a missing key with 401', async () => {
    const file = corpusFile('ctrf/ctrf__minimal.json')
    const ro = await upload(server, [file], { key: readKey, query: { project: 'x' } })
    expect(ro.status).toBe(403)
    expect(ro.body.message).toMatch(/ingest/)
    const res = await fetch(`${server.url}/api/v1/runs?project=x`, { method: 'POST', body: '{}' })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })
})

describe('ingest of bad input loses nothing', () => {
  let server: TestServer
  let key: string
  let good: { counts: { tests: number } }

  beforeAll(async () => {
    server = await startServer({ PROOFDECK_MAX_UPLOAD_MB: '1' })
    key = (await createKey(server, await login(server), { scopes: ['ingest'] })).key
    good = (await upload(server, [corpusFile('junit/junitxml__junit-complete.xml')], { key, query: { project: 'web', runKey: 'good' } })).body
  })
  afterAll(() => server?.stop())

  const xxe = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite name="s"><testcase name="t"><failure message="&xxe;"/></testcase></testsuite>`
  const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><testsuite><testcase name="&lol2;"/></testsuite>`

  const cases: [string, () => Promise<{ status: number, body: any }>, number, RegExp][] = [
    ...expected.filter(e => e.malformed).map(e => [
      `malformed corpus file ${e.file}`,
      () => upload(server, [corpusFile(e.file)], { key, query: { project: 'web', runKey: `bad-${e.file}` } }),
      422, /./,
    ] as [string, () => Promise<{ status: number, body: any }>, number, RegExp]),
    ['an XXE file', () => upload(server, [{ name: 'xxe.xml', content: xxe }], { key, query: { project: 'web' } }), 422, /entit|DOCTYPE/i],
    ['a billion-laughs file', () => upload(server, [{ name: 'bomb.xml', content: bomb }], { key, query: { project: 'web' } }), 422, /entit|DOCTYPE/i],
    ['truncated JSON', () => upload(server, [{ name: 'cut.json', content: '{"config":{},"suites":[{"title":"a"' }], { key, query: { project: 'web' } }), 422, /cut\.json/],
    ['a 0-byte file', () => upload(server, [{ name: 'empty.xml', content: '' }], { key, query: { project: 'web' } }), 422, /empty/i],
    // where it broke said once, and that the file was cut short (a Gradle task killed by its timeout)
    ['a JUnit file cut short', () => upload(server, [{ name: 'cut.xml', content: '<testsuite name="s">\n<testcase name="a"/>\n<testcase name="b" time="0.' }], { key, query: { project: 'web' } }),
      422, /^cut\.xml: The XML is not well-formed: .* at line 3, column \d+ \(the file ends there: is it truncated, a test run killed while writing it\?\)\.$/],
    ['a body over the limit', () => upload(server, [{ name: 'big.xml', content: `<testsuite>${'<testcase name="x"/>'.repeat(80_000)}</testsuite>` }], { key, query: { project: 'web' } }), 413, /larger than 1 MB/],
    ['an unknown format', () => upload(server, [{ name: 'notes.txt', content: 'hello world' }], { key, query: { project: 'web' }, headers: { 'content-type': 'text/plain' } }), 422, /notes\.txt/],
    ['a wrong content type', () => upload(server, [{ name: 'a.png', content: 'x' }], { key, query: { project: 'web' }, headers: { 'content-type': 'image/png' } }), 415, /image\/png/],
    ['a body in a coding other than gzip', () => upload(server, [{ name: 'a.xml', content: deflateSync('<testsuite><testcase name="t"/></testsuite>') }], { key, query: { project: 'web' }, headers: { 'content-encoding': 'deflate' } }), 415, /^Content-Encoding deflate is not accepted: send the report as is or gzip-compressed/],
    ['a multipart body compressed whole', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json'), corpusFile('ctrf/ctrf__minimal.json')], { key, query: { project: 'web' }, headers: { 'content-encoding': 'gzip' } }), 415, /not accepted on a multipart body/],
    ['a NUL in the build URL', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json')], { key, query: { project: 'web', buildUrl: 'https://ci.example.com/job/\0x' } }), 400, /The build URL contains a NUL character/],
    ['a missing project', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json')], { key }), 400, /project/],
    ['a bad commit', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json')], { key, query: { project: 'web', commit: 'not-a-sha' } }), 400, /commit/],
    ['a shard past its count', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json')], { key, query: { project: 'web', shard: '5/4' } }), 400, /^shard is this upload's shard and the run's number of shards, like 2\/4/],
    ['a job with a line break', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json')], { key, query: { project: 'web', job: 'e2e\nFAKE' } }), 400, /^job: The job contains a control character/],
    ['a job past 200 characters', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json')], { key, query: { project: 'web', job: 'j'.repeat(201) } }), 400, /^job: The job is longer than 200 characters/],
    ['a bad project slug', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json')], { key, query: { project: '../etc' } }), 400, /slug/],
    ['one bad file among good ones', () => upload(server, [corpusFile('ctrf/ctrf__minimal.json'), corpusFile('junit/publish-unit-test-result-action__corrupt-xml.xml')], { key, query: { project: 'web', runKey: 'mixed' } }), 422, /corrupt-xml\.xml/],
  ]

  it.each(cases)('rejects %s with a sentence', async (_name, send, status, message) => {
    const res = await send()
    expect(res.status).toBe(status)
    expect(res.body.message).toMatch(message)
    expect(res.body.message.length).toBeGreaterThan(15)
    expect(res.body.data?.code).toEqual(expect.any(String))
    expect(JSON.stringify(res.body)).not.toMatch(/root:x:0|stack|at .*\(.*:\d+:\d+\)/)
  })

  it('left only the one good run in the database', async () => {
    // sent again here, so this test does not count on the tests above having run
    for (const [name, send, status] of cases) expect((await send()).status, name).toBe(status)
    await server.kill()
    const rows = await countRows(server.env)
    expect(rows).toMatchObject({ projects: 1, runs: 1, run_uploads: 1, test_cases: good.counts.tests, test_results: good.counts.tests })
    // suite properties are stored once per distinct object: the suite's own (7 testcases) and testCase8's (the suite's and its own)
    const [props] = await queryDb(server.env, `select (select count(*)::int from result_properties) as stored,
      (select count(distinct properties_id)::int from test_results) as used, (select count(properties_id)::int from test_results) as results,
      (select properties from result_properties p join test_results r on r.properties_id = p.id
        join test_cases c on c.id = r.test_case_id where c.title = 'testCase8') as case8`)
    expect(props).toMatchObject({ stored: 2, used: 2, results: good.counts.tests, case8: expect.objectContaining({ browser: 'Google Chrome', author: 'Adrian' }) })
  })
})

describe('suite properties under retention', () => {
  let server: TestServer
  let key: string
  let cookie: string

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
  })
  afterAll(() => server?.stop())

  /** A report of two suites: one with the build's own properties, and (when `shared`) one whose properties every build shares. */
  const report = (build: number, shared: boolean) => `<testsuites>
    <testsuite name="s"><properties><property name="build" value="${build}"/><property name="env" value="ci"/></properties>
      <testcase classname="c" name="a"/></testsuite>
    ${shared ? '<testsuite name="t"><properties><property name="kind" value="shared"/></properties><testcase classname="d" name="b"/></testsuite>' : ''}
  </testsuites>`
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString()
  const retention = async () => {
    const res = await fetch(`${server.url}/api/settings/retention`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(200)
    return (await res.json() as any).projects.find((p: any) => p.slug === 'props')
  }

  it('deletes the properties no remaining run points at, and only those', async () => {
    for (const [build, daysAgo, shared] of [[1, 45, true], [2, 40, false], [3, 0, true]] as const) {
      const res = await upload(server, [{ name: `b${build}.xml`, content: report(build, shared) }],
        { key, query: { project: 'props', runKey: `b${build}`, startedAt: at(daysAgo) } })
      expect(res.status).toBe(201)
    }
    // a shard of the latest run brings build 1's properties back: still pointed at, so kept
    expect((await upload(server, [{ name: 'b1-again.xml', content: report(1, false).replace('name="a"', 'name="z"') }],
      { key, query: { project: 'props', runKey: 'b3' } })).status).toBe(201)
    const patch = await fetch(`${server.url}/api/projects/props`, {
      method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ retentionDays: 30 }),
    })
    expect(patch.status).toBe(200)
    // builds 1, 2 and 3 and the shared object were stored; runs b1 and b2 go, and with them only build 2's properties
    expect(await retention()).toEqual({ slug: 'props', retentionDays: 30, runsDeleted: 2, webhookDeliveriesDeleted: 0, resultPropertiesDeleted: 1 })
    expect(await retention()).toMatchObject({ runsDeleted: 0, resultPropertiesDeleted: 0 })
    await server.kill()
    const [rows] = await queryDb(server.env, `select
      (select count(*)::int from result_properties) as stored,
      (select array_agg(p.properties->>'build' order by p.properties->>'build') from result_properties p where p.properties ? 'build') as builds,
      (select count(*)::int from test_results r where r.properties_id is not null
        and not exists (select 1 from result_properties p where p.project_id = r.project_id and p.id = r.properties_id)) as dangling`)
    expect(rows).toEqual({ stored: 3, builds: ['1', '3'], dangling: 0 })
  })
})
