import { sql } from 'drizzle-orm'
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import type { WebhookEvent } from '#shared/constants'
import { users } from './accounts'
import { webhookDeliveryStatusEnum, webhookFormatEnum } from './enums'
import { projects } from './projects'

/** A receiver of a project's events. The signing secret is sealed (AES-GCM under the server secret), never stored plain. */
export const webhooks = pgTable('webhooks', {
  id: uuid().primaryKey().defaultRandom(),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  url: text().notNull(),
  events: text().array().$type<WebhookEvent[]>().notNull(),
  format: webhookFormatEnum().notNull(),
  secretSealed: text().notNull(),
  createdBy: uuid().references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [index('webhooks_project_idx').on(t.projectId, t.createdAt)])

/**
 * The outbox: one row per event and webhook, written in the ingest transaction, sent by the job queue after commit.
 * `id` is the delivery id the receiver sees (X-Proofdeck-Delivery); `dedupKey` keeps one event per webhook when an
 * upload adds a shard to a run that already fired it.
 */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid().primaryKey().defaultRandom(),
  webhookId: uuid().notNull().references(() => webhooks.id, { onDelete: 'cascade' }),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  event: text().$type<WebhookEvent>().notNull(),
  dedupKey: text().notNull(),
  payload: jsonb().$type<Record<string, unknown>>().notNull(),
  status: webhookDeliveryStatusEnum().notNull().default('pending'),
  attempts: integer().notNull().default(0),
  lastStatusCode: integer(),
  lastError: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  deliveredAt: timestamp({ withTimezone: true }),
}, t => [
  uniqueIndex('webhook_deliveries_dedup_idx').on(t.webhookId, t.event, t.dedupKey),
  index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt.desc()),
  index('webhook_deliveries_pending_idx').on(t.createdAt).where(sql`status = 'pending'`),
])
