import { bigint, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

export const projects = pgTable('projects', {
  id: uuid().primaryKey().defaultRandom(),
  slug: text().notNull(),
  name: text().notNull(),
  defaultBranch: text().notNull().default('main'),
  repositoryUrl: text(),
  /** Runs older than this many days are deleted by the daily retention job; null = PROOFDECK_RETENTION_DAYS (unset: forever). */
  retentionDays: integer(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  /**
   * The uploads that took their turn to write the project's labels (services/run-results.ts): an upload compares it
   * before and after waiting for its turn, to know whether the watch list it read is still current. Kept here, not in
   * project_rollups: an upload writes that row again later, and a second write of a row the transaction wrote checks
   * its foreign key to runs, whose row another upload waiting for its turn may hold.
   */
  labelTurns: bigint({ mode: 'number' }).notNull().default(0),
}, t => [uniqueIndex('projects_slug_idx').on(t.slug)])
