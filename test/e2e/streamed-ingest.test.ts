import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countRows, queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/*
 * On Postgres an upload of one JUnit file is stored while its parse still reads it (server/services/upload-plan.ts).
 * What only the whole file can say sends it back to the start, read whole: a test that comes twice, a start that a
 * later suite gives, a file broken near its end. Each answer must be the one the whole parse gives, with nothing left
 * of the first try.
 */

const testcases = (from: number, n: number, failing = false) => Array.from({ length: n }, (_, i) =>
  `<testcase classname="app.Big${Math.floor((from + i) / 100)}" name="case ${from + i}" time="0.01">${failing && (from + i) % 50 === 0 ? '<failure message="boom">at x</failure>' : ''}</testcase>`).join('')
const junit = (suites: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>${suites}</testsuites>`
const file = (content: string) => ({ name: 'TEST-big.xml', content })
/** Server-Timing's steps by name. */
const steps = (h: Headers) => new Map((h.get('server-timing') ?? '').split(', ').map(s => s.split(';dur=') as [string, string]))

describe.skipIf(!process.env.TEST_DATABASE_URL)('one JUnit file stored while it is parsed', () => {
  let server: TestServer
  let key: string

  beforeAll(async () => {
    server = await startServer()
    const cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
  })
  afterAll(() => server?.stop())

  it('streams a plain file: the receipt counts every test, and the parse is what the store waited for', async () => {
    const res = await upload(server, [file(junit(`<testsuite name="a" timestamp="2026-11-20T10:00:00Z">${testcases(0, 25_000, true)}</testsuite>`))],
      { key, query: { project: 'streamed', runKey: 'plain' } })
    expect(res.status).toBe(201)
    expect(res.body.counts).toMatchObject({ tests: 25_000, failed: 500, passed: 24_500 })
    const timed = steps(res.headers)
    expect([...timed.keys()].slice(0, 4)).toEqual(['body', 'prepare', 'lock', 'parse'])
    expect(timed.has('restart')).toBe(false)
    const [run] = await queryDb(server.env, `select started_at from runs where run_key = 'plain'`)
    expect(new Date(run!.started_at).toISOString()).toBe('2026-11-20T10:00:00.000Z')
  })

  it('reads a file whose test comes twice whole again: the receipt folds the two as the whole parse does', async () => {
    const twice = junit(`<testsuite name="a" timestamp="2026-11-20T10:00:00Z">${testcases(0, 12_000)}</testsuite>`
      + `<testsuite name="a">${testcases(0, 1)}</testsuite>`)
    const res = await upload(server, [file(twice)], { key, query: { project: 'streamed', runKey: 'twice' } })
    expect(res.status).toBe(201)
    expect(res.body.counts.tests).toBe(12_000)
    expect(res.body.merged.duplicates).toEqual([{ test: expect.stringContaining('case 0'), occurrences: 2 }])
    expect(steps(res.headers).has('restart')).toBe(true)
    const [stored] = await queryDb(server.env, `select count(*)::int as n, sum(attempt_count)::int as attempts from test_results r
      join runs ru on ru.id = r.run_id where ru.run_key = 'twice'`)
    expect(stored).toEqual({ n: 12_000, attempts: 12_001 })
  })

  it('takes the run\'s start from the suite that gives one, past the head of the file', async () => {
    const late = junit(`<testsuite name="a">${testcases(0, 11_000)}</testsuite><testsuite name="b" timestamp="2026-11-21T08:00:00Z">${testcases(11_000, 10)}</testsuite>`)
    const res = await upload(server, [file(late)], { key, query: { project: 'streamed', runKey: 'late' } })
    expect(res.status).toBe(201)
    expect(steps(res.headers).has('restart')).toBe(true)
    const [run] = await queryDb(server.env, `select started_at from runs where run_key = 'late'`)
    expect(new Date(run!.started_at).toISOString()).toBe('2026-11-21T08:00:00.000Z')
    const [results] = await queryDb(server.env, `select count(*)::int as n, min(run_started_at) = max(run_started_at) as one
      from test_results r join runs ru on ru.id = r.run_id where ru.run_key = 'late'`)
    expect(results).toEqual({ n: 11_010, one: true })
  })

  it('refuses a file broken near its end with the parse\'s sentence (checked whole before any result is handed over), and keeps nothing', async () => {
    const before = await countRows(server.env)
    const broken = junit(`<testsuite name="a" timestamp="2026-11-20T10:00:00Z">${testcases(50_000, 30_000, true)}</testsuite>`).replace(/<\/testsuites>$/, '<testsuite name="c"><testcase name="x">')
    const res = await upload(server, [file(broken)], { key, query: { project: 'streamed-broken', runKey: 'broken' } })
    expect(res.status).toBe(422)
    expect(res.body.message).toMatch(/^TEST-big\.xml: The XML is not well-formed: .*unclosed/)
    expect(await countRows(server.env)).toEqual(before)
  })

  it('refuses more results than PROOFDECK_MAX_RESULTS, counted while the first ones stream in, and keeps nothing of them', async () => {
    const small = await startServer({ PROOFDECK_MAX_RESULTS: '15000' })
    try {
      const cookie = await login(small)
      const limited = (await createKey(small, cookie, { scopes: ['ingest'] })).key
      const before = await countRows(small.env)
      // the worker hands over the first 15,000 results while it counts the rest: those are stored, then rolled back
      const res = await upload(small, [file(junit(`<testsuite name="a" timestamp="2026-11-20T10:00:00Z">${testcases(0, 25_000, true)}</testsuite>`))],
        { key: limited, query: { project: 'streamed-limit', runKey: 'too-many' } })
      expect(res.status).toBe(413)
      expect(res.body.message).toMatch(/^This upload holds 25,000 test results; this server takes at most 15,000/)
      expect(await countRows(small.env)).toEqual(before)
    }
    finally {
      await small.stop()
    }
  })

  it('says a file cannot be read before it says the project cannot be written', async () => {
    const cookie = await login(server)
    const bound = (await createKey(server, cookie, { scopes: ['ingest'], projectSlug: 'streamed' })).key
    const broken = junit(`<testsuite name="a">${testcases(0, 20)}</testsuite>`).slice(0, -30)
    const res = await upload(server, [file(broken)], { key: bound, query: { project: 'someone-elses', runKey: 'x' } })
    expect(res.status).toBe(422)
  })

  it('streams the files of a multipart upload in order, and folds a test two files hold after reading them whole', async () => {
    const part = (from: number, stamp: string) => junit(`<testsuite name="m" timestamp="${stamp}">${testcases(from, 3_000, true)}</testsuite>`)
    const files = [part(0, '2026-11-20T10:05:00Z'), part(3_000, '2026-11-20T10:00:00Z'), part(6_000, '2026-11-20T10:10:00Z')]
      .map((content, i) => ({ name: `TEST-${i}.xml`, content }))
    const res = await upload(server, files, { key, query: { project: 'streamed', runKey: 'parts' } })
    expect(res.status).toBe(201)
    expect(res.body.counts).toMatchObject({ tests: 9_000, failed: 180 })
    expect(steps(res.headers).has('restart')).toBe(false)
    const [run] = await queryDb(server.env, `select started_at from runs where run_key = 'parts'`)
    expect(new Date(run!.started_at).toISOString()).toBe('2026-11-20T10:00:00.000Z')
    // the same class in two files: a repetition whose failure fails it (foldUpload), told on the receipt
    const twice = await upload(server, [files[0]!, { name: 'TEST-again.xml', content: part(2_999, '2026-11-20T10:05:00Z') }],
      { key, query: { project: 'streamed', runKey: 'parts-twice' } })
    expect(twice.status).toBe(201)
    expect(twice.body.counts.tests).toBe(5_999)
    expect(twice.body.rejected).toContainEqual(expect.objectContaining({ item: '1 test in more than one file of this upload' }))
    expect(steps(twice.headers).has('restart')).toBe(true)
  })

  it('stores only the new file of a retry that brings one more, read whole', async () => {
    const first = { name: 'TEST-a.xml', content: junit(`<testsuite name="r" timestamp="2026-11-20T10:00:00Z">${testcases(0, 1_500)}</testsuite>`) }
    const more = { name: 'TEST-b.xml', content: junit(`<testsuite name="r">${testcases(1_500, 1_500)}</testsuite>`) }
    expect((await upload(server, [first], { key, query: { project: 'streamed', runKey: 'more' } })).status).toBe(201)
    const res = await upload(server, [first, more], { key, query: { project: 'streamed', runKey: 'more' } })
    expect(res.status).toBe(201)
    expect(res.body.counts.tests).toBe(3_000)
    expect(res.body.files.map((f: { status: string }) => f.status)).toEqual(['duplicate', 'ingested'])
    expect(steps(res.headers).has('restart')).toBe(true)
  })

  it('answers a retry of a streamed upload with the first receipt', async () => {
    const content = junit(`<testsuite name="a" timestamp="2026-11-20T10:00:00Z">${testcases(0, 500, true)}</testsuite>`)
    const first = await upload(server, [file(content)], { key, query: { project: 'streamed', runKey: 'again' } })
    const again = await upload(server, [file(content)], { key, query: { project: 'streamed', runKey: 'again' } })
    expect([first.status, again.status]).toEqual([201, 200])
    const said = (r: typeof first) => ({ runId: r.body.runId, counts: r.body.counts, merged: r.body.merged, rejected: r.body.rejected,
      newClusters: r.body.newClusters, newlyFlaky: r.body.newlyFlaky, results: r.body.files[0].results })
    expect(said(again)).toEqual(said(first))
    expect(again.body.files[0].status).toBe('duplicate')
    expect(steps(again.headers).has('restart')).toBe(false)
  })
})
