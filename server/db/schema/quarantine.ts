import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { users } from './accounts'
import { projects } from './projects'
import { testCases } from './tests'

/**
 * A test case a member took out of the blocking set: who, when, why and until when (null: until released). One row per
 * test case; releasing deletes it. A row whose `expires_at` has passed no longer applies (reads decide it in SQL).
 */
export const quarantines = pgTable('quarantines', {
  testCaseId: uuid().primaryKey().references(() => testCases.id, { onDelete: 'cascade' }),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  reason: text().notNull(),
  quarantinedBy: uuid().references(() => users.id, { onDelete: 'set null' }),
  quarantinedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp({ withTimezone: true }),
}, t => [index('quarantines_project_idx').on(t.projectId, t.quarantinedAt.desc())])
