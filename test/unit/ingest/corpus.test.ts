import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseReport, ReportParseError } from '../../../server/ingest'

const CORPUS = resolve(__dirname, '../../../../shared/corpus')
interface Expected { file: string, format: string, tests: number, passed: number, failed: number, errored: number, skipped: number, flaky: number, malformed: boolean }
const expected: Expected[] = JSON.parse(readFileSync(`${CORPUS}/expected.json`, 'utf8'))

function counts(text: string) {
  const report = parseReport(text)
  const c = { format: report.format as string, tests: report.results.length, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 }
  for (const r of report.results) {
    c[r.status]++
    if (r.flaky) c.flaky++
  }
  return c
}

describe('corpus: every real report gives its expected counts', () => {
  it.each(expected.filter(e => !e.malformed).map(e => [e.file, e] as const))('%s', (file, e) => {
    const text = readFileSync(`${CORPUS}/${file}`, 'utf8')
    expect(counts(text)).toEqual({ format: e.format, tests: e.tests, passed: e.passed, failed: e.failed, errored: e.errored, skipped: e.skipped, flaky: e.flaky })
  })
})

describe('corpus: every malformed report is rejected with a sentence', () => {
  it.each(expected.filter(e => e.malformed).map(e => [e.file] as const))('%s', (file) => {
    const text = readFileSync(`${CORPUS}/${file}`, 'utf8')
    let error: unknown
    try {
      parseReport(text)
    }
    catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ReportParseError)
    expect((error as ReportParseError).message).toMatch(/^(The|This) .{20,}\.$/)
  })
})
