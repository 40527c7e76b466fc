import { describe, expect, it } from 'vitest'
import type { RunCounts } from '#shared/types/ingest'
import { parseReport } from '../../../server/ingest'
import { foldUpload, packBatch } from '../../../server/ingest/packed'
import { reviewed } from './helpers'

/** A report as an upload stores it: parsed, packed, and folded by test identity into one result per test. */
function stored(name: string) {
  const report = parseReport(reviewed(name))
  const { slices, duplicates } = foldUpload([{ name, batches: [packBatch(report.results)] }])
  const results = [...slices(1000)].flat().map(m => m.result)
  const counts = { tests: results.length, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 }
  for (const r of results) {
    counts[r.status]++
    if (r.flaky) counts.flaky++
  }
  return { report, results, counts, duplicates: duplicates.length, variants: [...new Set(results.map(r => r.variant))].sort() }
}

describe('one test run in several configurations is several results, or one that fails: never a flaky pass', () => {
  it.each<[string, RunCounts, (string | null)[], string]>([
    // [real report, stored counts, variants, why]
    ['pw-multiproject-junit.xml', { tests: 4, passed: 3, failed: 1, errored: 0, skipped: 0, flaky: 0 }, ['chromium', 'firefox'],
      'Playwright\'s JUnit reporter writes each project as a suite of its own, the project in `hostname`'],
    ['pw-real-junit.xml', { tests: 20, passed: 7, failed: 5, errored: 2, skipped: 6, flaky: 0 }, ['alpha', 'beta'],
      '20 tests over 2 projects, as its own totals and the JSON report of the same run (7 unexpected) say'],
    ['vitest4-projects-junit.xml', { tests: 2, passed: 1, failed: 1, errored: 0, skipped: 0, flaky: 0 }, [null],
      'vitest 4 does not name the project (hostname is the machine): the file\'s suite written again is a repetition, its failure stands'],
    ['pw-repeat.json', { tests: 1, passed: 0, failed: 1, errored: 0, skipped: 0, flaky: 0 }, [null],
      'repeatEach: a failed repetition fails the test, as Playwright reported it (unexpected: 1)'],
    ['pw-repeat-junit.xml', { tests: 1, passed: 0, failed: 1, errored: 0, skipped: 0, flaky: 0 }, [null],
      'the same repeatEach run in JUnit: the suite written twice'],
    ['pw-repeat-ctrf.json', { tests: 1, passed: 0, failed: 1, errored: 0, skipped: 0, flaky: 0 }, [null],
      'the same run in CTRF, which writes retries inside an entry: a test listed twice ran twice'],
    ['gotestsum-rerun.xml', { tests: 3, passed: 2, failed: 1, errored: 0, skipped: 0, flaky: 1 }, [null],
      'gotestsum --rerun-fails writes its reruns in the same suite: retries, so a pass after a failure is a flaky pass'],
  ])('%s', (name, counts, variants) => {
    const s = stored(name)
    expect(s.counts).toEqual(counts)
    expect(s.variants).toEqual(variants)
  })

  it('lists the tests a report ran more than once among the duplicates, and a failed repetition keeps its error', () => {
    const s = stored('vitest4-projects-junit.xml')
    expect(s.duplicates).toBe(2)
    const env = s.results.find(r => r.title === 'parser > handles env')!
    expect(env.attempts.map(a => a.status)).toEqual(['failed', 'passed'])
    expect(env.errorMessage).toMatch(/^broken on env-a/)
  })

  it('marks the repetitions the reports themselves give, and nothing else', () => {
    const repeats = (name: string) => parseReport(reviewed(name)).results.map(r => r.repeat ?? 0)
    expect(repeats('pw-repeat.json')).toEqual([0, 1])
    expect(repeats('pw-repeat-junit.xml')).toEqual([0, 1])
    expect(repeats('vitest4-projects-junit.xml')).toEqual([0, 0, 1, 1])
    expect(repeats('pw-multiproject-junit.xml')).toEqual([0, 0, 0, 0]) // the projects are variants
    expect(repeats('gotestsum-rerun.xml')).toEqual([0, 0, 0, 0, 0])
  })
})
