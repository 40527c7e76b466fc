import type { QuarantineView } from './quarantine'
import type { ClusterStatus, FailureCategory, FlakyLabel, ReportFormat, RunStatus, TestStatus } from '../constants'
import type { RunCounts, UploadOutageFacts } from './ingest'
import type { ProjectSummary } from './projects'

/** Wire shapes of the read API (dashboard routes and MCP tools). Dates are ISO strings. */

export interface Page<T> {
  items: T[]
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
}

/** A page of a project's runs; a filtered list says how many runs match the filters. */
export interface RunsPage extends Page<RunSummary> {
  /** Runs matching the filters, counted up to 1,000 (then `matchingCapped`); absent unfiltered (the project's runCount). */
  matching?: number
  matchingCapped?: true
}

export interface RunSummary {
  id: string
  /** The run's number in its project, shown as #1234. */
  number: number
  project: string
  status: RunStatus
  branch: string | null
  commit: string | null
  commitMessage: string | null
  buildUrl: string | null
  environment: string | null
  /** The CI job its uploads name, when they all name the same one (a run of several jobs, or of none, has null). */
  job: string | null
  format: ReportFormat
  startedAt: string
  durationMs: number | null
  counts: RunCounts
  infra: boolean
}

/** The runs of one UTC day on one branch, summed: what the trend charts draw. */
export interface RunTrendPoint {
  day: string
  branch: string | null
  runs: number
  passed: number
  /** Tests that ran (skipped ones left out): the pass rate's denominator. */
  executed: number
  /** Mean duration of the day's runs that report one. */
  durationMs: number | null
}

export interface RunTrends {
  /** Start of the window (UTC midnight), ISO. */
  since: string
  days: number
  points: RunTrendPoint[]
}

/** A project with its health, for the overview: one read instead of a detail and a trend request per project. */
export interface ProjectOverview extends ProjectSummary {
  flakyTests: number
  /** Live clusters still open, under investigation or regressed. */
  openClusters: number
  /**
   * Share of executed tests that passed over the last 30 UTC days (today included), on the default branch when it
   * ran there in that window, else on every branch; null when nothing ran.
   */
  passRate: number | null
  /** The branch the pass rate counts: the default branch, or null when it did not run in the window (every branch). */
  passRateBranch: string | null
  /** The same per UTC day, oldest first, one value per day (null on days without runs): the overview's sparkline. */
  passRates: (number | null)[]
}

export interface ProjectDetail extends ProjectOverview {
  recentRuns: RunSummary[]
}

export interface AttemptView {
  attempt: number
  status: TestStatus
  durationMs: number | null
  errorMessage: string | null
  /** Set when errorMessage was clipped; the test case carries the whole error. */
  errorTruncated?: true
}

export interface ResultView {
  id: string
  testCaseId: string
  title: string
  suitePath: string[]
  file: string | null
  variant: string | null
  status: TestStatus
  flaky: boolean
  attempts: number
  durationMs: number | null
  errorMessage: string | null
  /** Set when errorMessage was clipped (ending in "…"); the test case carries the whole error. */
  errorTruncated?: true
  clusterId: string | null
  /** The test's owners from the project's CODEOWNERS (lists of failures). */
  owners?: string[]
  /** Failing results only: the test was already failing on the default branch before this run (run-results.ts alreadyFailingOf). */
  knownFailure?: boolean
  /** A quarantine applies to the test now (services/quarantine.ts): its failures do not block a run. */
  quarantined?: true
  /** Skipped results: why, as the report said (JUnit's <skipped message>, a @Disabled reason); absent when it said nothing. */
  skipReason?: string
  /**
   * Its failures were an outage of the shard or job that uploaded them (test_results.infra), though its run is not one:
   * left out of flakiness and typical errors; still counted as failed or passed on retry. A run's rows only.
   */
  outage?: true
  attemptDetails?: AttemptView[]
}

/** A failing result of a run, as its failure group lists it. */
export interface FailureGroupTest {
  resultId: string
  testCaseId: string
  title: string
  suitePath: string[]
  variant: string | null
  /** The test was already failing on the default branch before this run (run-results.ts alreadyFailingOf; false for a pass on retry). */
  knownFailure: boolean
  /** Its failures were an outage of the shard or job that uploaded them (ResultView.outage). */
  outage?: true
  /** Passed on retry: this cause is the error of its failed attempt. */
  flaky?: true
  /** A quarantine applies to the test now: its failure does not block a run. */
  quarantined?: true
}

/** The failures of one run that share a cause (a cluster; clusterId null for failures without one). */
export interface FailureGroupView {
  clusterId: string | null
  title: string | null
  category: FailureCategory | null
  failures: number
  /** Failures of the group not already failing on the default branch before this run (`knownFailure`). */
  newFailures: number
  /** Tests of this run that passed on retry after failing with this cause. */
  flaky: number
  /** Of failures and flaky, the results that were an outage of the shard or job that uploaded them (ResultView.outage). */
  outage: number
  /** The cluster's source location (file:line), when its stack names one. */
  location: string | null
  /** Since when the cause exists: the cluster's first run and when it was seen there. */
  firstSeenRunId: string | null
  firstSeenAt: string | null
  /** The cause was first seen in this run. */
  newCause: boolean
  /** First line of the cluster's latest diagnosis. */
  diagnosis: string | null
  /** The cluster's triage now (someone investigating, resolved, ignored) and its note: null without a cluster. */
  status: ClusterStatus | null
  statusNote: string | null
  /** The first tests of the group, new failures first, passes on retry last, each by name (at most 8 of failures + flaky). */
  tests: FailureGroupTest[]
}

/** The project's repository, for commit and file:line links (shared/repo-links.ts); null without a repository URL. */
export interface RepositoryRef {
  url: string
  defaultBranch: string
}

export interface RunDetail extends RunSummary {
  repository: RepositoryRef | null
  errors: string[]
  /** Failures of this run grouped by cluster, biggest first: "3 failures share one cause". */
  failureGroups: FailureGroupView[]
  /**
   * Failures new and already failing on the default branch before this run (its last result there failed, or it was
   * labelled flaky there), and that branch; null when the default branch has no run before this one.
   */
  novelty: { new: number, known: number, defaultBranch: string } | null
  /**
   * The run this one is compared with by default (get_run's compareTo "previous", the compare page): the previous run of
   * its branch, CI job and environment (`previous`), else, for its first there, the default branch's latest of its job
   * and environment before it (`default_branch`); runs that stored no test are passed over.
   */
  previousRunId: string | null
  previousRunReason: 'previous' | 'default_branch' | null
  /** The receipt of each uploaded file (shards and retries of one run), oldest first; `upload` says which upload brought it. */
  uploads: UploadView[]
  /** The shards the run's uploads declared and which are in (as the receipt's); null when none declared one. */
  shards: ShardsIn | null
  results: Page<ResultView>
}

export interface UploadView {
  /** The upload (one request) that brought the file: the files of one upload share it. */
  upload: string
  fileName: string
  format: string
  results: number
  bytes: number
  uploadedAt: string
  /** The shard its upload said it was (`2/4`; `?shard=`); null when it said none. */
  shard?: string | null
  /** The CI job its upload said it came from (`?job=`); null when it said none. */
  job?: string | null
  /** Tests the file reported more than once, merged into one result each. */
  duplicates: number
  /** Items of the file that could not be read, each skipped with its reason. */
  rejected: number
  newClusters: number
  newlyFlaky: number
  /**
   * Its upload was an outage by itself (a shard whose database died: the receipt's `outages`), given once on its first
   * file; absent when it was not.
   */
  outage?: UploadOutageFacts
}

export interface FailedResultView extends ResultView {
  runId: string
  branch: string | null
  commit: string | null
  startedAt: string
}

/** A run of a test's history as "failing since" and "last passed" point at it. */
export interface RunRefView {
  runId: string
  commit: string | null
  startedAt: string
}

export interface FlakyTestView {
  testCaseId: string
  project: string
  title: string
  suitePath: string[]
  file: string | null
  variant: string | null
  /** `broken`, `flaky`, `stable`, or `new` (fewer than 5 counted results on the branch that matters). */
  label: FlakyLabel
  /** Why the label, one line: "failed the last 7 runs on main since a1b2c3d". */
  reason: string | null
  /** The branch the label was read from: the default branch, else the one with most of the test's results. */
  branch: string | null
  /** Broken tests: the first run of the current failing streak on `branch` (null otherwise). */
  failingSince: RunRefView | null
  /** Broken tests: the last pass on `branch` before that streak (null when it never passed there, or not broken). */
  lastPassed: RunRefView | null
  score: number
  confidence: number
  sample: number
  retryPasses: number
  flips: number
  mixedCommits: number
  /** Share of its latest results (`sample`) that failed; null before any counted. */
  failureRate: number | null
  lastFlakeAt: string | null
  /**
   * When it last failed for good (its run's start). On the test's own read (TestCaseDetail), outside outages, as
   * `failedRuns` counts: null when it failed for good only in outages.
   */
  lastFailureAt: string | null
  /** Set while a quarantine applies: its failures do not block a `--fail-on-blocking` upload. */
  quarantine: QuarantineView | null
  /** From the project's CODEOWNERS by the test's file (the last matching pattern); empty when none matches. */
  owners: string[]
}

/** One result of a test in its history: the run it ran in, on which branch and commit, and when. */
export type TestHistoryEntry = ResultView & { runId: string, branch: string | null, commit: string | null, startedAt: string }

/**
 * A test on one branch against the default branch over the same window (the 30 days up to its newest result on either
 * branch): `branch` when it failed there and passed every time on the default branch, `default` the other way round.
 */
export interface BranchComparison {
  branch: string
  defaultBranch: string
  /** Null when the test never ran on the branch. */
  from: string | null
  to: string | null
  runs: number
  failed: number
  defaultRuns: number
  defaultFailed: number
  failsOnlyOn: 'branch' | 'default' | null
}

/** The test page's history: a page of results, and the branch comparison when a branch other than the default was asked for. */
export type TestHistoryPage = Page<TestHistoryEntry> & { branch: BranchComparison | null }

export interface TestCaseDetail extends FlakyTestView {
  projectId: string
  repository: RepositoryRef | null
  /** Runs it failed in for good, and passed in only on a retry, outages left out (they are `outageRuns`). */
  failedRuns: number
  flakyRuns: number
  /**
   * Runs it failed in (for good or passed on retry) in an outage: an infrastructure run, or an upload (a shard, a job)
   * that was an outage by itself. Left out of `failedRuns` and `flakyRuns`, as flakiness leaves them out.
   */
  outageRuns: number
  evidence: { runId: string, resultId: string, commit: string | null, kind: string, at: string, attempts?: number }[]
  history: TestHistoryEntry[]
  /** Continues `history` through `GET /api/test-cases/{id}/history` (as its first page's nextCursor would); null when no older result. */
  historyNextCursor: string | null
  clusters: { id: string, title: string, category: FailureCategory, status: ClusterStatus, occurrences: number }[]
  /**
   * The test's typical error: the most frequent among its recent failures outside infrastructure runs (the newest of
   * them), with how many of those failures had it and how many recent failures were in infrastructure runs, left out;
   * null when it never failed.
   */
  lastError: {
    resultId: string
    runId: string
    message: string | null
    stack: string | null
    steps: unknown[] | null
    at: string
    occurrences: number
    /** Recent failures looked at (outside infrastructure runs and outages). */
    outOf: number
    /**
     * Recent failures in infrastructure runs or outages of their shard or job, left out of `outOf` (0 when every recent
     * failure was one: then those are looked at, and `outage` says so). `outageRuns` counts these too.
     */
    infraFailures: number
    /**
     * Every recent failure was an outage's (an infrastructure run, or the shard or job that ran it failed by itself:
     * ResultView.outage), so this is the outage's error, not one of the test's own.
     */
    outage?: true
  } | null
}

export interface ClusterSummary {
  id: string
  project: string
  title: string
  errorType: string
  category: FailureCategory
  status: ClusterStatus
  /** Results in the cluster: failures and passes on retry alike. */
  occurrences: number
  /** Of the occurrences, results that passed on retry (a flake's cause); the rest failed. */
  retryPasses: number
  /** Every occurrence passed on retry: a flaky cause, not a failure (never one filed as infrastructure: an outage that went away). */
  flaky: boolean
  affectedTests: number
  branches: string[]
  firstSeenAt: string
  lastSeenAt: string
  lastSeenRunId: string | null
  /** Owners (CODEOWNERS) of the tests it affected: the clusters list only. */
  owners?: string[]
  /** The issue tracked for this cluster (set on the cluster page). */
  issueUrl: string | null
  /** The element a locator's failure waited for: it tells apart two causes with one message (toBeVisible() failed). */
  locator: string | null
  /**
   * Where it failed (file:line of the stack's first frame outside libraries), when the stack names one. It tells apart
   * two causes with one message that a fingerprint keys on the file ("expected 5 to equal 3" in two files).
   */
  location: string | null
}

export interface ClusterDetail extends ClusterSummary {
  repository: RepositoryRef | null
  fingerprint: string
  sampleMessage: string | null
  sampleStack: string | null
  firstSeenRunId: string | null
  statusNote: string | null
  statusChangedAt: string | null
  affected: {
    testCaseId: string
    title: string
    suitePath: string[]
    variant: string | null
    occurrences: number
    lastSeenAt: string
    flakyLabel: FlakyLabel
    flakyScore: number
    /** Broken tests: the first run of their current failing streak (where this failure started for them). */
    failingSince: RunRefView | null
  }[]
  occurrencesByDay: { day: string, count: number }[]
  diagnosis: {
    id: string
    version: number
    engine: string
    category: FailureCategory
    summary: string
    confidence: number
    createdAt: string
  } | null
}
