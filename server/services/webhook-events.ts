import { sql } from 'drizzle-orm'
import type { RunStatus } from '#shared/constants'
import { deriveWebhookEvents, type UploadFacts } from '../analysis/webhooks'
import { schema, useDb, type Tx } from '../db'
import { rowsJson, rowsOf } from '../db/sql'
import { enqueueJob } from './jobs'
import { PREVIOUS_ON_BRANCH } from './runs'
import { creatorMayManage } from './webhooks'

/**
 * The webhook outbox. The ingest transaction writes one pending delivery per event and subscribed webhook (so an
 * upload that rolls back notifies no one, and one that commits cannot lose its events); after the commit the
 * deliveries are handed to the job queue, and at start-up every delivery still pending is handed again (the queue
 * ignores one it already holds: the job id is the delivery id).
 */

export const WEBHOOK_JOB = 'webhook-delivery'

/**
 * Inside the ingest transaction, after the run is stored: derives the upload's events and writes a delivery per event
 * and webhook that wants it. Returns the new delivery ids, to hand to sendDeliveries after the commit. One indexed
 * read when the project has no webhook.
 */
export async function writeWebhookEvents(
  tx: Tx, projectId: string, receipt: UploadFacts['receipt'], baseUrl: string, statusBefore: RunStatus,
): Promise<string[]> {
  const hooks = rowsOf<{ id: string, events: string[] }>(await tx.execute(sql`
    select id, events from webhooks w where project_id = ${projectId}::uuid and ${creatorMayManage(sql`w`)}`))
  if (!hooks.length) return []
  const wanted = new Set(hooks.flatMap(h => h.events))
  // a run that had failed and passes now (its failed jobs re-run under its key) recovered from itself; else from the
  // run before it, read only when a passing run may have recovered
  const recovering = wanted.has('run.recovered') && receipt.status === 'passed'
  const [previous] = !recovering
    ? []
    : statusBefore === 'failed'
      ? [{ status: statusBefore }]
      : rowsOf<{ status: RunStatus }>(await tx.execute(sql`
          select r.status from runs r where r.id = (select ${PREVIOUS_ON_BRANCH} from ${schema.runs} where ${schema.runs.id} = ${receipt.runId}::uuid)`))
  // now() is the transaction's start: rows this transaction changed carry exactly it.
  const regressed = wanted.has('cluster.regressed')
    ? rowsOf<UploadFacts['regressed'][number]>(await tx.execute(sql`
        select id, title, category, occurrences from failure_clusters
        where project_id = ${projectId}::uuid and status = 'regressed' and status_changed_at = now() order by occurrences desc, id`))
    : []
  const broken = wanted.has('test.broken')
    ? rowsOf<UploadFacts['broken'][number]>(await tx.execute(sql`
        select id, title, suite_path as "suitePath", flaky_reason as reason from test_cases
        where project_id = ${projectId}::uuid and broken_since = now() order by title, id limit 100`))
    : []
  const events = deriveWebhookEvents({ receipt, previousStatus: previous?.status ?? null, regressed, broken }, baseUrl)
  const rows = hooks.flatMap(h => events.filter(e => h.events.includes(e.event))
    .map(e => ({ webhook_id: h.id, event: e.event, dedup_key: e.dedupKey, payload: e.payload })))
  if (!rows.length) return []
  const inserted = rowsOf<{ id: string }>(await tx.execute(sql`
    insert into webhook_deliveries (webhook_id, project_id, event, dedup_key, payload)
    select x.webhook_id, ${projectId}::uuid, x.event, x.dedup_key, x.payload
    from json_to_recordset(${rowsJson(rows)}::json) as x(webhook_id uuid, event text, dedup_key text, payload jsonb)
    on conflict (webhook_id, event, dedup_key) do nothing
    returning id`))
  return inserted.map(r => r.id)
}

/** After the commit: queues the deliveries (a failure here is logged; the start-up sweep queues them again). */
export async function sendDeliveries(deliveryIds: string[]): Promise<void> {
  try {
    for (const id of deliveryIds) await enqueueJob(WEBHOOK_JOB, { deliveryId: id }, { id })
  }
  catch (err) {
    console.error(`[proofdeck] could not queue ${deliveryIds.length} webhook deliveries (the catch-up queues them again: PROOFDECK_CATCH_UP_SECONDS): ${(err as Error).message}`)
  }
}

/** At start-up: queues every delivery still pending (a crash between commit and queue, or a queue lost with its jobs). */
export async function requeuePendingDeliveries(): Promise<number> {
  const db = await useDb()
  const pending = rowsOf<{ id: string }>(await db.execute(sql`
    select id from webhook_deliveries where status = 'pending' order by created_at, id limit 10000`))
  let queued = 0
  for (const { id } of pending) if (await enqueueJob(WEBHOOK_JOB, { deliveryId: id }, { id })) queued++
  return queued
}
