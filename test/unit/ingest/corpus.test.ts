import { describe, expect, it } from 'vitest'
import { parseReport } from '../../../server/ingest'
import { testIdentity } from '../../../server/ingest/merge'
import { packBatch, unpackBatch } from '../../../server/ingest/packed'
import { corpusText, counts, expectInvariants, expected, parseError } from './helpers'

/** What each malformed file must be refused with: the problem named, and where when it is known. */
const REFUSALS: Record<string, { message: RegExp, line?: number, column?: number }> = {
  'junit/action-junit-report__expected.xml': { message: /^The XML is not well-formed: an attribute value contains a raw "<" at line 9, column 59 /, line: 9, column: 59 },
  'junit/publish-unit-test-result-action__corrupt-xml.xml': { message: /^The XML is not well-formed: unclosed tag <skipped> at line 11, column 21 .*truncated/, line: 11, column: 21 },
  'junit/publish-unit-test-result-action__empty.xml': { message: /^The file is empty \(0 bytes\)\.$/ },
  'junit/publish-unit-test-result-action__non-junit.xml': { message: /^This XML is not a JUnit report: the root element is <suites>, expected <testsuites> or <testsuite>\.$/ },
  'playwright/playwright-report-summary__report-invalid.json': { message: /^This JSON is not a Playwright report: it has no top-level "suites" array/ },
}

describe('corpus: every file gives exactly its expected counts, or is refused with a sentence', () => {
  it('lists every malformed file of expected.json here', () => {
    expect(expected.filter(e => e.malformed).map(e => e.file).sort()).toEqual(Object.keys(REFUSALS).sort())
    expect(expected).toHaveLength(70)
  })

  it.each(expected.map(e => [e.file, e] as const))('%s', (file, e) => {
    const text = corpusText(file)
    if (e.malformed) {
      const refusal = REFUSALS[file]!
      const err = parseError(() => parseReport(text))
      expect(err.message).toMatch(refusal.message)
      if (refusal.line) expect({ line: err.line, column: err.column }).toEqual({ line: refusal.line, column: refusal.column })
      // told the format explicitly, it is refused just the same
      parseError(() => parseReport(text, e.format))
      return
    }
    const report = parseReport(text)
    expect(report.format).toBe(e.format)
    const { tests, passed, failed, errored, skipped, flaky } = e
    expect(counts(report)).toEqual({ tests, passed, failed, errored, skipped, flaky })
    expectInvariants(report)
    // no file of the corpus counts failures none of its testcases holds (gotestsum's on Go before 1.24 would)
    expect(report.errors.filter(e => e.message.startsWith('The report counts '))).toEqual([])
    expect(parseReport(text, e.format).results).toHaveLength(e.tests) // same answer when the format is given
    // packed for the store (server/ingest/packed.ts), the named results come back as they were
    const batch = packBatch(report.results)
    const named = report.results.filter(r => r.title.trim())
    expect(unpackBatch(batch)).toEqual(named)
    expect(unpackBatch(packBatch(report.results, false))).toEqual(named)
    expect(batch.identities).toEqual(named.map(testIdentity))
    expect(batch.nameless).toEqual(report.results.filter(r => !r.title.trim()).map(r => r.suitePath))
  })
})

describe('a packed batch carries only what its results hold', () => {
  const junit = parseReport(`<testsuite name="s"><testcase classname="c" name="a" time="0.1"/>
    <testcase classname="c" name="b" time="0.2"><failure message="m">stack</failure></testcase></testsuite>`).results
  const playwright = parseReport(corpusText(expected.find(e => e.format === 'playwright' && !e.malformed && e.tests > 0)!.file)).results

  it('leaves out empty fields and the one try a JUnit result is, and gives each result its own lists back', () => {
    const json = new TextDecoder().decode(packBatch(junit, false).packed)
    for (const empty of ['"steps":[]', '"properties":{}', '"variant":null', '"flaky":false', '"attempts"']) expect(json).not.toContain(empty)
    const [a, b] = unpackBatch(packBatch(junit, false))
    expect([a, b]).toEqual(junit)
    a!.tags.push('x')
    a!.attempts[0]!.status = 'skipped'
    expect([b!.tags, b!.attempts]).toEqual([[], junit[1]!.attempts])
  })

  it('keeps the optional fields a result has: a cut title\'s hash, a repetition', () => {
    const told = [{ ...junit[0]!, titleHash: 'abc', repeat: 2 }, { ...junit[1]!, repeat: 1 }]
    expect(unpackBatch(packBatch(told, false))).toStrictEqual(told)
  })

  it('keeps attempts that say more than the result: a start time, several tries', () => {
    const told = playwright.filter(r => r.attempts.length > 1 || r.attempts[0]!.startedAt !== null)
    expect(told.length).toBeGreaterThan(0)
    expect(unpackBatch(packBatch(told, false))).toEqual(told)
    expect(new TextDecoder().decode(packBatch(told, false).packed)).toContain('"attempts"')
  })
})
