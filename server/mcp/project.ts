import { namedApart, testPlace, type NamedTest } from '#shared/test-names'
import type { FailedResultView, Page, ResultView, RunDetail, TestCaseDetail, TestHistoryEntry } from '#shared/types/reads'

/**
 * The MCP projection of the read DTOs: rows an agent can afford. A failed result carries its ids, its test's title,
 * status, and the first line of its error (and the package of a test without a file); the dashboard's suite paths, files
 * and whole errors stay out (get_test_case has them). Fields these functions do not know pass through unchanged.
 */

/** An error as a list row shows it: its first non-blank line, at most this long. */
const ERROR_LINE_CHARS = 200

function firstLine(message: string | null | undefined): string | null {
  const line = message?.split('\n').find(l => l.trim())?.trim()
  if (!line) return null
  return line.length > ERROR_LINE_CHARS ? `${line.slice(0, ERROR_LINE_CHARS - 1)}…` : line
}

/**
 * A test with its `name` after its title where the name people read says more (namedApart: a JVM test with its class,
 * a pytest id decoded, a Go package's build failure with its package), as the REST receipt names it. The title stays as
 * stored: pytest selects a test by its escaped id (`test_greet[M\\xfcller]`), not by the decoded one.
 */
export function named<T extends Pick<NamedTest, 'title'>>(t: T, suitePath: NamedTest['suitePath']): T & { name?: string } {
  const { name } = namedApart({ title: t.title, suitePath })
  if (!name) return t
  return Object.fromEntries(Object.entries(t).flatMap(([k, v]) => k === 'title' ? [[k, v], ['name', name]] : [[k, v]])) as T & { name: string }
}

/** The error a row is about: its own, or for a pass on retry the first failed attempt's. */
const errorOf = (r: Pick<ResultView, 'errorMessage' | 'attemptDetails'>) =>
  firstLine(r.errorMessage ?? r.attemptDetails?.find(a => a.errorMessage)?.errorMessage)

type Row = ResultView & Partial<Pick<FailedResultView, 'runId' | 'branch' | 'commit' | 'startedAt'>>

/**
 * One result as a list row: what get_test_case, get_cluster and get_run take, the test's title and variant, its status,
 * whether it is quarantined and its error's first line; a row of list_failed_cases also says when and on which branch.
 * A test its report names no file for says its package (a JVM class's, a Go test's): five Go packages that did not
 * build are five `[build failed]` rows, told apart by it.
 */
export function resultRow(r: Row): Record<string, unknown> {
  const {
    id: _id, suitePath, file, variant, durationMs: _d, errorMessage: _e, errorTruncated: _et,
    attemptDetails: _a, commit: _c, branch, startedAt, flaky, attempts, ...rest
  } = r
  const pkg = file ? null : testPlace({ title: r.title, suitePath, file })
  return {
    // the variant (a browser, a parameter) stays: without it one test in two browsers reads as the same row twice
    ...named(rest, suitePath), ...(pkg ? { package: pkg } : {}), ...(variant ? { variant } : {}),
    ...(startedAt ? { startedAt, branch } : {}),
    ...(flaky ? { flaky } : {}), ...(attempts > 1 ? { attempts } : {}),
    error: errorOf(r),
  }
}

/** Uploads (report files) get_run lists: a build that sends a file per test class sends hundreds. */
const UPLOADS_LISTED = 10

/**
 * get_run: the summary and the failure groups (without result ids), then the run's first uploads (the rest counted);
 * result rows only when asked for. The failure groups come before the uploads: a Gradle build's 320 file names had
 * filled the answer's budget, and it was cut before the failures.
 */
export function runAnswer(run: RunDetail, withResults: boolean): Record<string, unknown> {
  const { results, failureGroups, uploads, ...summary } = run
  return {
    ...summary,
    failureGroups: failureGroups.map(({ tests, ...g }) => ({
      // a pass on retry is no failure: whether one was already failing does not apply (the REST row says false)
      ...g, tests: tests.map(({ resultId: _, knownFailure, ...t }) => {
        const test = named(t, t.suitePath)
        return t.flaky ? test : { ...test, knownFailure }
      }),
      ...(g.failures + g.flaky > tests.length ? { testsNotListed: g.failures + g.flaky - tests.length } : {}),
    })),
    uploads: uploads.slice(0, UPLOADS_LISTED),
    ...(uploads.length > UPLOADS_LISTED ? { uploadsNotListed: uploads.length - UPLOADS_LISTED } : {}),
    ...(withResults ? { results: { ...results, items: results.items.map(resultRow) } } : {}),
  }
}

interface ErrorGroup { message: string, count: number, lastRunId: string, clusterId: string | null }

/**
 * History rows as get_test_case gives them (run, date, branch, status, duration and commit) and their errors listed
 * once per cause (its cluster: messages that differ only in ids, ports or timings are one), else per message, newest
 * first, with how many of these rows had each.
 */
function historyAnswer(history: TestHistoryEntry[]): { history: Record<string, unknown>[], errors: ErrorGroup[] } {
  const errors = new Map<string, ErrorGroup>()
  for (const h of history) {
    const message = errorOf(h)
    if (!message) continue
    const key = h.clusterId ?? `message ${message}`
    const seen = errors.get(key)
    if (seen) seen.count++
    else errors.set(key, { message, count: 1, lastRunId: h.runId, clusterId: h.clusterId })
  }
  return {
    history: history.map(h => ({
      runId: h.runId, startedAt: h.startedAt, branch: h.branch, status: h.status, durationMs: h.durationMs, commit: h.commit,
      ...(h.flaky ? { flaky: true } : {}), ...(h.attempts > 1 ? { attempts: h.attempts } : {}),
      ...(h.skipReason ? { skipReason: h.skipReason } : {}),
    })),
    errors: [...errors.values()],
  }
}

/** get_test_case: the test with its first history rows; its clusters say how often this test failed in each (`testOccurrences`). */
export function testCaseAnswer(test: TestCaseDetail): Record<string, unknown> {
  const { history, clusters, ...rest } = test
  return {
    ...named(rest, rest.suitePath),
    // a cluster's own `occurrences` (get_cluster, list_clusters) is its total over every test: this one's is named apart
    clusters: clusters.map(({ occurrences, ...c }) => ({ ...c, testOccurrences: occurrences })),
    ...historyAnswer(history),
  }
}

/** get_test_case with historyCursor: the next history rows only (the test itself was in the first answer). */
export function historyPageAnswer(testCaseId: string, page: Page<TestHistoryEntry>): Record<string, unknown> {
  return { testCaseId, ...historyAnswer(page.items), historyNextCursor: page.nextCursor }
}
