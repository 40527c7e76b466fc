import { describe, expect, it } from 'vitest'
import { FIELD_CAPS, MAX_NESTING, parseReport, type ParsedReport } from '../../../server/ingest'
import { parseNativeObject } from '../../../server/ingest/native'
import { parsePlaywrightObject } from '../../../server/ingest/playwright'
import { parseError } from './helpers'

/*
 * Hostile reports (issue 13): nesting that froze the server or overflowed the stack, fields of megabytes, dates
 * Postgres cannot store, NUL in keys. Each gives a sentence or a capped, cleaned value, never a crash.
 */

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')
const OMITTED = /…\[\d+ bytes omitted\]…/

const pwTest = '{"title":"t","tests":[{"status":"expected","results":[{"status":"passed"}]}]}'
const deepPlaywright = (n: number) => `{"suites":[${'{"title":"s","suites":['.repeat(n)}{"title":"x","specs":[${pwTest}]}${']}'.repeat(n)}]}`
const nestedSuites = (n: number): object => n === 0 ? { title: 'leaf', specs: [JSON.parse(pwTest)] } : { title: `s${n}`, suites: [nestedSuites(n - 1)] }
const deepJunit = (n: number) => `<testsuites>${'<testsuite name="s">'.repeat(n)}<testcase name="t"/>${'</testsuite>'.repeat(n)}</testsuites>`
const nativeSteps = (n: number) => `{"format":"proofdeck","version":1,"results":[{"title":"t","status":"passed","steps":[${'{"title":"s","steps":['.repeat(n)}${']}'.repeat(n)}]}]}`
const ctrf = (test: object, extra: object = {}) => JSON.stringify({ results: { tool: { name: 'x' }, tests: [{ name: 't', status: 'passed', ...test }], ...extra } })

describe('nesting: refused with the depth, before anything recursive or quadratic runs', () => {
  it.each([
    ['Playwright suites 70,000 deep', deepPlaywright(70_000), /^This JSON report nests 140,00\d levels deep; reports are read to at most 256 levels/],
    ['Playwright suites 70,000 deep, format given', deepPlaywright(70_000), /^This Playwright report nests 140,00\d levels deep/, 'playwright'],
    ['JUnit testsuites 100,000 deep', deepJunit(100_000), /^This XML nests elements more than 256 levels deep \(at line 1, column \d+\)/],
    ['our JSON steps 1,000 deep', nativeSteps(1000), /^This JSON report nests 2,00\d levels deep/],
    ['CTRF label 10,000 deep', `{"results":{"tests":[{"name":"t","status":"passed","labels":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}]}}`, /nests 10,00\d levels deep/],
    ['JUnit testsuites 65 deep', deepJunit(65), /^This JUnit report nests suites 65 levels deep \("s" › "s" › "s" › …\); Proofdeck reads at most 64 levels of suites/],
    ['CTRF suite path of 100', ctrf({ suite: Array.from({ length: 100 }, (_, i) => `s${i}`) }), /^This CTRF report nests suites 100 levels deep/],
  ] as const)('%s', (_name, text, message, format?: 'playwright') => {
    const err = parseError(() => parseReport(text, format))
    expect(err.message).toMatch(message)
    expect(err.code).toBe('too_deep')
  })

  it('refuses Playwright suites nested past the limit even when the JSON depth is fine', () => {
    const err = parseError(() => parsePlaywrightObject({ suites: [nestedSuites(MAX_NESTING)] }))
    expect(err.message).toMatch(/^This Playwright report nests suites 65 levels deep \("s64" › "s63" › "s62" › …\)/)
    expect(parsePlaywrightObject({ suites: [nestedSuites(MAX_NESTING - 1)] }).results[0]!.suitePath).toHaveLength(MAX_NESTING)
  })

  it('cuts our JSON steps at 64 levels before zod sees them (no RangeError), and notes it', () => {
    let steps: object[] = []
    for (let i = 0; i < 1000; i++) steps = [{ title: `s${i}`, steps }]
    const r = parseNativeObject({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed', steps }] })
    let depth = 0
    for (let s = r.results[0]!.steps[0]; s; s = s.steps?.[0]) depth++
    expect(depth).toBe(MAX_NESTING + 1)
  })
})

describe('many reports one after another (cargo test writes one per test binary): read in one pass', () => {
  const doc = (i: number, quote = '"') => `<?xml version="1.0"?><testsuites><testsuite name=${quote}test${quote}><testcase classname=${quote}m${quote} name=${quote}t${i}${quote}/></testsuite></testsuites>\n`
  it.each([
    ['100,000 plain reports', (i: number) => doc(i)],
    // single quotes are not the plain form: each report goes to the validator on its own
    ['100,000 reports the validator reads one by one', (i: number) => doc(i, '\'')],
  ])('%s', (_name, one) => {
    const text = Array.from({ length: 100_000 }, (_, i) => one(i)).join('')
    const started = performance.now()
    const report = parseReport(text)
    expect(report.results).toHaveLength(100_000)
    expect(report.results[99_999]!.title).toBe('t99999')
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it.each([
    ['deep nesting in a later report', `${doc(0)}<testsuites>${'<testsuite name="s">'.repeat(300)}`, 'too_deep', 2],
    ['an entity declared between reports', `${doc(0)}<!DOCTYPE t [<!ENTITY x "y">]>${doc(1)}`, 'xml_entities_refused', 2],
    ['another vocabulary as the 1,001st report', `${Array.from({ length: 1000 }, (_, i) => doc(i)).join('')}<html/>`, 'not_junit', 1001],
  ])('refuses %s where it is', (_name, text, code, line) => {
    const err = parseError(() => parseReport(text))
    expect([err.code, err.line]).toEqual([code, line])
  })
})

const huge = 'x'.repeat(1024 * 1024)
const fields = (r: ParsedReport) => r.results[0]!

describe('every stored name is capped and marked', () => {
  const junit = parseReport(`<testsuite name="${huge}" file="${huge}"><testcase name="${huge}" classname="c${huge}">`
    + `<properties><property name="${huge}" value="v"/></properties></testcase></testsuite>`)
  const pw = parseReport(JSON.stringify({ config: { version: huge }, suites: [{ title: 'f.spec.ts', file: 'f.spec.ts', suites: [{ title: huge, specs: [{
    title: huge, file: huge, tags: [huge], tests: [{ projectName: huge, status: 'expected', annotations: [{ type: huge }],
      results: [{ status: 'passed', steps: [{ title: huge }], attachments: [{ name: huge, path: huge, contentType: huge }] }] }],
  }] }] }] }))
  const ct = parseReport(ctrf({ name: huge, suite: [huge], filePath: huge, browser: huge, tags: [huge], labels: { [huge]: 'v' }, steps: [{ name: huge }] }))
  const own = parseReport(JSON.stringify({ format: 'proofdeck', version: 1, tool: huge, results: [{
    title: huge, status: 'passed', suitePath: [huge], file: huge, variant: huge, tags: [huge], properties: { [huge]: huge },
    steps: [{ title: huge }], annotations: [{ type: huge }], attachments: [{ name: huge, path: huge, contentType: huge }],
  }], errors: [{ message: huge }] }))

  it.each([
    ['JUnit title', fields(junit).title, FIELD_CAPS.title],
    ['JUnit suite', fields(junit).suitePath[0], FIELD_CAPS.suite],
    ['JUnit classname', fields(junit).suitePath[1], FIELD_CAPS.suite],
    ['JUnit file', fields(junit).file, FIELD_CAPS.file],
    ['JUnit property name', Object.keys(fields(junit).properties)[0], FIELD_CAPS.key],
    ['Playwright title', fields(pw).title, FIELD_CAPS.title],
    ['Playwright describe', fields(pw).suitePath[0], FIELD_CAPS.suite],
    ['Playwright file', fields(pw).file, FIELD_CAPS.file],
    ['Playwright variant', fields(pw).variant, FIELD_CAPS.variant],
    ['Playwright tag', fields(pw).tags[0], FIELD_CAPS.tag],
    ['Playwright step', fields(pw).steps[0]!.title, FIELD_CAPS.step],
    ['Playwright annotation', fields(pw).annotations[0]!.type, FIELD_CAPS.type],
    ['Playwright attachment', fields(pw).attachments[0]!.path, FIELD_CAPS.file],
    ['Playwright tool', pw.tool, FIELD_CAPS.tool + 11],
    ['CTRF title', fields(ct).title, FIELD_CAPS.title],
    ['CTRF suite', fields(ct).suitePath[0], FIELD_CAPS.suite],
    ['CTRF file', fields(ct).file, FIELD_CAPS.file],
    ['CTRF variant', fields(ct).variant, FIELD_CAPS.variant],
    ['CTRF tag', fields(ct).tags[0], FIELD_CAPS.tag],
    ['CTRF label name', Object.keys(fields(ct).properties)[0], FIELD_CAPS.key],
    ['CTRF step', fields(ct).steps[0]!.title, FIELD_CAPS.step],
    ['our title', fields(own).title, FIELD_CAPS.title],
    ['our suite', fields(own).suitePath[0], FIELD_CAPS.suite],
    ['our file', fields(own).file, FIELD_CAPS.file],
    ['our variant', fields(own).variant, FIELD_CAPS.variant],
    ['our tag', fields(own).tags[0], FIELD_CAPS.tag],
    ['our property name', Object.keys(fields(own).properties)[0], FIELD_CAPS.key],
    ['our property value', Object.values(fields(own).properties)[0], 4 * 1024],
    ['our step', fields(own).steps[0]!.title, FIELD_CAPS.step],
    ['our annotation', fields(own).annotations[0]!.type, FIELD_CAPS.type],
    ['our attachment', fields(own).attachments[0]!.name, FIELD_CAPS.file],
    ['our tool', own.tool, FIELD_CAPS.tool],
    ['our run error', own.errors[0]!.message, 16 * 1024],
  ])('%s', (_name, value, cap) => {
    expect(typeof value).toBe('string')
    expect(bytes(value!)).toBeLessThanOrEqual(cap)
    expect(value).toMatch(OMITTED)
  })
})

describe('dates after the year 9999 are absent, and said so', () => {
  it.each([
    ['CTRF summary.start', ctrf({}, { summary: { start: 253402387200000 } }), 'summary.start'],
    ['CTRF test start', ctrf({ start: 253402387200000 }), 'tests[].start'],
    ['JUnit timestamp', '<testsuite name="s" timestamp="+020000-01-01T00:00:00"><testcase name="t"/></testsuite>', '<testsuite> timestamp'],
    ['Playwright stats.startTime', JSON.stringify({ stats: { startTime: '+020000-01-01T00:00:00.000Z' }, suites: [] }), 'stats.startTime'],
    ['Playwright results startTime', deepPlaywright(1).replace('{"status":"passed"}', '{"status":"passed","startTime":"+275760-01-01T00:00:00Z"}'),
      'results[].startTime'],
    ['our startedAt', JSON.stringify({ format: 'proofdeck', version: 1, startedAt: 253402387200000, results: [] }), 'startedAt'],
  ])('%s', (_name, text, item) => {
    const r = parseReport(text)
    expect(r.startedAt).toBeNull()
    for (const x of r.results) for (const a of x.attempts) expect(a.startedAt).toBeNull()
    expect(r.dropped).toEqual([{ item, reason: expect.stringMatching(/^a date after the year 9999 \(.+\) was treated as absent$/) }])
  })

  it('keeps the last possible date', () => {
    expect(parseReport(ctrf({}, { summary: { start: Date.UTC(9999, 11, 31) } })).startedAt).toBe('9999-12-31T00:00:00.000Z')
  })
})

describe('NUL never reaches a key or a name', () => {
  it.each([
    ['JUnit property name (raw bytes)', '<testsuite name="s"><testcase name="t\0u"><properties><property name="a\0b" value="v\0w"/></properties></testcase></testsuite>'],
    ['our JSON properties key', JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't\0u', status: 'passed', properties: { 'a\0b': 'v\0w' } }] })],
    ['CTRF labels key', ctrf({ name: 't\0u', labels: { 'a\0b': 'v\0w' } })],
  ])('%s', (_name, text) => {
    const r = fields(parseReport(text))
    expect(r.title).toBe('tu')
    expect(r.properties).toEqual({ ab: 'vw' })
  })
})

describe('the lists of one result are bounded', () => {
  const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))
  const r = parseReport(JSON.stringify({ format: 'proofdeck', version: 1, results: [{
    title: 't', status: 'passed', tags: many(5000, i => `t${i}`), annotations: many(5000, () => ({ type: 'a' })),
    attachments: many(5000, () => ({ name: 'a' })), properties: Object.fromEntries(many(5000, i => [`k${i}`, 'v'] as const)),
    steps: many(100, () => ({ title: 's', steps: many(100, () => ({ title: 'inner' })) })),
  }] }))
  const x = fields(r)

  it('keeps the first items of each and notes the cut', () => {
    expect([x.tags.length, x.annotations.length, x.attachments.length, Object.keys(x.properties).length]).toEqual([100, 100, 200, 200])
    const count = (s: typeof x.steps): number => s.reduce((n, t) => n + 1 + count(t.steps ?? []), 0)
    expect(count(x.steps)).toBe(2000)
    expect(x.tags[0]).toBe('t0')
    expect(r.dropped?.map(d => d.item).sort()).toEqual(['annotations', 'attachments', 'properties', 'steps', 'tags'])
    expect(r.dropped?.find(d => d.item === 'steps')?.reason).toBe('results with more than 2000 steps kept their first 2000 (one had 10100)')
  })
})
