import type { ReportFormat, TestStatus } from '#shared/constants'

/**
 * The one normalised shape every parser produces. Parsers are pure: text in, this out, or a ReportParseError.
 * Nothing here knows about projects, ids or the database.
 */

export interface ParsedAttempt {
  status: TestStatus
  durationMs: number | null
  errorMessage: string | null
  errorStack: string | null
  /** Playwright/CTRF attempts carry their own start time; JUnit never does. ISO string. */
  startedAt: string | null
  stdout: string | null
  stderr: string | null
}

export interface ParsedStep {
  title: string
  durationMs: number | null
  status: TestStatus
  error: string | null
  steps?: ParsedStep[]
}

export interface ParsedAnnotation {
  type: string
  description: string | null
}

export interface ParsedAttachment {
  name: string
  contentType: string | null
  /** The file as the report names it; the upload carries its bytes under this same name (services/attachments.ts). */
  path: string | null
  /** The try (1-based) that wrote it, where the report says (Playwright); absent for the result as a whole. */
  attempt?: number
}

export interface ParsedResult {
  /** Source file of the test where the report gives it (JUnit `file`, Playwright spec file, CTRF `filePath`). */
  file: string | null
  line: number | null
  /** Enclosing suites outermost first, without the file itself (JUnit: testsuite name(s) + classname; Playwright: describe titles). */
  suitePath: string[]
  title: string
  /** A hash of the whole name when `title` was cut to its cap: names that differ only where they were cut stay two tests. */
  titleHash?: string
  /** Playwright project / browser, or a parameter set; null when the report has no such notion. */
  variant: string | null
  /**
   * Which deliberate repetition of the test this is (Playwright's repeatEach, a suite a report writes again for another
   * project it does not name), absent for the first. Repetitions are not retries of each other (mergeExecutions).
   */
  repeat?: number
  /** Final status: a test that failed and then passed on retry is `passed` with `flaky: true`. */
  status: TestStatus
  flaky: boolean
  durationMs: number | null
  /** Every try in order, the final one last. Always at least one entry. */
  attempts: ParsedAttempt[]
  /** Error of the final failing attempt (or of the last failed attempt of a flaky test). */
  errorMessage: string | null
  errorStack: string | null
  stdout: string | null
  stderr: string | null
  steps: ParsedStep[]
  annotations: ParsedAnnotation[]
  attachments: ParsedAttachment[]
  tags: string[]
  properties: Record<string, string>
}

export interface ParsedRunError {
  message: string
  stack: string | null
}

/** Run metadata a report carries; validated like the upload's own before use (server/services/ingest.ts). */
export interface ReportMetadata {
  branch?: string
  commit?: string
  commitMessage?: string
  buildUrl?: string
  environment?: string
  runKey?: string
  /** `index/total` (Playwright's `config.shard` of a `--shard` run). */
  shard?: string
}

export interface ParsedReport {
  format: ReportFormat
  /** Tool that wrote the report where it says so (e.g. "playwright 1.57.0", "jest-ctrf-json-reporter"). */
  tool: string | null
  startedAt: string | null
  durationMs: number | null
  results: ParsedResult[]
  /** Run-level errors that are not tests (Playwright top-level `errors[]`, a JUnit error outside any testcase). */
  errors: ParsedRunError[]
  /** Suite/run-level output not attached to one test (JUnit suite `system-out`). Capped. */
  stdout: string | null
  stderr: string | null
  /** Run metadata the report itself carries (CTRF environment, our own JSON), used when the upload gives none. */
  metadata: ReportMetadata
  /** Things the parser noticed and handled, said out loud for the receipt (e.g. "3 testcases had no name"). */
  warnings: string[]
  /** Values the parser left out because they cannot be stored (a date after 9999), for the receipt's `rejected`. */
  dropped?: { item: string, reason: string }[]
}

/** A report that cannot be read. `message` is a sentence for a person; line/column where the parser knows them. */
export class ReportParseError extends Error {
  readonly code: string
  readonly line: number | null
  readonly column: number | null

  constructor(message: string, opts: { code?: string, line?: number | null, column?: number | null } = {}) {
    super(message)
    this.name = 'ReportParseError'
    this.code = opts.code ?? 'malformed_report'
    this.line = opts.line ?? null
    this.column = opts.column ?? null
  }
}
