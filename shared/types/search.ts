import type { ClusterStatus, FailureCategory, FlakyLabel, RunStatus, TestStatus } from '../constants'
import type { RunChange } from '../search'
import type { FlakyTestView, Page, RunSummary } from './reads'

/** A test found by search across history, with its latest result (on the searched branch when one is given). */
export interface SearchTestHit extends Pick<FlakyTestView, 'testCaseId' | 'project' | 'title' | 'suitePath' | 'file' | 'variant'> {
  /** `name`: the title, suite or file holds the text; `error`: only the error text of one of its failure clusters does. */
  matchedIn: 'name' | 'error'
  flakyLabel: FlakyLabel
  latest: { status: TestStatus, flaky: boolean, runId: string, branch: string | null, startedAt: string } | null
}

/** A failure cluster whose error text (title, type, sample message, location, stack head) holds the searched text. */
export interface SearchClusterHit {
  clusterId: string
  project: string
  title: string
  errorType: string
  category: FailureCategory
  status: ClusterStatus
  occurrences: number
  affectedTests: number
  lastSeenAt: string
  lastSeenRunId: string | null
  /** The element a locator's failure waited for: two clusters with one title differ by it. */
  locator: string | null
  /** Where it failed (`cart.spec.ts:12`): what tells apart two clusters of one values-only assertion. */
  location: string | null
}

/** A run whose number (`#1234`) the search text is, in one of the projects in scope. */
export interface SearchRunHit {
  runId: string
  project: string
  number: number
  branch: string | null
  status: RunStatus
  startedAt: string
}

export interface SearchResults {
  /** Runs with the number the text names (`#1234` or `1234`), newest first; empty for any other text and for a next page. */
  runs: SearchRunHit[]
  tests: Page<SearchTestHit>
  clusters: Page<SearchClusterHit>
}

/** One test in a run compare: its result in the run (`status`) and in the run it is compared with (`baseStatus`). */
export interface ComparedTest extends Pick<FlakyTestView, 'testCaseId' | 'title' | 'suitePath' | 'file' | 'variant'> {
  status: TestStatus | null
  flaky: boolean
  baseStatus: TestStatus | null
  durationMs: number | null
  baseDurationMs: number | null
  errorMessage: string | null
  errorTruncated?: true
}

/** Two runs of a project compared, test by test: each kind of change with its total and its first tests. */
export interface RunComparison {
  run: RunSummary
  /** Null when there is nothing to compare with (the project's first run). */
  base: RunSummary | null
  /** How the base was chosen: the branch's previous run, the default branch's latest, or the one asked for. */
  baseReason: 'previous' | 'default_branch' | 'chosen' | null
  changes: Record<RunChange, { total: number, tests: ComparedTest[] }>
}
