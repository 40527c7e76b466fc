import { integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

export const projects = pgTable('projects', {
  id: uuid().primaryKey().defaultRandom(),
  slug: text().notNull(),
  name: text().notNull(),
  defaultBranch: text().notNull().default('main'),
  repositoryUrl: text(),
  /** Runs older than this many days are deleted by the daily retention job; null = PROOFDECK_RETENTION_DAYS (unset: forever). */
  retentionDays: integer(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [uniqueIndex('projects_slug_idx').on(t.slug)])
