import { describe, expect, it } from 'vitest'
import { parsePlaywright } from '../../../server/ingest/playwright'
import { corpusText, counts, expectInvariants, parseError } from './helpers'

type Json = Record<string, unknown>

const run = (status: string, extra: Json = {}): Json => ({
  workerIndex: 0, status, duration: 100, errors: [], stdout: [], stderr: [], retry: 0, startTime: '2024-03-01T10:00:00.000Z', attachments: [], ...extra,
})
const test = (status: string, results: Json[], extra: Json = {}): Json => ({
  timeout: 30000, annotations: [], expectedStatus: 'passed', projectId: 'chromium', projectName: 'chromium', results, status, ...extra,
})
const spec = (title: string, tests: Json[], extra: Json = {}): Json => ({ title, ok: true, tags: [], tests, id: title, file: 'a.spec.ts', line: 7, column: 3, ...extra })
const report = (specs: Json[], extra: Json = {}) => JSON.stringify({
  config: { version: '1.57.0' },
  suites: [{ title: 'a.spec.ts', file: 'a.spec.ts', line: 0, column: 0, specs: [], suites: [{ title: 'login', file: 'a.spec.ts', line: 3, column: 1, specs }] }],
  errors: [],
  ...extra,
})
const only = (t: Json, s: Json = {}) => {
  const r = parsePlaywright(report([spec('does it', [t], s)]))
  expectInvariants(r)
  return r.results[0]!
}
const failedRun = (message: string, extra: Json = {}) => run('failed', { error: { message, stack: `Error: ${message}\n    at a.spec.ts:9:5` }, errors: [{ message }], ...extra })

describe('status comes from test.status; every results[] entry is an attempt', () => {
  it.each([
    ['expected', 'expected', [run('passed')], 'passed', false, ['passed']],
    ['flaky', 'flaky', [failedRun('x'), failedRun('y', { retry: 1 }), run('passed', { retry: 2 })], 'passed', true, ['failed', 'failed', 'passed']],
    ['unexpected (failed)', 'unexpected', [failedRun('x'), failedRun('x', { retry: 1 })], 'failed', false, ['failed', 'failed']],
    ['unexpected (timedOut)', 'unexpected', [run('timedOut', { error: { message: 'Test timeout of 30000ms exceeded.' } })], 'failed', false, ['failed']],
    ['unexpected (interrupted)', 'unexpected', [run('interrupted')], 'failed', false, ['failed']],
    ['unexpected, never ran', 'unexpected', [], 'failed', false, ['failed']],
    ['skipped', 'skipped', [run('skipped')], 'skipped', false, ['skipped']],
    ['skipped, never ran (maxFailures)', 'skipped', [], 'skipped', false, ['skipped']],
  ])('%s', (_name, status, results, expectedStatus, flaky, attempts) => {
    const r = only(test(status, results))
    expect(r.status).toBe(expectedStatus)
    expect(r.flaky).toBe(flaky)
    expect(r.attempts.map(a => a.status)).toEqual(attempts)
  })

  it('treats a test.fail() test whose run failed as the expected outcome (passed)', () => {
    const r = only(test('expected', [failedRun('boom')], { expectedStatus: 'failed' }))
    expect(r.status).toBe('passed')
    expect(r.attempts.map(a => a.status)).toEqual(['passed'])
  })

  it('takes the error of the final failing attempt, without its terminal colour codes, and per-attempt timing', () => {
    const r = only(test('unexpected', [failedRun('first'), failedRun('\u001B[31msecond\u001B[39m', { retry: 1, duration: 250, startTime: '2024-03-01T10:00:05.000Z' })]))
    expect(r.errorMessage).toBe('second')
    expect(r.errorStack).toBe('Error: second\n    at a.spec.ts:9:5')
    expect(r.attempts.map(a => [a.durationMs, a.startedAt, a.errorMessage])).toEqual([
      [100, '2024-03-01T10:00:00.000Z', 'first'],
      [250, '2024-03-01T10:00:05.000Z', 'second'],
    ])
    expect(r.durationMs).toBe(350)
  })

  it('falls back to errors[] when a result has no error', () => {
    expect(only(test('unexpected', [run('failed', { errors: [{ message: 'soft 1' }, { message: 'soft 2' }] })])).errorMessage).toBe('soft 1')
  })

  it('shows the last failed try\'s error on a flaky test', () => {
    const r = only(test('flaky', [failedRun('try 1'), failedRun('try 2', { retry: 1 }), run('passed', { retry: 2 })]))
    expect(r.errorMessage).toBe('try 2')
    expect(r.attempts[2]!.errorMessage).toBeNull()
  })
})

describe('identity and details', () => {
  it('walks nested describes; suitePath excludes the file-level suite', () => {
    const text = JSON.stringify({
      config: {},
      suites: [{
        title: 'deep.spec.ts', file: 'deep.spec.ts', specs: [spec('top', [test('expected', [run('passed')])], { file: 'deep.spec.ts' })],
        suites: [{ title: 'A', file: 'deep.spec.ts', specs: [], suites: [{ title: 'B', file: 'deep.spec.ts', specs: [spec('leaf', [test('expected', [run('passed')])], { file: 'deep.spec.ts', line: 12 })] }] }],
      }],
    })
    const r = parsePlaywright(text).results
    expect(r.map(x => [x.title, x.suitePath, x.file, x.line])).toEqual([['top', [], 'deep.spec.ts', 7], ['leaf', ['A', 'B'], 'deep.spec.ts', 12]])
  })

  it('makes one result per spec × project, with the project as the variant', () => {
    const r = parsePlaywright(report([spec('x', [test('expected', [run('passed')]), test('expected', [run('passed')], { projectName: 'Mobile Chrome', projectId: 'mobile' }), test('expected', [run('passed')], { projectName: '', projectId: 'setup' })])])).results
    expect(r.map(x => x.variant)).toEqual(['chromium', 'Mobile Chrome', 'setup'])
  })

  it('keeps steps recursively, with failures', () => {
    const r = only(test('unexpected', [run('failed', { steps: [{ title: 'open', duration: 5, steps: [{ title: 'goto', duration: 4 }] }, { title: 'click', duration: 9, error: { message: 'locator not found' } }] })]))
    expect(r.steps).toEqual([
      { title: 'open', durationMs: 5, status: 'passed', error: null, steps: [{ title: 'goto', durationMs: 4, status: 'passed', error: null }] },
      { title: 'click', durationMs: 9, status: 'failed', error: 'locator not found' },
    ])
  })

  it('keeps attachment metadata and never the body', () => {
    const body = Buffer.alloc(3000, 7).toString('base64')
    const r = only(test('unexpected', [failedRun('x', { attachments: [{ name: 'screenshot', contentType: 'image/png', path: '/out/s.png' }, { name: 'inline', contentType: 'text/plain', body }] })]))
    expect(r.attachments).toEqual([{ name: 'screenshot', contentType: 'image/png', path: '/out/s.png', attempt: 1 }, { name: 'inline', contentType: 'text/plain', path: null, attempt: 1 }])
    expect(JSON.stringify(r)).not.toContain(body.slice(0, 100))
  })

  it('joins stdout/stderr chunks, text and base64 buffers', () => {
    const r = only(test('expected', [run('passed', { stdout: [{ text: 'one\n' }, { buffer: Buffer.from('twö\n').toString('base64') }], stderr: [{ text: 'warn' }] })]))
    expect([r.stdout, r.stderr]).toEqual(['one\ntwö\n', 'warn'])
  })

  it('merges test and result annotations without duplicates, and keeps spec tags', () => {
    const ann = { type: 'issue', description: 'https://x/1' }
    const r = only(test('skipped', [run('skipped', { annotations: [ann, { type: 'skip', description: 'flaky on CI' }] })], { annotations: [ann] }), { tags: ['@smoke', '@slow'] })
    expect(r.annotations).toEqual([ann, { type: 'skip', description: 'flaky on CI' }])
    expect(r.tags).toEqual(['@smoke', '@slow'])
  })

  it('reads run timing, the tool version and top-level errors (a red run with 0 tests)', () => {
    const r = parsePlaywright(JSON.stringify({ config: { version: '1.53.1' }, suites: [], errors: [{ message: 'Error: Process from config.webServer was not able to start.', stack: 'Error: …' }], stats: { startTime: '2025-06-19T06:58:13.557Z', duration: 1524.7, expected: 0, unexpected: 0, flaky: 0, skipped: 0 } }))
    expect(r.results).toEqual([])
    expect(r.errors).toEqual([{ message: 'Error: Process from config.webServer was not able to start.', stack: 'Error: …' }])
    expect([r.tool, r.startedAt, r.durationMs]).toEqual(['playwright 1.53.1', '2025-06-19T06:58:13.557Z', 1525])
  })

  it('warns when the stats block disagrees with the tests', () => {
    const r = parsePlaywright(report([spec('x', [test('expected', [run('passed')])])], { stats: { expected: 3, unexpected: 0, flaky: 0, skipped: 0 } }))
    expect(r.warnings).toEqual([expect.stringMatching(/expected: stats 3, tests 1/)])
  })
})

describe('refusals', () => {
  it('refuses JSON without a suites array', () => {
    expect(parseError(() => parsePlaywright('{"config": {}, "tests": []}')).message).toBe('This JSON is not a Playwright report: it has no top-level "suites" array (its top-level keys are "config", "tests").')
  })

  it('says where truncated JSON ends', () => {
    const text = corpusText('playwright/playwright-report-summary__report-valid.json')
    const cut = text.slice(0, 5000)
    const lines = cut.trimEnd().split('\n')
    const err = parseError(() => parsePlaywright(cut))
    expect(err.message).toMatch(/^This Playwright report is not valid JSON: it ends in the middle of the document at line \d+, column \d+ \(is the file truncated\?\)\.$/)
    expect([err.line, err.column]).toEqual([lines.length, lines[lines.length - 1]!.length])
  })

  it('says where a syntax error is', () => {
    const err = parseError(() => parsePlaywright('{\n  "suites": [\n    {"title": "a",,}\n  ]\n}'))
    expect(err.message).toBe('This Playwright report is not valid JSON: unexpected character "," at line 3, column 19.')
    expect([err.line, err.column]).toEqual([3, 19])
  })

  it('refuses an empty file', () => {
    expect(parseError(() => parsePlaywright('')).message).toBe('The file is empty (0 bytes).')
  })
})

describe('corpus examples', () => {
  it('reads report-valid.json: the flaky test has failed, failed, passed attempts', () => {
    const r = parsePlaywright(corpusText('playwright/playwright-report-summary__report-valid.json'))
    const flaky = r.results.filter(x => x.flaky)
    expect(flaky).toHaveLength(1)
    expect(flaky[0]!.attempts.map(a => a.status)).toEqual(['failed', 'failed', 'passed'])
    expect(counts(r)).toMatchObject({ tests: 14, failed: 2 })
    expect(r.results.filter(x => x.status === 'failed').map(x => x.attempts.length)).toEqual([5, 5])
  })

  it('reads test.step() steps from a 1.57 report', () => {
    const r = parsePlaywright(corpusText('playwright/EpiTrello2025__results.json'))
    expect(r.results[0]!.steps.length).toBeGreaterThan(0)
    expect(r.tool).toBe('playwright 1.57.0')
  })
})

describe('scale', () => {
  it('parses 50,000 results', () => {
    const specs = Array.from({ length: 50_000 }, (_, i) => spec(`t${i}`, [i % 50 === 0 ? test('flaky', [failedRun('x'), run('passed', { retry: 1 })]) : test('expected', [run('passed')])]))
    const r = parsePlaywright(report(specs))
    expect(counts(r)).toEqual({ tests: 50_000, passed: 50_000, failed: 0, errored: 0, skipped: 0, flaky: 1000 })
  })
})
