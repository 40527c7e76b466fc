/** Vocabularies of search across history and run compare (kept out of constants.ts, which every page loads). */
/** Search's status filter: the latest result of a test (failed = failed or errored; flaky = passed on retry). */
export const SEARCH_STATUSES = ['passed', 'failed', 'flaky', 'skipped'] as const
export type SearchStatus = (typeof SEARCH_STATUSES)[number]

/** What changed for a test between two runs (run compare). Slower: ≥ 20% and ≥ 100 ms more than in the other run. */
export const RUN_CHANGES = ['newlyFailing', 'fixed', 'stillFailing', 'added', 'removed', 'slower'] as const
export type RunChange = (typeof RUN_CHANGES)[number]
