import type { ReportFormat, RunStatus } from '../constants'

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
  url: string
  project: string
  status: RunStatus
  branch: string | null
  commit: string | null
  runKey: string
  counts: RunCounts
  format: ReportFormat
  files: ReceiptFile[]
  merged: {
    /** Uploads (files) that make up the run so far. */
    shards: number
    /** Tests that appeared more than once in this upload: kept as attempts of one result. */
    duplicates: { test: string, occurrences: number }[]
  }
  rejected: { item: string, reason: string }[]
  /** Run-level errors the report carries (e.g. Playwright webServer failure). */
  errors: string[]
  newClusters: { id: string, title: string, category: string, occurrences: number }[]
  newlyFlaky: { testCaseId: string, title: string, score: number }[]
  /**
   * The run's failed tests: `blocking` ones fail a `--fail-on-blocking` job, `quarantined` ones (a quarantine that
   * applies at upload) do not. Each list names at most 20 tests, by title; `counts` has them all.
   */
  failures: {
    blocking: { testCaseId: string, title: string }[]
    quarantined: { testCaseId: string, title: string, reason: string }[]
    counts: { blocking: number, quarantined: number }
  }
}
