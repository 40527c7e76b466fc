import { describe, expect, it } from 'vitest'
import { parseReport, streamReport, type ParsedReport, type ParsedResult } from '../../../server/ingest'
import type { ReportFormat } from '#shared/constants'
import { playwrightTopLevel } from '../../../server/ingest/playwright-stream'
import { playwrightReport } from '../../../scripts/lib/synthetic'
import { corpusText, expected } from './helpers'

type Thrown = { name: string, message: string, code?: string, line?: number | null, column?: number | null }
type Outcome = { report: ParsedReport } | { error: Thrown }

/** What a parse gives: the report (results in the order they were handed over), or the error it threw. */
function outcome(parse: (onResult: (r: ParsedResult) => void) => ParsedReport): Outcome {
  const results: ParsedResult[] = []
  try {
    const report = parse(r => results.push(r))
    return { report: { ...report, results: [...report.results, ...results] } }
  }
  catch (err) {
    const { name, message, code, line, column } = err as Error & Thrown
    return { error: { name, message, code, line, column } }
  }
}

/** The streaming read (the parse worker's) gives exactly what the whole-document parse gives, told the format or not. */
function expectSame(text: string) {
  for (const format of [undefined, 'playwright'] as (ReportFormat | undefined)[]) {
    const whole = outcome(() => parseReport(text, format))
    expect(outcome(onResult => streamReport(text, format, onResult))).toStrictEqual(whole)
  }
}

const pwTest = '{"projectName":"chromium","status":"expected","results":[{"status":"passed","duration":5}]}'
const spec = (title: string) => `{"title":"${title}","file":"a.spec.ts","line":3,"tests":[${pwTest}]}`

describe('the streaming Playwright reader', () => {
  it.each(expected.filter(e => e.file.endsWith('.json')).map(e => [e.file] as const))('reads %s as the whole-document parse does', (file) => {
    expectSame(corpusText(file))
    // and it is streamed, not parsed whole (the malformed one is parsed whole for JSON.parse's wording)
    if (file.startsWith('playwright/') && !file.includes('invalid')) expect(playwrightTopLevel(corpusText(file), 'JSON report', true)).not.toBeNull()
  })

  it('reads a generated report as the whole-document parse does (retries, flaky, failures, two projects)', () => {
    expectSame(playwrightReport(400))
    expect(playwrightTopLevel(playwrightReport(400), 'JSON report', true)).not.toBeNull()
  })

  it.each([
    ['keys in any order: specs before the suite title, stats first', `{"stats":{"expected":2},"suites":[{"specs":[${spec('a')}],"suites":[{"specs":[${spec('b')}],"title":"inner"}],"title":"outer","file":"a.spec.ts"}]}`],
    ['a repeated key: the last value counts, as in JSON.parse', `{"suites":[{"title":"x","specs":[${spec('gone')}]}],"suites":[{"title":"y","title":"z","specs":[${spec('a')}],"specs":[${spec('b')}]}]}`],
    ['a last "suites" that is not an array', `{"suites":[{"specs":[${spec('a')}]}],"suites":{}}`],
    ['non-objects among suites and specs, specs that are not an array', `{"suites":[1,null,{"specs":[2,"x",${spec('a')}],"suites":"no"},{"specs":{}}]}`],
    ['escapes in keys and values, a BOM, whitespace everywhere', `\uFEFF \n{ "su\\u0069tes" : [ { "title" : "d\\"q\\u00e9" , "specs" : [ ${spec('a\\nb')} ] } ] , "config":{"version":"1.2"} }\n`],
    ['a start time past year 9999, a note for the receipt', `{"suites":[{"specs":[${spec('a').replace('"duration":5', '"duration":5,"startTime":"+275760-01-01T00:00:00Z"')}]}],"stats":{"startTime":"+020000-01-01T00:00:00.000Z"}}`],
    ['suites nested past the limit', `{"suites":[${'{"title":"s","suites":['.repeat(70)}{"specs":[${spec('a')}]}${']}'.repeat(70)}]}`],
    ['a document nested past the JSON limit', `{"suites":[${'{"suites":['.repeat(200)}${']}'.repeat(200)}]}`],
    ['no suites: the keys are named', '{"config":{},"stats":{},"1":2}'],
    ['a top-level array', `[${spec('a')}]`],
    ['CTRF and our own JSON are read as before', '{"results":{"tool":{"name":"x"},"tests":[{"name":"t","status":"passed","duration":1}]}}'],
    ['not JSON: a trailing comma', `{"suites":[{"specs":[${spec('a')},]}]}`],
    ['not JSON: text after the document', `{"suites":[]} x`],
    ['not JSON: truncated', `{"suites":[{"specs":[${spec('a')}`],
    ['not JSON: a raw control character in a string', `{"suites":[{"title":"a\tb"}]}`],
    ['not JSON: a bad escape, a bad number, a bare word', '{"suites":[{"title":"\\x"}]}'],
    ['not JSON: a leading zero', '{"suites":[],"stats":{"duration":01}}'],
    ['not JSON: a single-quoted string', '{\'suites\':[]}'],
    ['empty and whitespace-only', ' \n '],
  ])('%s', (_name, text) => {
    expectSame(text)
  })
})
