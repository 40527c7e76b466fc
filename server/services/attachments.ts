import { and, asc, eq, sql } from 'drizzle-orm'
import { links } from '#shared/links'
import type { AttachmentView, ResultEvidence } from '#shared/types/attachments'
import { useDb, schema, type Tx } from '../db'
import { contentTypeOf, kindOf, servingHeaders } from '../ingest/attachment-types'
import { rowsJson, rowsOf } from '../db/sql'
import { notFound } from '../utils/errors'
import { blobRefOf, readBlob, writeBlobs, type BlobRef } from './blobs'
import { findRun } from './runs'
import { inScope, type Scope } from './scope'

/**
 * The files results came with (screenshots, videos, traces, logs): stored at ingest from the upload's attachment
 * parts, matched to results by the path the report names them with, and read back for the pages under the caller's
 * scope. The bytes are blobs (./blobs.ts); a row is what makes a blob reachable, and only through its run's project.
 */

const { attachments, testResults } = schema

/** At most this many attachments are listed per run (the run page shows them next to its failures). */
const RUN_LIST_CAP = 500

/** An attachment part of an upload: its bytes under the name the report refers to them by. */
export interface UploadedAttachment {
  name: string
  content: Uint8Array
}

export interface StagedAttachment {
  path: string
  ref: BlobRef
}

/** Hashes the upload's attachment parts and writes their blobs, before the ingest transaction (see ./blobs.ts). */
export async function stageAttachments(files: UploadedAttachment[]): Promise<StagedAttachment[]> {
  const staged = files.map(f => ({ path: f.name, ref: blobRefOf(f.content), content: f.content }))
  await writeBlobs(staged)
  return staged.map(({ path, ref }) => ({ path, ref }))
}

/**
 * Inside the ingest transaction: one row per (result, file) where a result of the run names a staged file by its
 * path. Idempotent (a retry or a later shard adds only what is new). Returns the staged paths no result names.
 */
export async function storeAttachments(
  tx: Tx, projectId: string, runId: string, staged: StagedAttachment[], opts: { replay: boolean },
): Promise<string[]> {
  if (!staged.length) return []
  const files = rowsJson(staged.map(s => ({
    path: s.path, sha256: s.ref.sha256, bytes: s.ref.bytes, storage_key: s.ref.storageKey, guessed_type: contentTypeOf(s.path, null),
  })))
  const matched = await tx.execute(sql`
    with files as (select * from json_to_recordset(${files}::json) as f(path text, sha256 text, bytes bigint, storage_key text, guessed_type text)),
    refs as (
      select r.id as result_id, a->>'path' as path, a->>'name' as name, a->>'contentType' as content_type, (a->>'attempt')::int as attempt
      from ${testResults} r cross join lateral jsonb_array_elements(r.attachments) a
      where r.run_id = ${runId} and r.attachments is not null
    ),
    inserted as (
      insert into ${attachments} (project_id, run_id, result_id, attempt, name, content_type, bytes, sha256, storage_key)
      select ${projectId}::uuid, ${runId}::uuid, refs.result_id, min(refs.attempt), refs.name,
        -- the report's type (JUnit gives none), else the one the file name says
        coalesce(nullif(lower(trim(split_part(min(refs.content_type), ';', 1))), ''), f.guessed_type), f.bytes, f.sha256, f.storage_key
      from refs join files f on f.path = refs.path
      group by refs.result_id, refs.name, f.bytes, f.sha256, f.storage_key, f.guessed_type
      -- a retry of the upload (every report stored already) that sends an attempt's file again, other bytes or not, adds
      -- no second copy: one file per result, attempt and name (the same bytes again are the unique index's conflict). A
      -- new shard keeps its own files: a test in two shards keeps each execution's screenshot, whatever its attempt number
      ${opts.replay
        ? sql`having not exists (select 1 from ${attachments} x
        where x.result_id = refs.result_id and x.name = refs.name and x.attempt is not distinct from min(refs.attempt))`
        : sql``}
      on conflict do nothing
    )
    select distinct f.path from files f join refs on refs.path = f.path`)
  const named = new Set(rowsOf<{ path: string }>(matched).map(r => r.path))
  return staged.map(s => s.path).filter(p => !named.has(p))
}

type AttachmentRow = typeof attachments.$inferSelect

function toView(a: AttachmentRow): AttachmentView {
  return {
    id: a.id, resultId: a.resultId, attempt: a.attempt, name: a.name, contentType: a.contentType, bytes: a.bytes,
    kind: kindOf(a.name, a.contentType), url: links.attachment(a.id),
  }
}

/** The attachments of a run the caller may see, by result (the run page's failure rows show them). */
export async function listRunAttachments(scope: Scope, runId: string): Promise<AttachmentView[]> {
  const { run } = await findRun(scope, runId)
  const db = await useDb()
  const rows = await db.select().from(attachments).where(and(eq(attachments.runId, run.id), inScope(scope, attachments.projectId)))
    .orderBy(asc(attachments.resultId), asc(attachments.attempt), asc(attachments.name)).limit(RUN_LIST_CAP)
  return rows.map(toView)
}

/** A result's full error, output and files, where the caller may see its project; a 404 otherwise. */
export async function getResultEvidence(scope: Scope, resultId: string): Promise<ResultEvidence> {
  const db = await useDb()
  const [r] = await db.select({
    id: testResults.id, errorMessage: testResults.errorMessage, errorStack: testResults.errorStack,
    stdout: testResults.stdout, stderr: testResults.stderr,
  }).from(testResults).where(and(eq(testResults.id, resultId), inScope(scope, testResults.projectId))).limit(1)
  if (!r) throw notFound('No test result with this id visible to you.', 'result_not_found')
  const files = await db.select().from(attachments).where(and(eq(attachments.resultId, r.id), inScope(scope, attachments.projectId)))
    .orderBy(asc(attachments.attempt), asc(attachments.name))
  return {
    resultId: r.id, errorMessage: r.errorMessage, errorStack: r.errorStack, stdout: r.stdout, stderr: r.stderr,
    attachments: files.map(toView),
  }
}

/** An attachment's bytes and serving headers, where the caller may see its project; a 404 otherwise (and for lost bytes). */
export async function readAttachment(scope: Scope, attachmentId: string): Promise<{ headers: Record<string, string>, body: Uint8Array }> {
  const db = await useDb()
  const [a] = await db.select().from(attachments)
    .where(and(eq(attachments.id, attachmentId), inScope(scope, attachments.projectId))).limit(1)
  if (!a) throw notFound('No attachment with this id visible to you.', 'attachment_not_found')
  const body = await readBlob(a.storageKey)
  if (!body) throw notFound(`The file of attachment ${a.name} is no longer stored.`, 'attachment_not_found')
  return { headers: servingHeaders(a), body }
}
