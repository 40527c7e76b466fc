import type { FlakyLabel } from '../constants'
import type { Page } from './reads'

/** One test in the test explorer: its results over the window, durations now and in the window before. */
export interface ExplorerTest {
  testCaseId: string
  title: string
  suitePath: string[]
  file: string | null
  variant: string | null
  owners: string[]
  label: FlakyLabel
  flakyScore: number
  /** Results in the window (skips left out), failed or errored among them, and passes on retry. */
  runs: number
  failed: number
  flaky: number
  failureRate: number
  p50Ms: number | null
  p95Ms: number | null
  /** p50 in the window of the same length just before. */
  previousP50Ms: number | null
  /** p50 now relative to before (0.25 = 25% slower); null without durations in both windows. */
  change: number | null
  /** At least 20% and 100 ms slower at p50 than in the window before. */
  regression: boolean
  /** Pass rate per day of the window, oldest first; null for days it did not run. */
  trend: (number | null)[]
}

/** The window the explorer counted: `days` UTC days up to the project's latest run (null before any run). */
export interface ExplorerWindow {
  from: string
  to: string
  days: number
}

/**
 * One owner's section of a list grouped by owner (`groupBy=owner`): the owner (null: no owner), how many rows of the
 * whole filtered list are theirs, and the first of them; the rest are the list filtered by that owner.
 */
export interface OwnerGroup<T> {
  owner: string | null
  count: number
  items: T[]
}

/** A page of a list, or with `groupBy=owner` its sections per owner (then `items` is empty and `nextCursor` null). */
export type GroupedPage<T> = Page<T> & { groups?: OwnerGroup<T>[] }

export type ExplorerPage = GroupedPage<ExplorerTest> & { window: ExplorerWindow | null }

/** What storing a CODEOWNERS did: its rules, whether it differed from the stored one, and the tests that have owners now. */
export interface CodeownersReceipt {
  project: string
  rules: number
  changed: boolean
  ownedTests: number
  /** Lines not read as GitHub would read them (negation, ranges, an owner that is no owner…): the first 20, in file order. */
  skipped: { line: number, text: string, reason: string }[]
  /** How many lines were skipped in all. */
  skippedCount: number
}
