import { index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { apiKeyScopeEnum, userRoleEnum } from './enums'
import { projects } from './projects'

export const users = pgTable('users', {
  id: uuid().primaryKey().defaultRandom(),
  /** Stored lower-cased; unique. */
  email: text().notNull(),
  name: text().notNull(),
  passwordHash: text().notNull(),
  role: userRoleEnum().notNull().default('member'),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [uniqueIndex('users_email_idx').on(t.email)])

export const projectMemberships = pgTable('project_memberships', {
  userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [primaryKey({ columns: [t.userId, t.projectId] }), index('project_memberships_project_idx').on(t.projectId)])

export const apiKeys = pgTable('api_keys', {
  id: uuid().primaryKey().defaultRandom(),
  userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
  name: text().notNull(),
  /** First characters of the key (`pd_AbCd…`), safe to show and log. */
  prefix: text().notNull(),
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  keyHash: text().notNull(),
  scopes: apiKeyScopeEnum().array().notNull(),
  /** When set, the key sees and writes this one project only. */
  projectId: uuid().references(() => projects.id, { onDelete: 'cascade' }),
  expiresAt: timestamp({ withTimezone: true }),
  lastUsedAt: timestamp({ withTimezone: true }),
  revokedAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [uniqueIndex('api_keys_hash_idx').on(t.keyHash), index('api_keys_user_idx').on(t.userId)])

/**
 * One signed-in browser: the sealed cookie carries only this id (and the user's), so ending a session here ends it
 * on every app instance at the next request. User agent and address are kept for display only.
 */
export const sessions = pgTable('sessions', {
  id: uuid().primaryKey().defaultRandom(),
  userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
  revokedAt: timestamp({ withTimezone: true }),
  userAgent: text(),
  ip: text(),
}, t => [index('sessions_user_idx').on(t.userId)])
