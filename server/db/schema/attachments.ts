import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { projects } from './projects'
import { runs } from './runs'

/**
 * A file a result referenced (screenshot, video, trace, log) that came with the upload. The bytes are a blob in
 * Nitro storage under a content-addressed key (services/blobs.ts): a retried upload writes the same key and no row,
 * and the blob sweep deletes blobs that no row references any more (runs deleted by retention or by hand).
 */
export const attachments = pgTable('attachments', {
  id: uuid().primaryKey().defaultRandom(),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  runId: uuid().notNull().references(() => runs.id, { onDelete: 'cascade' }),
  /** test_results.id (that table has no foreign keys, see tests.ts); the run's cascade removes these rows. */
  resultId: uuid().notNull(),
  /** The attempt (1-based) that wrote it, where the report says (Playwright); null for the result as a whole. */
  attempt: integer(),
  name: text().notNull(),
  contentType: text().notNull(),
  bytes: bigint({ mode: 'number' }).notNull(),
  sha256: text().notNull(),
  storageKey: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [
  uniqueIndex('attachments_result_blob_idx').on(t.resultId, t.name, t.sha256),
  index('attachments_run_idx').on(t.runId),
  index('attachments_storage_key_idx').on(t.storageKey),
])

/**
 * Every blob written to storage, recorded before it is written (outside the upload's transaction, which may fail).
 * The sweep deletes a blob once it is older than the in-flight grace and no attachment row references it, so a
 * failed upload or a deleted run never leaves bytes behind, without listing the bucket.
 */
export const blobs = pgTable('blobs', {
  storageKey: text().primaryKey(),
  bytes: bigint({ mode: 'number' }).notNull(),
  writtenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [index('blobs_written_idx').on(t.writtenAt)])
