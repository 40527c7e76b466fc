import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/*
 * Hostile reports against the built server (issue 13, items 1, 3, 5, 8): each is a 4xx with a sentence, or a 201 with
 * the value capped or dropped and noted on the receipt, never a 500; and no report stalls the other requests.
 * The bodies are generated here, never committed.
 */

const flatJunit = (n: number) =>
  `<testsuite name="flat">${Array.from({ length: n }, (_, i) => `<testcase classname="c" name="t${i}"/>`).join('')}</testsuite>`
const flatCtrf = (n: number) => `{"results":{"tool":{"name":"x"},"tests":[${Array.from({ length: n }, (_, i) =>
  `{"name":"t${i}","status":"passed","duration":1}`).join(',')}]}}`
const deepPlaywright = (n: number) => `{"suites":[${'{"title":"s","suites":['.repeat(n)}${']}'.repeat(n)}]}`
const ctrf = (test: object, extra: object = {}) => JSON.stringify({ results: { tool: { name: 'x' }, tests: [{ name: 't', status: 'passed', ...test }], ...extra } })
const playwright = (spec: object, result: object = {}) => JSON.stringify({ suites: [{ title: 'a.spec.ts', file: 'a.spec.ts', specs: [{
  title: 't', ...spec, tests: [{ status: 'expected', results: [{ status: 'passed', ...result }] }],
}] }] })

describe('hostile reports', () => {
  let server: TestServer
  let key: string
  let cookie: string
  const send = (name: string, content: string, query: Record<string, string> = {}) =>
    upload(server, [{ name, content }], { key, query: { project: 'hostile', ...query } })
  const run = async (id: string) => (await fetch(`${server.url}/api/runs/${id}?status=all&limit=10`, { headers: { cookie } })).json()

  beforeAll(async () => {
    server = await startServer({ PROOFDECK_MAX_RESULTS: '1000' })
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
  })
  afterAll(() => server?.stop())

  /** The slowest /api/health answer while `work` runs (probing every 20 ms). */
  async function slowestHealthDuring<T>(work: () => Promise<T>): Promise<{ result: T, slowest: number }> {
    let slowest = 0
    let done = false
    const probe = (async () => {
      while (!done) {
        const t = performance.now()
        expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
        slowest = Math.max(slowest, performance.now() - t)
        await new Promise(r => setTimeout(r, 20))
      }
    })()
    const result = await work().finally(() => { done = true })
    await probe
    return { result, slowest }
  }

  it('parses a flat 300,000-testcase JUnit file off the request thread: /api/health stays fast until the 413', async () => {
    const t = performance.now()
    const { result: res, slowest } = await slowestHealthDuring(() => send('flat.xml', flatJunit(300_000)))
    console.info(`flat JUnit 300,000 testcases: ${res.status} after ${Math.round(performance.now() - t)} ms, slowest /api/health ${Math.round(slowest)} ms`)
    expect(res.status).toBe(413)
    expect(res.body.message).toMatch(/^This upload holds 300,000 test results; this server takes at most 1,000 per upload/)
    // parsed on the request thread it held every request for the whole parse (~9 s on a quiet 2-core machine)
    expect(slowest).toBeLessThan(2000)
  })

  it('refuses a Playwright report nested 70,000 deep with the depth, while /api/health keeps answering within 2 s', async () => {
    const { result: res, slowest } = await slowestHealthDuring(() => send('deep.json', deepPlaywright(70_000)))
    expect(res.status).toBe(422)
    expect(res.body.message).toMatch(/^deep\.json: This JSON report nests 140,002 levels deep; reports are read to at most 256 levels/)
    expect(slowest).toBeLessThan(2000)
  })

  it.each([
    ['JUnit 100,000 deep', 'deep.xml', `<testsuites>${'<testsuite name="s">'.repeat(100_000)}${'</testsuite>'.repeat(100_000)}</testsuites>`,
      /^deep\.xml: This XML nests elements more than 256 levels deep/],
    ['our JSON steps 1,000 deep', 'steps.json',
      `{"format":"proofdeck","version":1,"results":[{"title":"t","status":"passed","steps":[${'{"title":"s","steps":['.repeat(1000)}${']}'.repeat(1000)}]}]}`,
      /^steps\.json: This JSON report nests 2,004 levels deep/],
    ['CTRF labels 10,000 deep', 'labels.json', `{"results":{"tests":[{"name":"t","status":"passed","labels":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}]}}`,
      /^labels\.json: This JSON report nests 10,00\d levels deep/],
    ['CTRF suite path of 100', 'suites.json', ctrf({ suite: Array.from({ length: 100 }, (_, i) => `s${i}`) }),
      /^suites\.json: This CTRF report nests suites 100 levels deep/],
  ])('refuses %s with a 422 sentence naming the file and the depth', async (_name, file, body, message) => {
    const res = await send(file, body)
    expect(res.status).toBe(422)
    expect(res.body.message).toMatch(message)
    expect(res.body.data.code).toBe('too_deep')
  })

  it.each([
    ['a later report cut short', 'cut.xml', '<?xml version="1.0"?><testsuites><testsuite name="test"><testcase name="a"/></testsuite></testsuites>\n<?xml version="1.0"?><testsuites>\n<testsuite name="test"><testcase name="b">',
      'malformed_xml', /^cut\.xml: The XML is not well-formed: unclosed tag <testcase> at line 3, column \d+ .*truncated/],
    ['another vocabulary after a report', 'html.xml', '<testsuite name="a"><testcase name="x"/></testsuite>\n<html><body/></html>',
      'not_junit', /^html\.xml: This XML is not a JUnit report: a second root element <html> starts at line 2, column 1; a file may hold several JUnit reports/],
    ['an entity declared before a later report', 'xxe.xml', '<testsuite name="a"/>\n<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<testsuite name="b"><testcase name="&x;"/></testsuite>',
      'xml_entities_refused', /^xxe\.xml: This XML declares the entity "x" in a DOCTYPE \(at line 2/],
  ])('refuses a file of several JUnit reports with %s: a 422 sentence saying where', async (_name, file, body, code, message) => {
    const res = await send(file, body)
    expect(res.status).toBe(422)
    expect(res.body.data.code).toBe(code)
    expect(res.body.message).toMatch(message)
  })

  it('counts every test of 3,000 JUnit reports one after another against PROOFDECK_MAX_RESULTS', async () => {
    const reports = Array.from({ length: 3000 }, (_, i) => `<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="test"><testcase classname="m${i}" name="t"/></testsuite></testsuites>\n`)
    const res = await send('many-reports.xml', reports.join(''), { project: 'many-reports' })
    expect(res.status).toBe(413)
    expect(res.body.message).toMatch(/^This upload holds 3,000 test results; this server takes at most 1,000 per upload/)
    expect((await send('some-reports.xml', reports.slice(0, 1000).join(''), { project: 'many-reports' })).body.counts.tests).toBe(1000)
  })

  it('caps a 10 MB test name: the run page stays small and the name keeps its head, tail and a marker', async () => {
    const name = `${'a'.repeat(5_000_000)}${'z'.repeat(5_000_000)}`
    const res = await send('name.json', playwright({ title: name, tags: [name] }, { steps: [{ title: name }] }))
    expect(res.status).toBe(201)
    const page = await run(res.body.runId)
    const title: string = page.results.items[0].title
    expect(Buffer.byteLength(title)).toBeLessThanOrEqual(4096)
    expect(title).toMatch(/^a+\n…\[\d+ bytes omitted\]…\nz+$/)
    expect(JSON.stringify(page).length).toBeLessThan(100_000)
  })

  it.each([
    ['CTRF summary.start', 'start.json', ctrf({}, { summary: { start: 253402387200000 } }), 'start.json: summary.start'],
    ['JUnit timestamp', 'stamp.xml', '<testsuite name="s" timestamp="+020000-01-01T00:00:00"><testcase name="t"/></testsuite>', 'stamp.xml: <testsuite> timestamp'],
    ['Playwright startTime', 'time.json', playwright({}, { startTime: '+020000-01-01T00:00:00.000Z' }), 'time.json: results[].startTime'],
  ])('treats a date after 9999 (%s) as absent and says so', async (_name, file, body, item) => {
    const res = await send(file, body)
    expect(res.status).toBe(201)
    expect(res.body.rejected).toEqual([{ item, reason: expect.stringMatching(/date after the year 9999 .* treated as absent/) }])
    expect(new Date((await run(res.body.runId)).startedAt).getUTCFullYear()).toBeLessThan(10_000)
  })

  it('reads bytes that are not UTF-8 as \uFFFD and says so; a declared ISO-8859-1 report keeps its accents', async () => {
    const bad = Buffer.concat([Buffer.from('<testsuite name="s"><testcase classname="c" name="bad '), Buffer.from([0xFF, 0xFE]),
      Buffer.from(' utf'), Buffer.from([0xC3]), Buffer.from('"/></testsuite>')])
    const res = await upload(server, [{ name: 'bytes.xml', content: bad }], { key, query: { project: 'hostile' } })
    expect(res.status).toBe(201)
    expect(res.body.rejected).toEqual([{ item: 'bytes.xml: its bytes', reason: expect.stringMatching(/^3 byte sequences that are not UTF-8 were read as \uFFFD/) }])
    expect((await run(res.body.runId)).results.items[0].title).toBe('bad \uFFFD\uFFFD utf\uFFFD')
    const latin = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><testsuite name="s"><testcase classname="c" name="caf\u00E9"/></testsuite>', 'latin1')
    const accents = await upload(server, [{ name: 'latin.xml', content: latin }], { key, query: { project: 'hostile' } })
    expect(accents.body.rejected).toEqual([])
    expect((await run(accents.body.runId)).results.items[0].title).toBe('caf\u00E9')
  })

  it('treats durations no test can have (negative, NaN, Infinity, 1e308 s, over 24 days, a word) as absent and says so', async () => {
    const times = ['1e308', '-5', 'NaN', 'Infinity', '3000000', 'abc', '1.5']
    const body = `<testsuite name="s">${times.map((t, i) => `<testcase name="t${i}" time="${t}"/>`).join('')}</testsuite>`
    const res = await send('times.xml', body)
    expect(res.status).toBe(201)
    expect(res.body.rejected).toEqual([{
      item: 'times.xml: a duration', reason: 'a duration that is not a number of 0 to 24 days (1e308) was treated as absent (6 times)',
    }])
    const durations = (await run(res.body.runId)).results.items.map((r: any) => [r.title, r.durationMs])
    expect(durations.sort()).toEqual([['t0', null], ['t1', null], ['t2', null], ['t3', null], ['t4', null], ['t5', null], ['t6', 1500]])
  })

  it('drops report metadata that breaks the upload rules (an 8,000-character branch, a javascript: build URL), with notes', async () => {
    const body = JSON.stringify({ results: { tests: [{ name: 't', status: 'passed' }], environment: {
      branchName: 'b'.repeat(8000), buildUrl: 'javascript:alert(document.cookie)', testEnvironment: 'staging\0', commitMessage: 'fine',
    } } })
    const res = await send('meta.json', body)
    expect(res.status).toBe(201)
    expect(res.body.branch).toBeNull()
    expect(res.body.rejected.map((r: any) => r.item)).toEqual([
      expect.stringMatching(/^meta\.json: the report's branch "b{60}"… \(8,000 characters\)$/),
      'meta.json: the report\'s buildUrl "javascript:alert(document.cookie)"',
      'meta.json: the report\'s environment "staging\\u0000"',
    ])
    expect(res.body.rejected.map((r: any) => r.reason)).toEqual([
      'The branch is longer than 250 characters; it was ignored.',
      'The build URL must be an http(s) URL; it was ignored.',
      'The environment contains a NUL character; it was ignored.',
    ])
    const page = await run(res.body.runId)
    expect([page.branch, page.buildUrl, page.environment, page.commitMessage]).toEqual([null, null, null, 'fine'])
  })

  it.each([
    ['a JUnit property name with a raw NUL byte', 'nul.xml', '<testsuite name="s"><testcase name="t"><properties><property name="a\0b" value="v"/></properties></testcase></testsuite>'],
    ['our JSON properties key with NUL', 'nul.json', JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't\0', status: 'passed', properties: { 'a\0b': 'v\0' } }] })],
    ['a CTRF label name with NUL', 'nul-ctrf.json', ctrf({ labels: { 'a\0b': 'v' } })],
  ])('stores %s without the NUL', async (_name, file, body) => {
    const res = await send(file, body)
    expect(res.status).toBe(201)
    expect(res.body.counts.tests).toBe(1)
  })

  it('refuses more results than PROOFDECK_MAX_RESULTS with a 413 sentence, before writing anything', async () => {
    const res = await send('many.xml', `<testsuite name="s">${Array.from({ length: 1001 }, (_, i) => `<testcase name="t${i}"/>`).join('')}</testsuite>`, { project: 'too-many' })
    expect(res.status).toBe(413)
    expect(res.body.message).toBe('This upload holds 1,001 test results; this server takes at most 1,000 per upload (PROOFDECK_MAX_RESULTS). Split the run into shards uploaded under one runKey, or raise the limit.')
    expect((await fetch(`${server.url}/api/projects/too-many`, { headers: { cookie } })).status).toBe(404)
    expect((await send('ok.xml', `<testsuite name="s">${'<testcase name="t"/>'.repeat(1000)}</testsuite>`)).status).toBe(201)
  })

  it('reads the files of one upload two at a time and answers as reading them in order would', async () => {
    // files of different sizes finish out of order on two parse workers; the answer names the file that order meets
    const suite = (n: number, from = 0) => `<testsuite name="s">${Array.from({ length: n }, (_, i) => `<testcase classname="c" name="t${from + i}"/>`).join('')}</testsuite>`
    const sendAll = (files: { name: string, content: string }[], project: string) => upload(server, files, { key, query: { project } })
    const fine = await sendAll([{ name: 'big.xml', content: suite(400) }, { name: 'a.xml', content: suite(5, 1000) }, { name: 'b.xml', content: suite(5, 2000) },
      { name: 'c.xml', content: suite(300, 3000) }], 'several-files')
    expect(fine.status, JSON.stringify(fine.body)).toBe(201)
    expect(fine.body.counts.tests).toBe(710)
    expect(fine.body.files.map((f: any) => [f.name, f.results])).toEqual([['big.xml', 400], ['a.xml', 5], ['b.xml', 5], ['c.xml', 300]])

    // 600 + 300 fit, the third passes the limit: the sum so far and that file, whichever worker finished first
    const tooMany = await sendAll([{ name: 'first.xml', content: suite(600) }, { name: 'small.xml', content: suite(300, 1000) },
      { name: 'third.xml', content: suite(200, 2000) }, { name: 'fourth.xml', content: suite(5, 3000) }], 'several-too-many')
    expect(tooMany.status).toBe(413)
    expect(tooMany.body.message).toMatch(/^This upload holds 1,100 test results \(counted up to third\.xml\); this server takes at most 1,000 per upload/)

    // a large file first and two broken ones after it: the first broken one in upload order is named
    const broken = await sendAll([{ name: 'large.xml', content: suite(900) }, { name: 'broken-1.xml', content: '<testsuite><testcase name="x">' },
      { name: 'broken-2.xml', content: '<nope' }], 'several-broken')
    expect(broken.status).toBe(422)
    expect(broken.body.message).toMatch(/^broken-1\.xml: /)
    for (const project of ['several-too-many', 'several-broken']) {
      expect((await fetch(`${server.url}/api/projects/${project}`, { headers: { cookie } })).status).toBe(404)
    }
  })

  it('answered no request with a 500', () => {
    expect(server.logs()).not.toMatch(/\b500\b|RangeError|Maximum call stack/)
  })
})

describe('a parse worker out of memory', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ PROOFDECK_PARSE_MEMORY_MB: '64' })
  })
  afterAll(() => server?.stop())

  it('refuses a report that needs more than PROOFDECK_PARSE_MEMORY_MB with a 413 sentence, and parses the next one', async () => {
    const cookie = await login(server)
    const key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    // CTRF is parsed whole (JUnit XML and Playwright JSON are streamed and no longer need more memory for more tests)
    const big = await upload(server, [{ name: 'big.json', content: flatCtrf(400_000) }], { key, query: { project: 'oom' } })
    expect(big.status).toBe(413)
    expect(big.body.message).toMatch(/^big\.json: reading this report needs more than the 64 MB a parse worker may use \(PROOFDECK_PARSE_MEMORY_MB\)/)
    const small = await upload(server, [{ name: 'small.xml', content: flatJunit(10) }], { key, query: { project: 'oom' } })
    expect(small.status).toBe(201)
    expect(small.body.counts.tests).toBe(10)
  })
})
