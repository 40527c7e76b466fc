import { date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { projects } from './projects'
import { testCases } from './tests'

/**
 * Per test case and UTC day of the run's start: its results (skips left out), failures, flaky passes and every
 * duration, kept at ingest (server/services/test-rollups.ts) so the test explorer reads a row per test and day
 * instead of the test's results. The day's durations are kept whole and sorted ascending, so its p50/p95 stay exact
 * as runs are added and are read by position (services/test-rollups.ts `percentile`); a window's are the
 * duration-weighted percentiles of its days'.
 */
export const testDayRollups = pgTable('test_day_rollups', {
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  testCaseId: uuid().notNull().references(() => testCases.id, { onDelete: 'cascade' }),
  day: date({ mode: 'string' }).notNull(),
  runs: integer().notNull().default(0),
  failed: integer().notNull().default(0),
  flaky: integer().notNull().default(0),
  durations: integer().array().notNull().default([]),
}, t => [
  primaryKey({ columns: [t.projectId, t.day, t.testCaseId] }),
  index('test_day_rollups_case_idx').on(t.testCaseId, t.day),
])

/**
 * What the per-test day rollups still owe, a row per upload that stored results, written in its transaction and
 * consumed by the roll after its commit (services/test-rollups.ts): `add` the run's results (a new run), `recount` the
 * day of the tests a shard of a run that existed stored (of all its tests when the shard made it an infrastructure
 * failure or took that away: every result then counts otherwise). A row is consumed once (deleted by the roll that counts it), so no roll
 * needs the run's lock: an upload of another shard in flight never holds the rollups back.
 */
export const testDaysDue = pgTable('test_days_due', {
  id: uuid().notNull().defaultRandom(),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  /** No foreign key: a run deleted before its roll (retention rolls up first) leaves nothing to count. */
  runId: uuid().notNull(),
  mode: text().$type<'add' | 'recount'>().notNull(),
  /** For `recount`: the tests the shard stored, whose day is counted again; null, every test of the run. */
  testCaseIds: uuid().array(),
}, t => [primaryKey({ columns: [t.projectId, t.id] })])

/** The CODEOWNERS file the latest upload carried, per project: test cases take their owners from it by file path. */
export const projectCodeowners = pgTable('project_codeowners', {
  projectId: uuid().primaryKey().references(() => projects.id, { onDelete: 'cascade' }),
  content: text().notNull(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
})
