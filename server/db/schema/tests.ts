import { sql } from 'drizzle-orm'
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, real, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import type { TestStatus } from '#shared/constants'
import type { FlakyEvidenceItem, RunRef } from '../../analysis/flakiness'
import { flakyLabelEnum, testStatusEnum } from './enums'
import { projects } from './projects'

export type FlakyEvidence = FlakyEvidenceItem

/**
 * The stable identity of a test across runs (project + file + suite path + title + variant, hashed), and the
 * rollup that reads use so they never scan history.
 */
export const testCases = pgTable('test_cases', {
  id: uuid().primaryKey().defaultRandom(),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  identityHash: text().notNull(),
  file: text(),
  suitePath: text().array().notNull(),
  title: text().notNull(),
  variant: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  // rollup, kept current at ingest for tests that failed or flaked (passing results need no write here)
  lastFailureAt: timestamp({ withTimezone: true }),
  failedRuns: integer().notNull().default(0),
  flakyRuns: integer().notNull().default(0),
  /**
   * Of failedRuns and flakyRuns, the results that were an outage's: in an infrastructure run (runs.infra), or marked as
   * one of the upload that ran them (test_results.infra). Kept at ingest (services/outages.ts); the test page and
   * get_test_case count them apart.
   */
  outageFailedRuns: integer().notNull().default(0),
  outageFlakyRuns: integer().notNull().default(0),
  flakyScore: real().notNull().default(0),
  flakyConfidence: real().notNull().default(0),
  flakyLabel: flakyLabelEnum().notNull().default('stable'),
  flakyEvidence: jsonb().$type<FlakyEvidence[]>().notNull().default(sql`'[]'::jsonb`),
  lastFlakeAt: timestamp({ withTimezone: true }),
  /** When the label last became `flaky` (null while it is not), by ingest time; "newly flaky" reads the evidence's run starts instead. */
  flakySince: timestamp({ withTimezone: true }),
  /** When the label last became `broken` (null while it is not), by ingest time: the test.broken webhook reads it. */
  brokenSince: timestamp({ withTimezone: true }),
  /** Results in the flakiness window (infrastructure runs and skips left out) and the evidence counts in it. */
  flakySample: integer().notNull().default(0),
  flakyRetryPasses: integer().notNull().default(0),
  flakyFlips: integer().notNull().default(0),
  flakyMixedCommits: integer().notNull().default(0),
  /** Failed results in the windows its label reads (every branch's, the label branch's): while any, a pass rescores it. */
  flakyWindowFailures: integer().notNull().default(0),
  /** Why the label: one line. Null on rows labelled before reasons existed: start-up relabels those. */
  flakyReason: text(),
  /** The branch the label was read from (the default branch, else the test's busiest); null for runs without one. */
  flakyBranch: text(),
  /** Broken tests: the first run of the current failing streak on flakyBranch, and the pass before it. */
  failingSince: jsonb().$type<RunRef>(),
  lastPassed: jsonb().$type<RunRef>(),
  /** Owners from the project's CODEOWNERS for this test's file (last matching pattern), set when either changes. */
  owners: text().array().notNull().default(sql`'{}'::text[]`),
}, t => [
  uniqueIndex('test_cases_identity_idx').on(t.projectId, t.identityHash),
  index('test_cases_project_flaky_idx').on(t.projectId, t.flakyScore.desc().nullsFirst(), t.id),
  index('test_cases_flaky_since_idx').on(t.projectId, t.flakySince.desc().nullsFirst()).where(sql`flaky_since is not null`),
  index('test_cases_broken_since_idx').on(t.projectId, t.brokenSince).where(sql`broken_since is not null`),
  // search across history (services/search.ts): trigram index over title, suite path and file (function in the migration)
  index('test_cases_search_idx').using('gin', sql`test_case_search_text(${t.title}, ${t.suitePath}, ${t.file}) gin_trgm_ops`),
])

export interface StepRecord { title: string, durationMs: number | null, status: TestStatus, error: string | null, steps?: StepRecord[] }

/**
 * One test case's outcome in one run. The hottest table: ingest writes tens of thousands of rows per run, so it
 * carries no foreign keys (their checks doubled the insert cost: 10,000 rows 140 ms → 70 ms on Postgres 15 here).
 * Only the ingest transaction writes it, with run and test-case ids it resolved in that same transaction; code that
 * deletes runs, test cases or clusters deletes or detaches their results itself.
 *
 * Partitioned by range of run_started_at, one partition per UTC month plus a default one (migration 0012 and
 * services/partitions.ts; drizzle has no DSL for it): the primary key carries the partition column, and retention
 * drops a whole month once every project's cutoff is past it (docs/scaling.md).
 */
export const testResults = pgTable('test_results', {
  id: uuid().notNull(),
  runId: uuid().notNull(),
  testCaseId: uuid().notNull(),
  /** Denormalised from the run so scope filters and history reads need no join. */
  projectId: uuid().notNull(),
  runStartedAt: timestamp({ withTimezone: true }).notNull(),
  status: testStatusEnum().notNull(),
  flaky: boolean().notNull().default(false),
  durationMs: integer(),
  attemptCount: smallint().notNull().default(1),
  errorMessage: text(),
  errorStack: text(),
  stdout: text(),
  stderr: text(),
  line: integer(),
  steps: jsonb().$type<StepRecord[]>(),
  annotations: jsonb().$type<{ type: string, description: string | null }[]>(),
  attachments: jsonb().$type<{ name: string, contentType: string | null, path: string | null }[]>(),
  tags: text().array(),
  /** The result's properties (JUnit suite and case properties, CTRF labels), stored once in result_properties; null when none. */
  propertiesId: uuid(),
  fingerprint: text(),
  clusterId: uuid(),
  /**
   * A failure already failing on the project's default branch before this run (services/run-results.ts
   * alreadyFailingOf), judged when the upload stored it (migration 0027 judged those stored before), so the receipt, the run page and
   * get_run say the same ever after; false or null for any other result.
   */
  knownFailure: boolean(),
  /**
   * The CI's attempt of the workflow that uploaded this result (GitHub's GITHUB_RUN_ATTEMPT, as the CLI sends it), or null:
   * a later upload of the same attempt that runs the test again is another leg of a matrix, not a retry
   * (services/run-results.ts storeSlice).
   */
  ciAttempt: smallint(),
  /**
   * Its failures are an outage's: every failed attempt it holds came from an upload (a shard, a job) that was an
   * infrastructure failure by itself (isInfrastructureRun on that upload's own results), though its run as a whole may
   * not be one (services/run-results.ts storeResults). Flakiness and typical errors leave it out as they leave out an
   * infrastructure run's results (runs.infra).
   */
  infra: boolean().notNull().default(false),
  /**
   * A failure whose test passed in an earlier upload of its run (a CI job re-run that failed what its first attempt
   * passed, another shard): the run both passed and failed it, mixed outcomes on one commit as a pass on retry is in the
   * other order (server/analysis/flakiness.ts). False for any other result; the run still fails.
   */
  passedEarlier: boolean().notNull().default(false),
}, t => [
  primaryKey({ columns: [t.id, t.runStartedAt] }),
  index('test_results_run_status_idx').on(t.runId, t.status),
  index('test_results_case_started_idx').on(t.testCaseId, t.runStartedAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  // the newest failure of a test (its last error) without walking back through its passes
  index('test_results_case_failed_idx').on(t.testCaseId, t.runStartedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(sql`status in ('failed', 'errored')`),
  index('test_results_project_failed_idx').on(t.projectId, t.runStartedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(sql`status in ('failed', 'errored')`),
  index('test_results_cluster_idx').on(t.clusterId, t.runStartedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(sql`cluster_id is not null`),
  // a cluster's results that passed on retry, counted with every cluster listed (index-only: 399 -> 4 ms for 6 clusters at 10M)
  index('test_results_cluster_flaky_idx').on(t.clusterId).where(sql`cluster_id is not null and flaky`),
  // a run's passes on retry that had a cause, beside its failures (a run's failure groups): without it the planner read
  // every such result of the month through the index above to keep the run's (376 pages for 7 rows on 50k results)
  index('test_results_run_flaky_idx').on(t.runId).where(sql`flaky and cluster_id is not null`),
])

/**
 * Each distinct properties object of a project, stored once and referenced by its results (test_results.properties_id):
 * a JUnit suite's properties (Surefire writes every system property) apply to every testcase of the suite, and were
 * a copy on each result row. Content-addressed: the id is the md5 of the object's jsonb text, so the same object from
 * any upload (and the migration that folded the copies out) is one row. Retention deletes the rows no run points at
 * any more (runs.properties_ids); the rest go with their project.
 */
export const resultProperties = pgTable('result_properties', {
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  id: uuid().notNull(),
  properties: jsonb().$type<Record<string, string>>().notNull(),
}, t => [primaryKey({ columns: [t.projectId, t.id] })])

/**
 * Every try of a result that was tried more than once (retries, Surefire reruns, duplicate identities in one
 * upload). A result with attempt_count = 1 has no rows here: the result itself is its only attempt. No foreign key:
 * one to the partitioned test_results would need run_started_at here too and a check per insert; the code that
 * deletes results deletes their attempts in the same statement or transaction (retention.ts, run-results.ts).
 */
export const testAttempts = pgTable('test_attempts', {
  id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  resultId: uuid().notNull(),
  attempt: integer().notNull(),
  status: testStatusEnum().notNull(),
  durationMs: integer(),
  errorMessage: text(),
  errorStack: text(),
  startedAt: timestamp({ withTimezone: true }),
}, t => [uniqueIndex('test_attempts_result_idx').on(t.resultId, t.attempt)])
