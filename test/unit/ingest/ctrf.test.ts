import { describe, expect, it } from 'vitest'
import { parseReport } from '../../../server/ingest'
import { parseCtrf } from '../../../server/ingest/ctrf'
import { corpusText, counts, expectInvariants, parseError, reviewed } from './helpers'

type Json = Record<string, unknown>
const ctrf = (tests: Json[], results: Json = {}) => JSON.stringify({
  reportFormat: 'CTRF', specVersion: '1.0.0',
  results: { tool: { name: 'jest', version: '29.7.0' }, summary: { start: 1722511783500, stop: 1722511790000 }, tests, ...results },
})
const only = (t: Json) => {
  const r = parseCtrf(ctrf([{ name: 't', duration: 10, ...t }]))
  expectInvariants(r)
  return r.results[0]!
}

describe('status', () => {
  it.each([
    ['passed', 'passed'], ['failed', 'failed'], ['skipped', 'skipped'], ['pending', 'skipped'], ['other', 'errored'], ['bogus', 'errored'],
  ])('%s → %s', (status, expected) => {
    expect(only({ status }).status).toBe(expected)
  })

  it('says on the receipt which statuses it did not know, once each with a count', () => {
    const tests: Json[] = ['weird', 'weird', 'passed', 'other'].map((status, i) => ({ name: `t${i}`, status, duration: 1 }))
    const r = parseReport(ctrf([...tests, { name: 'list', status: ['passed'], duration: 1 }]), 'ctrf')
    expect(counts(r)).toEqual({ tests: 5, passed: 1, failed: 0, errored: 4, skipped: 0, flaky: 0 })
    expect(r.dropped).toEqual([
      { item: 'status "weird"', reason: 'is not a CTRF status (passed, failed, skipped, pending, other): read as errored (2 times)' },
      { item: 'status ["passed"]', reason: 'is not a CTRF status (passed, failed, skipped, pending, other): read as errored' },
    ])
  })

  it('ignores rawStatus and the summary block', () => {
    const summary = { tests: 999, passed: 999, failed: 0, pending: 0, skipped: 0, other: 0 }
    const r = parseCtrf(ctrf([{ name: 'a', status: 'failed', rawStatus: 'timedOut', duration: 1 }], { summary }))
    expect(counts(r)).toEqual({ tests: 1, passed: 0, failed: 1, errored: 0, skipped: 0, flaky: 0 })
  })

  it.each<[string, Json, string[]]>([
    // [case, summary, warnings]
    ['the real Playwright CTRF report, whose summary counts flaky tests as failed', {}, [
      'The report\'s summary disagrees with its tests (passed: summary 7, tests 9; failed: summary 7, tests 5); the tests were counted.']],
    ['a summary that agrees', { tests: 20, passed: 9, failed: 5, pending: 0, skipped: 6, other: 0 }, []],
    ['a summary without counts', { start: 1, stop: 2 }, []],
    ['a summary that counts some', { tests: 21 }, ['The report\'s summary disagrees with its tests (tests: summary 21, tests 20); the tests were counted.']],
  ])('says when the summary disagrees with the tests: %s', (_case, summary, warnings) => {
    const doc = JSON.parse(reviewed('pw-real-ctrf.json'))
    if (Object.keys(summary).length) doc.results.summary = summary
    expect(parseCtrf(JSON.stringify(doc)).warnings).toEqual(warnings)
  })

  it('notes a duration it cannot take once per test, not once per use', () => {
    const r = parseReport(reviewed('ctrf-negdur.json'))
    expect([r.results[0]!.durationMs, r.results[0]!.attempts[0]!.durationMs]).toEqual([null, null])
    expect(r.dropped).toEqual([{ item: 'a duration', reason: 'a duration that is not a number of 0 to 24 days (-5) was treated as absent' }])
  })
})

describe('flaky and retries', () => {
  it('counts flaky only for passed tests with flaky: true', () => {
    expect(only({ status: 'passed', flaky: true }).flaky).toBe(true)
    expect(only({ status: 'failed', flaky: true }).flaky).toBe(false)
    expect(only({ status: 'passed', flaky: false, retries: 3 }).flaky).toBe(false)
  })

  it('puts retryAttempts before the final attempt, sorted by attempt number', () => {
    const r = only({
      status: 'failed', message: 'final boom', trace: 'at x', retries: 2,
      retryAttempts: [{ attempt: 2, status: 'failed', duration: 20, message: 'second' }, { attempt: 1, status: 'failed', duration: 10, message: 'first' }],
    })
    expect(r.attempts.map(a => [a.status, a.errorMessage, a.durationMs])).toEqual([['failed', 'first', 10], ['failed', 'second', 20], ['failed', 'final boom', 10]])
    expect(r.errorMessage).toBe('final boom')
  })

  it('recognises a retryAttempts list that already ends with the final run (as the spec examples write it)', () => {
    const r = only({
      status: 'passed', flaky: true, retries: 2, duration: 300,
      retryAttempts: [{ attempt: 1, status: 'failed', duration: 120, message: 'Connection timeout' }, { attempt: 2, status: 'failed', duration: 130, message: 'Connection timeout' }, { attempt: 3, status: 'passed', duration: 140 }],
    })
    expect(r.attempts.map(a => [a.status, a.durationMs])).toEqual([['failed', 120], ['failed', 130], ['passed', 140]])
    expect(r.errorMessage).toBe('Connection timeout') // the last failed try's
  })

  it('synthesises `retries` failed attempts (no error) when there are no retryAttempts, only for a flaky test', () => {
    expect(only({ status: 'passed', flaky: true, retries: 2 }).attempts.map(a => [a.status, a.errorMessage])).toEqual([['failed', null], ['failed', null], ['passed', null]])
    expect(only({ status: 'passed', flaky: false, retries: 3 }).attempts).toHaveLength(1)
    expect(only({ status: 'failed', retries: 2 }).attempts).toHaveLength(1)
  })
})

describe('details', () => {
  it('maps message, trace, output, steps, attachments, tags, labels, file and line', () => {
    const r = only({
      status: 'failed', message: 'Element not found', trace: 'Error: Element not found\n    at x', stdout: ['a', 'b'], stderr: ['c'],
      filePath: 'tests/admin.test.js', line: 42, tags: ['regression', 'regression', 'ui'], labels: { priority: 'P3', severity: 2 },
      steps: [{ name: 'Navigate', status: 'passed' }, { name: 'Wait', status: 'failed' }],
      attachments: [{ name: 'shot.png', contentType: 'image/png', path: '/a/shot.png' }], screenshot: 'iVBORw0KGgo=',
    })
    expect(r).toMatchObject({
      errorMessage: 'Element not found', errorStack: 'Error: Element not found\n    at x', stdout: 'a\nb', stderr: 'c',
      file: 'tests/admin.test.js', line: 42, tags: ['regression', 'ui'], properties: { priority: 'P3', severity: '2' },
      steps: [{ title: 'Navigate', status: 'passed', durationMs: null, error: null }, { title: 'Wait', status: 'failed', durationMs: null, error: null }],
      attachments: [{ name: 'shot.png', contentType: 'image/png', path: '/a/shot.png' }],
    })
    expect(JSON.stringify(r)).not.toContain('iVBORw0KGgo')
  })

  it.each([
    ['an array', { suite: ['Admin', 'Dashboard'] }, ['Admin', 'Dashboard']],
    ['a " > " string whose first part is the file', { suite: 'login.test.ts > profile', filePath: 'tests/login.test.ts' }, ['profile']],
    ['a string ending with the test name', { suite: 'read-reports > readSingleReport > t' }, ['read-reports', 'readSingleReport']],
    ['a string equal to a full-path name (vitest reporter)', { name: 'a > b > does x', suite: 'a > b > does x' }, ['a', 'b']],
    ['Playwright\'s project > file > describe', { suite: 'chromium > death/10.spec.ts > 10. Correct', filePath: '/home/u/e2e/death/10.spec.ts' }, ['chromium', '10. Correct']],
    ['absent', {}, []],
  ])('suitePath from %s', (_n, fields, path) => {
    expect(only({ status: 'passed', ...fields }).suitePath).toEqual(path)
  })

  it.each([
    ['parameters, keys sorted', { parameters: { userRole: 'admin', environment: 'staging' } }, 'environment=staging,userRole=admin'],
    ['non-string parameter values', { parameters: { n: 3, on: true } }, 'n=3,on=true'],
    ['browser alone', { browser: 'firefox 120' }, 'firefox 120'],
    ['browser and parameters', { browser: 'chromium', parameters: { a: '1' } }, 'chromium a=1'],
    ['neither', {}, null],
  ])('variant from %s', (_n, fields, variant) => {
    expect(only({ status: 'passed', ...fields }).variant).toBe(variant)
  })

  it('reads epoch seconds as well as milliseconds', () => {
    expect(only({ status: 'passed', start: 1742242312 }).attempts[0]!.startedAt).toBe('2025-03-17T20:11:52.000Z')
    expect(only({ status: 'passed', start: 1742242312000 }).attempts[0]!.startedAt).toBe('2025-03-17T20:11:52.000Z')
  })
})

describe('run', () => {
  it('reads tool, timing and environment metadata', () => {
    const r = parseCtrf(ctrf([], {
      environment: { branchName: 'feature/x', commit: 'A1B2C3D4E5F6', buildUrl: 'https://ci/1', testEnvironment: 'staging', appName: 'app' },
    }))
    expect([r.tool, r.startedAt, r.durationMs]).toEqual(['jest 29.7.0', '2024-08-01T11:29:43.500Z', 6500])
    expect(r.metadata).toEqual({ branch: 'feature/x', commit: 'a1b2c3d4e5f6', buildUrl: 'https://ci/1', environment: 'staging' })
  })

  it('ignores a commit that is not a hash, and says so', () => {
    const r = parseCtrf(ctrf([], { environment: { commit: 'latest' } }))
    expect(r.metadata).toEqual({})
    expect(r.warnings).toEqual([expect.stringContaining('"latest" is not a commit hash')])
  })

  it('refuses JSON without results.tests', () => {
    expect(parseError(() => parseCtrf('{"results": {"summary": {}}}')).message).toBe('This JSON is not a CTRF report: it has no "results.tests" array.')
    expect(parseError(() => parseCtrf('{"suites": []}')).message).toBe('This JSON is not a CTRF report: it has no "results.tests" array (no top-level "results" object).')
  })
})

describe('corpus examples', () => {
  it('comprehensive.json: retries, flaky, parameters, environment', () => {
    const r = parseCtrf(corpusText('ctrf/ctrf__comprehensive.json'))
    const checkout = r.results.find(x => x.title === 'user can checkout')!
    expect(checkout.flaky).toBe(true)
    expect(checkout.attempts.map(a => a.status)).toEqual(['failed', 'passed'])
    expect(checkout.errorMessage).toBe('Payment gateway timeout')
    expect(r.metadata.branch).toBe('feature/new-dashboard')
  })

  it('ai-test-reporter: the retries=3/flaky=false test is passed, not flaky, one attempt', () => {
    const r = parseCtrf(corpusText('ctrf/ai-test-reporter__ctrf-report.json'))
    const t = r.results.find(x => x.title === 'should allow user to change password')!
    expect([t.status, t.flaky, t.attempts.length]).toEqual(['passed', false, 1])
  })
})
