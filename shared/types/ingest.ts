import type { FailureCategory, ReportFormat, RunStatus } from '../constants'

export interface RunCounts {
  tests: number
  passed: number
  failed: number
  errored: number
  skipped: number
  flaky: number
}

/** One file of an upload, as the server saw it. `duplicate`: this exact content was already part of the run. */
export interface ReceiptFile {
  name: string
  format: ReportFormat
  results: number
  status: 'ingested' | 'duplicate'
}

/**
 * What `POST /api/v1/runs` answers (201 for new data, 200 when everything was already there).
 * Counts are those of the whole run as stored, after merging shards.
 */
export interface IngestReceipt {
  runId: string
  /** The run's number in its project (#1234). */
  runNumber: number
  url: string
  project: string
  /** The project's id: a project deleted and made again under its slug is another one, its run numbers anew. */
  projectId: string
  status: RunStatus
  branch: string | null
  commit: string | null
  runKey: string
  counts: RunCounts
  /**
   * Most of the suite failed at once (at least 10 executed tests, the share PROOFDECK_INFRA_FAILURE_SHARE): an outage,
   * not tests; left out of flakiness. Older servers leave it out.
   */
  infrastructure?: boolean
  /**
   * The uploads of the run (a shard, a CI job, a re-run of one) that were an outage by themselves, judged on their own
   * results by the same rule: their failures are left out of flakiness though the run may not be an infrastructure
   * failure. This upload's first (`thisUpload`), then the others oldest first, at most 20; absent when none was (and
   * from older servers).
   */
  outages?: UploadOutage[]
  format: ReportFormat
  files: ReceiptFile[]
  merged: {
    /** Uploads (files) that make up the run so far. */
    shards: number
    /** Tests that appeared more than once in this upload: kept as attempts of one result. */
    duplicates: { test: string, occurrences: number }[]
  }
  /** The shards the run's uploads declared (`shard=2/4`) and which are in; absent when none declared one. */
  shards?: ShardsIn
  rejected: { item: string, reason: string }[]
  /** Run-level errors the report carries (e.g. Playwright webServer failure). */
  errors: string[]
  /** `url` (each item's page) is in every receipt of this version; older servers left it out. */
  newClusters: { id: string, title: string, category: string, occurrences: number, url?: string }[]
  /**
   * Tests whose label became flaky. `title` is the whole label, suites first (`com.acme.OrderTest › refunds() [linux]`), as
   * receipts always said; `name` is how lists name the test (a JVM test with its class, `OrderTest › refunds()`) and
   * `variant` its configuration. Older servers leave `name` and `variant` out.
   */
  newlyFlaky: { testCaseId: string, title: string, name?: string, variant?: string | null, score: number, url?: string }[]
  /**
   * The run's failed tests: `blocking` ones fail a `--fail-on-blocking` job, `quarantined` ones (a quarantine that
   * applies at upload) do not. Each list names at most 20 tests, by title (and `name`, as in failure groups: a JVM
   * test with its class); `counts` has them all.
   */
  failures: {
    blocking: { testCaseId: string, title: string, name?: string, variant: string | null, url?: string }[]
    quarantined: { testCaseId: string, title: string, name?: string, variant: string | null, reason: string, url?: string }[]
    counts: { blocking: number, quarantined: number }
    /**
     * The run's failures among this upload's own tests (a shard's), when it stored anything: what the CLI's
     * --fail-on-blocking judges, so a shard's job fails for its tests, not for another shard's.
     */
    thisUpload?: { blocking: number, quarantined: number }
  }
  /** The run's failures grouped by cause, as the run page shows them, with links: what a CI comment renders. */
  failureGroups: ReceiptFailureGroups
}

/**
 * What an upload that was an outage by itself failed with (UploadOutage's facts): the run page's uploads
 * (`GET /api/runs/{id}` `uploads[].outage`) and get_run carry it.
 */
export type UploadOutageFacts = Pick<UploadOutage, 'executed' | 'failed' | 'cause' | 'causeFailures' | 'error'>

/** An upload of a run that was an outage by itself: most of its tests failed, at least half of them with one cause. */
export interface UploadOutage {
  /** The upload (GET /api/runs/{id} `uploads[].upload`). */
  upload: string
  /** It is the upload this receipt answers (or its retry). */
  thisUpload: boolean
  /** The shard it said it was (`2/4`) and its job, null when not said. */
  shard: string | null
  job: string | null
  /** Its tests that ran (skips left out), and how many of them failed (or passed only on a retry). */
  executed: number
  failed: number
  /**
   * The infrastructure cause most of them failed with, as the diagnosis rules name it (`network`, `process-crash`,
   * `out-of-memory`, `missing-env-var`…), how many failed with it, and the line of its commonest error
   * (`Error: connect ECONNREFUSED 127.0.0.1:5432`).
   */
  cause: string
  causeFailures: number
  error: string
}

/**
 * A sharded run's progress. Each job counts its own shards (uploads that named no job are one job): `expected` adds up
 * each job's largest shard count declared, `received` how many of each job's shards 1…n are in, `missing` the first 20
 * not in yet (empty: all are in), a number for a shard of the uploads that named no job and `e2e 2/3` for a job's.
 */
export interface ShardsIn {
  expected: number
  received: number
  missing: (number | string)[]
  /** Each job's own count, when an upload named its job: the first 20, those with shards missing first. */
  jobs?: JobShards[]
}

/** One job's shards of a run (`job` null: the uploads that named none). */
export interface JobShards {
  job: string | null
  expected: number
  received: number
  missing: number[]
}

/** A failed test as a receipt's failure group lists it. */
export interface ReceiptFailedTest {
  testCaseId: string
  title: string
  /** How lists name it when its title alone does not: a JVM test with its class (`ApplicationTests › contextLoads()`). */
  name?: string
  variant: string | null
  /** The test's page. */
  url: string
  /** A quarantine applies: the failure does not block. */
  quarantined: boolean
  /**
   * The test was already failing on the project's default branch before this run: its last result there before this
   * run failed, or it was labelled flaky there (run-results.ts alreadyFailingOf, the run page's rule too). False: new.
   */
  known: boolean
}

/** The failed tests of a run that share a cause (a cluster; clusterId null for failures without one). */
export interface ReceiptFailureGroup {
  clusterId: string | null
  title: string | null
  category: FailureCategory | null
  /** The cluster's page; null without a cluster. */
  url: string | null
  failures: number
  /** Its tests that passed on a retry in this run (not among `failures`). */
  flaky: number
  /** The cause was first seen in this run. */
  newCause: boolean
  /** The first failed tests of the group (at most 8), new failures first. */
  tests: ReceiptFailedTest[]
  /** Failed tests of the group that `tests` leaves out. */
  more: number
}

export interface ReceiptFailureGroups {
  /** The branch `known` refers to. */
  defaultBranch: string
  /** Failed tests that are not quarantined, new or already failing on the default branch (all of them, not only those listed). */
  novelty: { new: number, known: number }
  /** Biggest group first, at most 20. */
  groups: ReceiptFailureGroup[]
  /** Groups left out after the first 20, and the failures in them. */
  more: { groups: number, failures: number }
}
