import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import type { IngestReceipt, UploadOutage } from '#shared/types/ingest'
import { reportFormatEnum, runStatusEnum } from './enums'
import { projects } from './projects'

export const runs = pgTable('runs', {
  id: uuid().primaryKey().defaultRandom(),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  /** Uploads carrying the same key (CI shards, retries) merge into this run. Derived from the content when none is given. */
  runKey: text().notNull(),
  /**
   * The human run number in its project (#1234), taken from project_rollups.last_run_number at the end of the upload
   * that creates the run (services/rollups.ts); null only inside that transaction, so no reader sees it null.
   */
  number: integer(),
  branch: text(),
  commitSha: text(),
  commitMessage: text(),
  buildUrl: text(),
  environment: text(),
  /**
   * The CI job its uploads name (run_uploads.job), when they all name the same one: "the run before" a run is its
   * job's (services/runs.ts). Null when none names one or they name several.
   */
  job: text(),
  status: runStatusEnum().notNull(),
  format: reportFormatEnum().notNull(),
  startedAt: timestamp({ withTimezone: true }).notNull(),
  durationMs: integer(),
  total: integer().notNull().default(0),
  passed: integer().notNull().default(0),
  failed: integer().notNull().default(0),
  errored: integer().notNull().default(0),
  skipped: integer().notNull().default(0),
  flaky: integer().notNull().default(0),
  /** Most of the suite failed (see PROOFDECK_INFRA_FAILURE_SHARE): its failures say nothing about single tests. */
  infra: boolean().notNull().default(false),
  /** Run-level errors that are not tests (Playwright top-level errors[], webServer failures). */
  errors: jsonb().$type<{ message: string, stack: string | null }[]>().notNull().default(sql`'[]'::jsonb`),
  /**
   * The result_properties rows the run's results point at, so retention can delete the rows no run points at any more
   * (services/result-properties.ts). Null for a run stored before this was kept: its project's rows are then all kept.
   */
  propertiesIds: uuid().array().default(sql`'{}'::uuid[]`),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [
  uniqueIndex('runs_project_key_idx').on(t.projectId, t.runKey),
  uniqueIndex('runs_project_number_idx').on(t.projectId, t.number),
  index('runs_project_started_idx').on(t.projectId, t.startedAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  index('runs_project_branch_started_idx').on(t.projectId, t.branch, t.startedAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  // "the run before" a run is its job's and environment's (services/runs.ts runBeforeOn): a matrix leg's is found by
  // one probe, and a job or environment new to its branch reads no other's runs
  index('runs_project_branch_env_started_idx').on(t.projectId, t.branch, sql`coalesce(${t.environment}, '')`, sql`coalesce(${t.job}, '')`, t.startedAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  // the runs list by status (failed runs, runs with no tests) and its count of matches walk only those runs: through
  // the project's index, a status no run has read every run of the project (52 ms at 100,000 runs)
  index('runs_project_status_started_idx').on(t.projectId, t.status, t.startedAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
])

/** One uploaded file of a run. The content hash makes a retried upload a no-op and a new shard an addition. */
export const runUploads = pgTable('run_uploads', {
  id: uuid().primaryKey().defaultRandom(),
  runId: uuid().notNull().references(() => runs.id, { onDelete: 'cascade' }),
  /**
   * The upload that brought this file: the files of one request share it (the receipt counts uploads, not files). An
   * instance older than this column (a rolling upgrade) gets one per file, as it counted before.
   */
  uploadId: uuid().notNull().defaultRandom(),
  contentHash: text().notNull(),
  fileName: text().notNull(),
  format: reportFormatEnum().notNull(),
  results: integer().notNull(),
  bytes: integer().notNull(),
  /**
   * The shard this upload is of the run's `shardTotal` (`?shard=2/4`, or Playwright's own `config.shard`): the receipt
   * counts the shards in, so a CI comment does not read green while others are still running. Null when not said.
   */
  shardIndex: smallint(),
  shardTotal: smallint(),
  /**
   * The CI job the upload came from (`?job=e2e`; the CLI's --job, GITHUB_JOB, GitLab's job name without its shard
   * number…): jobs that share a run key each count their own shards. Null when not said.
   */
  job: text(),
  /** Receipt details that are not derivable from rows: duplicates merged, items rejected, the upload was an outage. */
  notes: jsonb().$type<Pick<IngestReceipt, 'rejected'> & { duplicates: IngestReceipt['merged']['duplicates'] }
  & Partial<Pick<IngestReceipt, 'newClusters' | 'newlyFlaky'>> & { uploadCases?: string[], outage?: Pick<UploadOutage, 'executed' | 'failed' | 'cause' | 'causeFailures' | 'error'> }>().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [
  // one content once per shard and job: the same bytes from another shard (an empty report of vitest's) are that shard's
  uniqueIndex('run_uploads_run_hash_shard_idx').on(t.runId, t.contentHash, sql`coalesce(${t.shardIndex}, 0)`,
    sql`coalesce(${t.shardTotal}, 0)`, sql`coalesce(${t.job}, '')`),
  check('run_uploads_shard_check', sql`(${t.shardIndex} is null) = (${t.shardTotal} is null) and ${t.shardIndex} between 1 and ${t.shardTotal}`),
])
