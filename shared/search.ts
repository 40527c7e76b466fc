/** Vocabularies of search across history and run compare (kept out of constants.ts, which every page loads). */
/** Search's status filter: the latest result of a test (failed = failed or errored; flaky = passed on retry). */
export const SEARCH_STATUSES = ['passed', 'failed', 'flaky', 'skipped'] as const
export type SearchStatus = (typeof SEARCH_STATUSES)[number]

/** What changed for a test between two runs (run compare). Slower: ≥ 20% and ≥ 100 ms more than in the other run. */
export const RUN_CHANGES = ['newlyFailing', 'fixed', 'stillFailing', 'added', 'removed', 'slower'] as const
export type RunChange = (typeof RUN_CHANGES)[number]

/** Slower, in run compare and the test explorer's duration regressions: at least this much more, as a ratio and in ms. */
export const SLOWER_RATIO = 1.2
export const SLOWER_MS = 100
/** Timed results each window needs before the explorer compares their p50s: fewer are noise (3 runs of 50–350 ms). */
export const REGRESSION_MIN_TIMED = 5

/** The test explorer's views: every test, the slowest first, or only duration regressions (p50 now vs the window before). */
export const EXPLORER_VIEWS = ['all', 'slowest', 'regressions'] as const
/** Columns the explorer sorts by; `change` is p50 now relative to the window before. */
export const EXPLORER_SORTS = ['title', 'runs', 'failureRate', 'flakiness', 'p50', 'p95', 'change'] as const
export type ExplorerSort = (typeof EXPLORER_SORTS)[number]
/**
 * Columns the flaky tests list sorts by: the score (the default), the share of its latest results that failed, its
 * latest evidence of flakiness (a retry pass, a flip, a commit with both outcomes), or its title.
 */
export const FLAKY_SORTS = ['score', 'failureRate', 'lastFlake', 'title'] as const
export type FlakySort = (typeof FLAKY_SORTS)[number]
/** Failing: failed at least once in the window; passing: never. */
export const EXPLORER_STATUSES = ['failing', 'passing'] as const

/** A run number as typed in search: `#1234`, or digits alone (at most 9: run numbers are integers). */
const RUN_NUMBER = /^#?(\d{1,9})$/
/** The run number a search text names, or null when it is not one. */
export const runNumberOf = (q: string): number | null => {
  const m = RUN_NUMBER.exec(q.trim())
  return m ? Number(m[1]) : null
}

/** `text` as a LIKE pattern takes it literally (backslash escapes): its `%`, `_` and `\\` match themselves. */
export const likeEscaped = (text: string): string => text.replace(/[\\%_]/g, '\\$&')
