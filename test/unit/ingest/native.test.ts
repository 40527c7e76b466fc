import { describe, expect, it } from 'vitest'
import { parseReport } from '../../../server/ingest'
import { parseNative } from '../../../server/ingest/native'
import { corpusText, fixture, parseError } from './helpers'

describe('round trip: any parsed report written as Proofdeck JSON reads back identical', () => {
  it.each([
    ['junit', () => parseReport(fixture('surefire-reruns.xml'))],
    ['junit with properties and run errors', () => parseReport(fixture('nested-suites.xml'))],
    ['playwright', () => parseReport(corpusText('playwright/playwright-report-summary__report-valid.json'))],
    ['playwright with steps', () => parseReport(corpusText('playwright/EpiTrello2025__results.json'))],
    ['ctrf', () => parseReport(corpusText('ctrf/ctrf__comprehensive.json'))],
  ])('%s', (_name, make) => {
    // what the parse noted on the way (a duration written as "<<computed>>") is the receipt's, not the report's
    const { dropped: _, ...original } = make()
    const text = JSON.stringify({ ...original, format: 'proofdeck', version: 1 })
    const back = parseNative(text)
    expect(back).toEqual({ ...original, format: 'proofdeck', warnings: [] })
    expect(parseReport(text)).toEqual(back) // detected as proofdeck too
  })
})

describe('defaults', () => {
  it('needs only title and status per result', () => {
    const r = parseNative(JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'failed', errorMessage: 'boom', durationMs: 12 }] }))
    expect(r).toEqual({
      format: 'proofdeck', tool: null, startedAt: null, durationMs: null, errors: [], stdout: null, stderr: null, metadata: {}, warnings: [],
      results: [{
        title: 't', status: 'failed', suitePath: [], file: null, line: null, variant: null, flaky: false, durationMs: 12,
        attempts: [{ status: 'failed', durationMs: 12, errorMessage: 'boom', errorStack: null, startedAt: null, stdout: null, stderr: null }],
        errorMessage: 'boom', errorStack: null, stdout: null, stderr: null, steps: [], annotations: [], attachments: [], tags: [], properties: {},
      }],
    })
  })

  it('normalises dates given as epoch milliseconds', () => {
    expect(parseNative(JSON.stringify({ format: 'proofdeck', version: 1, startedAt: 1718780293557, results: [] })).startedAt).toBe('2024-06-19T06:58:13.557Z')
  })

  it('drops flaky on a result that did not pass, and aligns the last attempt with the result, saying so', () => {
    const r = parseNative(JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'failed', flaky: true, attempts: [{ status: 'passed' }] }] }))
    expect(r.results[0]!.flaky).toBe(false)
    expect(r.results[0]!.attempts[0]!.status).toBe('failed')
    expect(r.warnings).toHaveLength(2)
  })

  it('caps long text like the other formats', () => {
    const r = parseNative(JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed', stdout: 'x'.repeat(100_000) }] }))
    expect(Buffer.byteLength(r.results[0]!.stdout!)).toBeLessThanOrEqual(64 * 1024)
  })
})

describe('refusals', () => {
  it.each([
    ['another version', { format: 'proofdeck', version: 2, results: [] }, /^This Proofdeck JSON report has version 2; this server reads version 1\.$/],
    ['no results', { format: 'proofdeck', version: 1 }, /^This Proofdeck JSON report is invalid at results: /],
    ['an unknown status', { format: 'proofdeck', version: 1, results: [{ title: 't', status: 'green' }] }, /^This Proofdeck JSON report is invalid at results\.0\.status: /],
    ['an empty title', { format: 'proofdeck', version: 1, results: [{ title: '', status: 'passed' }] }, /^This Proofdeck JSON report is invalid at results\.0\.title: /],
    ['a bad date', { format: 'proofdeck', version: 1, startedAt: 'yesterday', results: [] }, /^This Proofdeck JSON report is invalid at startedAt: expected an ISO 8601 date or epoch milliseconds\.$/],
    ['a negative duration', { format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed', durationMs: -1 }] }, /at results\.0\.durationMs: /],
  ])('%s', (_name, doc, message) => {
    expect(parseError(() => parseNative(JSON.stringify(doc))).message).toMatch(message)
  })
})
