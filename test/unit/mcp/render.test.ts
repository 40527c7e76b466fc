import { describe, expect, it } from 'vitest'
import { render } from '../../../server/mcp/render'
import { resultRow, testCaseAnswer } from '../../../server/mcp/project'

const CAP = 30_000
const row = (i: number, error = 'x'.repeat(300)) => ({ testCaseId: `t${i}`, status: 'failed', error })

describe('render', () => {
  it.each([
    ['an empty page keeps its items', { items: [], nextCursor: null }, '{"items":[]}'],
    ['nulls, empty strings and empty arrays go', { a: null, b: '', c: [], d: { e: null }, f: 0, g: false }, '{"f":0,"g":false}'],
    ['a clipped error names where the whole is', { errorMessage: 'boom…', errorTruncated: true },
      '{"errorMessage":"boom… [truncated: get_test_case shows the test\'s error up to 10,000 characters]"}'],
  ])('%s', (_name, input, text) => {
    expect(render(input, 'list_runs', { canShorten: true })).toEqual({ text, structured: JSON.parse(text), json: text })
  })

  it.each([
    ['get_test_case keeps a long typical error whole', 'get_test_case', 9_000, 9_000],
    ['get_test_case cuts past 10,000 characters and says so, not that it has the rest', 'get_test_case', 20_000, 10_000, ' [truncated at 10,000 characters]'],
    ['get_cluster points to an affected test', 'get_cluster', 5_000, 4_000,
      ' [truncated at 4,000 characters: get_test_case of an affected test shows its error up to 10,000]'],
    ['a list points to get_test_case', 'list_failed_cases', 5_000, 4_000, ' [truncated at 4,000 characters: get_test_case shows the test\'s error up to 10,000]'],
  ])('%s', (_name, tool, length, kept, marker = '') => {
    const stack = 's'.repeat(length)
    const rendered = render({ lastError: { stack } }, tool, { canShorten: false })
    const { structured } = rendered as unknown as { structured: { lastError: { stack: string } } }
    expect(structured.lastError.stack).toBe(kept < length ? `${stack.slice(0, kept)}…${marker}` : stack)
  })

  it('says only that a string that is not an error was cut (a title, a file)', () => {
    const title = 't'.repeat(5_000)
    const rendered = render({ items: [{ title, file: 'f'.repeat(4_001), errorMessage: 'boom' }] }, 'list_failed_cases', { canShorten: false })
    const { structured } = rendered as unknown as { structured: { items: { title: string, file: string }[] } }
    expect(structured.items[0]!.title).toBe(`${title.slice(0, 4_000)}… [truncated at 4,000 characters]`)
    expect(structured.items[0]!.file).toMatch(/^f{4000}… \[truncated at 4,000 characters\]$/)
  })

  it('keeps get_test_case\'s failingSince and lastPassed when null (a test always carries them), not a list row\'s', () => {
    const json = (answer: unknown, tool: string) => (render(answer, tool, { canShorten: false }) as { json: string }).json
    expect(json({ label: 'flaky', failingSince: null, lastPassed: null, other: null }, 'get_test_case'))
      .toBe('{"label":"flaky","failingSince":null,"lastPassed":null}')
    expect(json({ items: [{ label: 'flaky', failingSince: null, lastPassed: null }] }, 'list_flaky_tests')).toBe('{"items":[{"label":"flaky"}]}')
  })

  it('keeps a get_test_case answer whole with its longest error: 16,000 characters of message and a stack repeating it', () => {
    const message = 'm'.repeat(16_000)
    const answer = { label: 'broken', reason: 'failed the last 3 runs', history: [{ runId: 'r', status: 'failed' }],
      lastError: { message, stack: `${message}\n${'    at frame (file.ts:1:1)\n'.repeat(700)}` } }
    const rendered = render(answer, 'get_test_case', { canShorten: true }) as { structured: Record<string, any> }
    expect(rendered.structured).toMatchObject({ label: 'broken', history: [{ runId: 'r' }] })
    expect(rendered.structured.lastError.message).toMatch(/^m{10000}… \[truncated at 10,000 characters\]$/)
  })

  it.each([
    ['a page of items', (rows: unknown[]) => ({ items: rows, nextCursor: 'c' })],
    ['get_run\'s results', (rows: unknown[]) => ({ id: 'r', results: { items: rows, nextCursor: 'c' } })],
    ['get_test_case\'s history', (rows: unknown[]) => ({ id: 't', history: rows })],
  ])('asks %s again with as many rows as fit, leaving room for the cursor', (_name, answer) => {
    const rows = Array.from({ length: 200 }, (_, i) => row(i))
    const first = render(answer(rows), 'list_failed_cases', { canShorten: true })
    expect(first).toHaveProperty('fit')
    const fit = (first as { fit: number }).fit
    expect(fit).toBeGreaterThan(50)
    expect(fit).toBeLessThan(200)
    const again = render(answer(rows.slice(0, fit)), 'list_failed_cases', { canShorten: true, shortenedFrom: 200 })
    expect('text' in again && again.text.length).toBeLessThanOrEqual(CAP)
    expect('text' in again && again.text).toMatch(`"truncated":"${fit} rows, not 200, to stay under ~8k tokens`)
  })

  it('cuts an answer it may not shorten, with a marker, and never passes the cap', () => {
    const out = render({ items: Array.from({ length: 200 }, (_, i) => row(i)) }, 'list_runs', { canShorten: false })
    expect('text' in out && out.text.length).toBeLessThanOrEqual(CAP + 100)
    expect('text' in out && out.text).toMatch(/\[cut at ~8k tokens: call list_runs with narrower arguments\]$/)
    expect('json' in out && out.json).toBe(JSON.stringify({ truncated: 'text' in out && out.text }))
  })

  it('keeps the biggest causes of a run with very many within half the cap and says so', () => {
    const groups = Array.from({ length: 300 }, (_, i) => ({ clusterId: `c${i}`, failures: 1, title: 'y'.repeat(200) }))
    const out = render({ id: 'r', failureGroups: groups }, 'get_run', { canShorten: true }) as { structured: any }
    expect(out.structured.failureGroups[0].clusterId).toBe('c0')
    expect(JSON.stringify(out.structured.failureGroups).length).toBeLessThanOrEqual(CAP / 2)
    expect(out.structured.failureGroupsTruncated).toMatch(/^\d+ of 300 causes, biggest first/)
  })
})

describe('the MCP projection', () => {
  const base = { id: 'res', testCaseId: 't', title: 'T', suitePath: ['s'], file: 'f.ts', variant: null, durationMs: 5, clusterId: 'c' }
  it.each([
    ['a failure: ids, status, first line of the error',
      { ...base, status: 'failed', flaky: false, attempts: 1, errorMessage: '\n  Boom: x\n  at y' },
      { testCaseId: 't', title: 'T', clusterId: 'c', status: 'failed', error: 'Boom: x' }],
    ['a pass on retry: the failed attempt\'s error', { ...base, status: 'passed', flaky: true, attempts: 2, errorMessage: null,
      attemptDetails: [{ attempt: 1, status: 'failed', durationMs: 1, errorMessage: 'Timeout' }] },
    { testCaseId: 't', title: 'T', clusterId: 'c', status: 'passed', flaky: true, attempts: 2, error: 'Timeout' }],
    ['a long first line is clipped to 200', { ...base, status: 'failed', flaky: false, attempts: 1, errorMessage: 'e'.repeat(300) },
      { testCaseId: 't', title: 'T', clusterId: 'c', status: 'failed', error: `${'e'.repeat(199)}…` }],
    ['a failed list row keeps its run, its date and branch, and unknown fields', { ...base, status: 'errored', flaky: false, attempts: 1, errorMessage: 'E',
      runId: 'r', branch: 'main', commit: 'abc', startedAt: '2026-01-01T00:00:00.000Z', knownFailure: true, newField: 1 },
    { testCaseId: 't', title: 'T', clusterId: 'c', status: 'errored', runId: 'r', startedAt: '2026-01-01T00:00:00.000Z', branch: 'main',
      knownFailure: true, newField: 1, error: 'E' }],
    ['one test in two browsers: the variant tells its rows apart; a quarantine is said',
      { ...base, variant: 'firefox', status: 'failed', flaky: false, attempts: 1, errorMessage: 'E', quarantined: true },
      { testCaseId: 't', title: 'T', variant: 'firefox', clusterId: 'c', status: 'failed', quarantined: true, error: 'E' }],
    // go-junit-report's rows of a monorepo's packages that did not build (test/fixtures/reports/gojunit-build.xml)
    ['a Go package that did not build: its package, which no file says',
      { ...base, title: '[build failed]', suitePath: ['example.com/shop/internal/cart'], file: null, status: 'errored', flaky: false, attempts: 1,
        errorMessage: 'Build error' },
      { testCaseId: 't', title: '[build failed]', name: 'example.com/shop/internal/cart › [build failed]', package: 'example.com/shop/internal/cart',
        clusterId: 'c', status: 'errored', error: 'Build error' }],
    ['a JVM test without a file: its class\'s package',
      { ...base, title: 'contextLoads()', suitePath: ['com.example.api.ApplicationTests'], file: null, status: 'failed', flaky: false, attempts: 1,
        errorMessage: 'E' },
      { testCaseId: 't', title: 'contextLoads()', name: 'ApplicationTests › contextLoads()', package: 'com.example.api', clusterId: 'c', status: 'failed',
        error: 'E' }],
    // pytest escapes non-ASCII in a parametrize id: the title as stored selects the test, the name reads it
    ['a pytest id: its name decoded beside its title', { ...base, title: 'test_greet[M\\xfcller]', status: 'failed', flaky: false, attempts: 1, errorMessage: 'E' },
      { testCaseId: 't', title: 'test_greet[M\\xfcller]', name: 'test_greet[Müller]', clusterId: 'c', status: 'failed', error: 'E' }],
  ])('%s', (_name, input, expected) => {
    expect(resultRow(input as never)).toEqual(expected)
  })

  it('lists a test case\'s errors once per cause, newest first, with counts, and keeps fields it does not know', () => {
    const h = (runId: string, errorMessage: string | null, clusterId: string | null = null, status = 'failed') => ({
      ...base, runId, status, flaky: false, attempts: 1, errorMessage, clusterId, branch: 'main', commit: `sha-${runId}`,
      startedAt: '2026-01-01T00:00:00.000Z',
    })
    // one cause whose messages differ in a worker id (its cluster), another cause, a message without a cluster twice
    const history = [h('r5', 'C'), h('r4', 'A on worker 7\nstack', 'c1'), h('r3', 'A on worker 2', 'c1'), h('r2', 'C'),
      h('r1', null, null, 'passed'), h('r0', 'B', 'c2')]
    const clusters = [{ id: 'c1', title: 'A', category: 'unknown', status: 'open', occurrences: 2 }]
    const answer = testCaseAnswer({ testCaseId: 't', title: 'T', suitePath: [], failingSince: { runId: 'r2' }, history, clusters } as never)
    expect(answer.failingSince).toEqual({ runId: 'r2' })
    // this test's occurrences in a cluster, named apart from a cluster's total
    expect(answer.clusters).toEqual([{ id: 'c1', title: 'A', category: 'unknown', status: 'open', testOccurrences: 2 }])
    expect((answer.history as { runId: string }[]).map(r => r.runId)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0'])
    expect((answer.history as object[])[1]).toEqual({
      runId: 'r4', startedAt: '2026-01-01T00:00:00.000Z', branch: 'main', status: 'failed', durationMs: 5, commit: 'sha-r4',
    })
    expect(answer.errors).toEqual([
      { message: 'C', count: 2, lastRunId: 'r5', clusterId: null },
      { message: 'A on worker 7', count: 2, lastRunId: 'r4', clusterId: 'c1' },
      { message: 'B', count: 1, lastRunId: 'r0', clusterId: 'c2' },
    ])
  })
})
