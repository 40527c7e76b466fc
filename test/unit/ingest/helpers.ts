import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect } from 'vitest'
import { ReportParseError, type ParsedReport } from '../../../server/ingest'

/** The corpus lives beside the repo (../shared/corpus), in CI too. */
const CORPUS = resolve(__dirname, '../../../../shared/corpus')
const FIXTURES = resolve(__dirname, '../../fixtures/reports')
/** Real reports of frameworks a review fed the server, and its hand-made hostile cases, kept small. */
const REVIEWED = resolve(__dirname, '../../fixtures/ingest')

export interface Expected {
  file: string
  format: 'junit' | 'playwright' | 'ctrf'
  tests: number
  passed: number
  failed: number
  errored: number
  skipped: number
  flaky: number
  malformed: boolean
  bytes: number
}

export const expected: Expected[] = JSON.parse(readFileSync(`${CORPUS}/expected.json`, 'utf8'))
export const corpusText = (file: string) => readFileSync(`${CORPUS}/${file}`, 'utf8')
export const fixture = (name: string) => readFileSync(`${FIXTURES}/${name}`, 'utf8')
export const reviewed = (name: string) => readFileSync(`${REVIEWED}/${name}`, 'utf8')

export function counts(report: ParsedReport) {
  const c = { tests: report.results.length, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 }
  for (const r of report.results) {
    c[r.status]++
    if (r.flaky) c.flaky++
  }
  return c
}

/** Runs `fn`, expecting a ReportParseError, and returns it. */
export function parseError(fn: () => unknown): ReportParseError {
  try {
    fn()
  }
  catch (err) {
    expect(err).toBeInstanceOf(ReportParseError)
    return err as ReportParseError
  }
  throw new Error('expected a ReportParseError, but parsing succeeded')
}

/** The normalised-shape invariants every parser promises. */
export function expectInvariants(report: ParsedReport) {
  for (const r of report.results) {
    expect(r.attempts.length, r.title).toBeGreaterThanOrEqual(1)
    expect(r.attempts[r.attempts.length - 1]!.status, r.title).toBe(r.status)
    if (r.flaky) expect(r.status).toBe('passed')
    for (const t of [r.stdout, r.stderr, ...r.attempts.flatMap(a => [a.stdout, a.stderr])]) {
      if (t != null) expect(Buffer.byteLength(t)).toBeLessThanOrEqual(64 * 1024)
    }
  }
}
