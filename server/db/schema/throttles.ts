import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/**
 * Counters of the sign-in throttles and per-user limits, shared by every app instance on the database. `id` is a
 * hash of the limit's name and its key (an email with a client address, a user id): no address or email is stored.
 */
export const throttles = pgTable('throttles', {
  id: text().primaryKey(),
  count: integer().notNull(),
  /** The fixed window's end, or for a back-off when its failures are forgotten. */
  resetAt: timestamp({ withTimezone: true }).notNull(),
  /** A back-off's key must wait until then. */
  blockedUntil: timestamp({ withTimezone: true }),
})
