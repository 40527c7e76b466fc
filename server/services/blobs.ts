import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { and, eq, lt, notExists, sql } from 'drizzle-orm'
import type { Driver, Storage } from 'unstorage'
import fsLiteDriver from 'unstorage/drivers/fs-lite'
import { useDb, schema } from '../db'
import { useConfig } from '../utils/config'
import { enqueueJob, registerJob } from './jobs'

/**
 * Attachment bytes in Nitro storage (unstorage), mounted at `blobs`: a directory under the data dir by default, an
 * S3-compatible bucket when PROOFDECK_BLOB_DRIVER=s3. Keys are the content's sha256, so a retried upload writes the
 * same key again and two runs with the same screenshot share one blob. Every write is recorded in the `blobs` table
 * first (outside the upload's transaction), and the sweep job deletes blobs past the in-flight grace that no
 * attachment row references: what a failed upload wrote, and what deleted runs (retention, delete project) left.
 */

const { attachments, blobs } = schema

const MOUNT = 'blobs'
/** Blobs deleted per sweep statement. */
const SWEEP_BATCH = 500
const SWEEP_JOB = 'blob-sweep'

let mounted: Promise<Storage> | undefined

async function driver(): Promise<Driver> {
  const { blobs: config } = useConfig()
  if (!config.s3) return fsLiteDriver({ base: resolve(config.dir) })
  // aws4fetch (the s3 driver's only dependency) is loaded only when a bucket is configured
  const { default: s3Driver } = await import('unstorage/drivers/s3')
  return s3Driver(config.s3)
}

/** The blob store, mounted on first use. */
function blobStorage(): Promise<Storage> {
  mounted ??= driver().then((d) => {
    useStorage().mount(MOUNT, d)
    return useStorage()
  }).catch((err: Error) => {
    mounted = undefined
    throw err
  })
  return mounted
}

export interface BlobRef {
  sha256: string
  bytes: number
  storageKey: string
}

/** The content-addressed key of some bytes: `<first two hex digits>:<sha256>` (a directory level for the fs driver). */
export function blobRefOf(content: Uint8Array): BlobRef {
  const sha256 = createHash('sha256').update(content).digest('hex')
  return { sha256, bytes: content.byteLength, storageKey: `${sha256.slice(0, 2)}:${sha256}` }
}

/**
 * Writes blobs: each one is recorded (or its record refreshed, which restarts its grace) and then written, even when
 * it exists, so a sweep can never delete a blob between this upload seeing it and committing its rows.
 */
export async function writeBlobs(items: { ref: BlobRef, content: Uint8Array }[]): Promise<void> {
  if (!items.length) return
  const db = await useDb()
  const unique = [...new Map(items.map(i => [i.ref.storageKey, i])).values()]
  await db.insert(blobs).values(unique.map(i => ({ storageKey: i.ref.storageKey, bytes: i.ref.bytes })))
    .onConflictDoUpdate({ target: blobs.storageKey, set: { writtenAt: sql`now()` } })
  const storage = await blobStorage()
  for (const i of unique) await storage.setItemRaw(`${MOUNT}:${i.ref.storageKey}`, i.content)
}

/** The bytes of a blob, or null when the store does not have it. */
export async function readBlob(storageKey: string): Promise<Uint8Array | null> {
  const storage = await blobStorage()
  const raw = await storage.getItemRaw<ArrayBuffer | Uint8Array>(`${MOUNT}:${storageKey}`)
  if (raw == null) return null
  return raw instanceof Uint8Array ? raw : new Uint8Array(raw)
}

/**
 * Deletes blobs that no attachment references and that were written longer ago than the grace (a blob younger than
 * PROOFDECK_BLOB_SWEEP_GRACE_SECONDS, an hour by default, may belong to an upload whose transaction has not committed).
 * Each one in its own transaction: the record is deleted (locking it, so an upload re-recording that blob waits),
 * then the blob; a store that fails rolls the record back for the next sweep. Returns how many were deleted.
 */
async function sweepBlobs(graceMs: number): Promise<number> {
  const db = await useDb()
  const storage = await blobStorage()
  const before = new Date(Date.now() - graceMs)
  const orphan = and(
    lt(blobs.writtenAt, before),
    notExists(db.select({ one: sql`1` }).from(attachments).where(eq(attachments.storageKey, blobs.storageKey))),
  )
  let deleted = 0
  for (;;) {
    const candidates = await db.select({ key: blobs.storageKey }).from(blobs).where(orphan).limit(SWEEP_BATCH)
    for (const { key } of candidates) {
      deleted += await db.transaction(async (tx) => {
        const gone = await tx.delete(blobs).where(and(eq(blobs.storageKey, key), orphan)).returning({ key: blobs.storageKey })
        if (gone.length) await storage.removeItem(`${MOUNT}:${key}`)
        return gone.length
      })
    }
    if (candidates.length < SWEEP_BATCH) return deleted
  }
}

/**
 * Queues a sweep now (at start, or after retention deleted runs); at most one waits at a time. The next periodic
 * one waits under another key, so a sweep queued for later never stands in for one asked for now.
 */
export function enqueueBlobSweep(): Promise<boolean> {
  return enqueueJob(SWEEP_JOB, {}, { singletonKey: 'now' })
}

/** The sweep as a job: it runs, then queues the next one PROOFDECK_BLOB_SWEEP_HOURS later. */
export function registerBlobSweep(): void {
  registerJob({
    name: SWEEP_JOB,
    handler: async () => {
      const n = await sweepBlobs(useConfig().blobs.sweepGraceMs)
      if (n) console.info(`[proofdeck] blob sweep deleted ${n} unreferenced blobs`)
      await enqueueJob(SWEEP_JOB, {}, { singletonKey: 'next', startAfter: Math.round(useConfig().blobs.sweepHours * 3600) })
    },
    retryLimit: 3,
    retryDelay: 60,
    expireInSeconds: 3600,
    concurrency: 1,
    policy: 'short',
  })
}
