import { bigint, date, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { projects } from './projects'
import { runs } from './runs'

/**
 * Facts about a project's runs kept at ingest (server/services/rollups.ts), in the upload's transaction, so the
 * projects overview reads one row per project instead of counting its runs: run count and the latest run.
 */
export const projectRollups = pgTable('project_rollups', {
  projectId: uuid().primaryKey().references(() => projects.id, { onDelete: 'cascade' }),
  runCount: integer().notNull().default(0),
  /** The run started last (ties: the greater id), as the runs list orders them. */
  latestRunId: uuid().references(() => runs.id, { onDelete: 'set null' }),
  latestStartedAt: timestamp({ withTimezone: true }),
  /** The last run number given out (runs.number): incremented under the row lock at ingest, never reused. */
  lastRunNumber: integer().notNull().default(0),
  /**
   * The uploads of the project that have had their turn to write its labels (services/run-results.ts), counted at the
   * end of each: an upload that reads it before and after waiting for its turn knows whether the watch list it read is
   * still current.
   */
  labelTurns: bigint({ mode: 'number' }).notNull().default(0),
})

/** Per project, UTC day of the run's start and branch ('' for none): runs, and the tests they passed and executed. */
export const projectDayRollups = pgTable('project_day_rollups', {
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  day: date({ mode: 'string' }).notNull(),
  branch: text().notNull(),
  runs: integer().notNull().default(0),
  passed: integer().notNull().default(0),
  /** Tests run and not skipped. */
  executed: integer().notNull().default(0),
  /** Sum of the durations of the runs that have one, and how many have one: the trends' mean duration. */
  durationMs: bigint({ mode: 'number' }).notNull().default(0),
  timedRuns: integer().notNull().default(0),
}, t => [primaryKey({ columns: [t.projectId, t.day, t.branch] })])
