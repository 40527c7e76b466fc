import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { and, eq, lt, ne, sql } from 'drizzle-orm'
import { deliveryBody, signBody, slackMessage, type EventPayload } from '../analysis/webhooks'
import { useDb, schema } from '../db'
import { useConfig } from '../utils/config'
import { ReceiverRefused, resolveReceiver } from '../utils/receiver-address'
import { registerJob, type JobAttempt } from './jobs'
import { decryptSecret } from './llm/secret'
import { WEBHOOK_JOB } from './webhook-events'
import { creatorMayManage, CREATOR_GONE, serverSecret, WEBHOOK_SECRET_PURPOSE } from './webhooks'

/**
 * Sends one delivery: POST to the receiver with the event headers (and the signature for JSON), a timeout, no
 * redirects followed, and the SSRF check again on the address actually connected to. 2xx = delivered; anything else
 * is recorded (status code, one-sentence error) and thrown so the queue retries with backoff, until the last try
 * marks it failed. A delivery already delivered (a retry after a crash) is not sent again.
 */

const { webhooks, webhookDeliveries } = schema

interface Outcome { statusCode: number | null, error: string | null }

/** A lookup for http.request that only ever yields an address the SSRF check approved. */
function guardedLookup(allowList: string[]): LookupFunction {
  return (hostname, options, callback) => {
    resolveReceiver(hostname, allowList).then(
      ({ address, family }) => options.all ? callback(null, [{ address, family }]) : callback(null, address, family),
      (err: Error) => callback(Object.assign(err, { code: 'ERECEIVER' }), '', 4),
    )
  }
}

/** Why a request failed, as a sentence (no URL: a Slack URL holds its token). */
function describeFailure(err: Error & { code?: string }, timeoutSeconds: number): string {
  if (err instanceof ReceiverRefused) return err.message
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `The receiver did not answer within ${timeoutSeconds} s.`
  if (err.code === 'ECONNREFUSED') return 'The receiver refused the connection.'
  if (err.code === 'ENOTFOUND') return 'The receiver\'s host does not resolve.'
  return `The request failed: ${(err.code ?? err.message).slice(0, 200)}.`
}

/** POSTs the body and resolves with the status code or a failure sentence; never rejects. */
function post(url: string, body: string, headers: Record<string, string>): Promise<Outcome> {
  const { timeoutSeconds, allowedHosts } = useConfig().webhooks
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  // IP literals skip DNS (and so the lookup): check them here.
  const literal = resolveReceiver(target.hostname, allowedHosts)
  return literal.then(() => new Promise<Outcome>((resolve) => {
    const req = send(target, {
      method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(allowedHosts), signal: AbortSignal.timeout(timeoutSeconds * 1000),
    }, (res: IncomingMessage) => {
      res.resume()
      res.on('end', () => resolve({ statusCode: res.statusCode ?? null, error: null }))
      res.on('error', () => resolve({ statusCode: res.statusCode ?? null, error: null }))
    })
    req.on('error', err => resolve({ statusCode: null, error: describeFailure(err, timeoutSeconds) }))
    req.end(body)
  }), (err: Error) => ({ statusCode: null, error: describeFailure(err, timeoutSeconds) }))
}

/** The job handler: one try of one delivery. */
async function deliver({ deliveryId }: { deliveryId: string }, attempt: JobAttempt): Promise<void> {
  const db = await useDb()
  const [row] = await db.select({
    d: webhookDeliveries, url: webhooks.url, format: webhooks.format, sealed: webhooks.secretSealed, sends: sql<boolean>`${creatorMayManage(sql`webhooks`)}`,
  }).from(webhookDeliveries).innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(eq(webhookDeliveries.id, deliveryId))
  if (!row || row.d.status !== 'pending') return // deleted with its webhook, or done before a crash
  // queued (or retried) after the person who added the webhook lost the project: never sent
  if (!row.sends) return record(deliveryId, { statusCode: null, error: CREATOR_GONE }, true)
  const payload = row.d.payload as unknown as EventPayload
  const headers: Record<string, string> = {
    'content-type': 'application/json', 'user-agent': 'Proofdeck-Webhooks', 'x-proofdeck-event': row.d.event, 'x-proofdeck-delivery': deliveryId,
  }
  let body: string
  if (row.format === 'slack') body = JSON.stringify(slackMessage(row.d.event, payload))
  else {
    const secret = decryptSecret(row.sealed, serverSecret(), WEBHOOK_SECRET_PURPOSE)
    body = deliveryBody(row.d.event, deliveryId, payload)
    if (secret === null) {
      await record(deliveryId, { statusCode: null, error: 'The signing secret cannot be read: the server secret (NUXT_SESSION_PASSWORD) changed since the webhook was created; create it again.' }, true)
      return
    }
    headers['x-proofdeck-signature'] = signBody(body, secret)
  }
  const outcome = await post(row.url, body, headers)
  const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300
  const error = ok ? null : outcome.error ?? `The receiver answered ${outcome.statusCode}.`
  await record(deliveryId, { statusCode: outcome.statusCode, error }, attempt.last)
  if (!ok && !attempt.last) throw new Error(error ?? 'not delivered')
}

/** Stores a try's outcome: delivered on 2xx, failed after the last try, else still pending. */
async function record(deliveryId: string, outcome: Outcome, last: boolean): Promise<void> {
  const db = await useDb()
  const delivered = outcome.error === null
  await db.update(webhookDeliveries).set({
    status: delivered ? 'delivered' : last ? 'failed' : 'pending',
    attempts: sql`${webhookDeliveries.attempts} + 1`, lastStatusCode: outcome.statusCode, lastError: outcome.error, deliveredAt: delivered ? new Date() : null,
  }).where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')))
}

/**
 * Deletes a project's settled deliveries (delivered or failed) made before `before`: retention keeps them as long as
 * the runs they tell of. Pending ones stay for their retries. A delivery's dedup key names its run or cluster, so an
 * upload retried within retention still finds its deliveries and fires nothing again.
 */
export async function deleteSettledDeliveries(projectId: string, before: Date): Promise<number> {
  const db = await useDb()
  const gone = await db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.projectId, projectId),
    ne(webhookDeliveries.status, 'pending'), lt(webhookDeliveries.createdAt, before))).returning({ id: webhookDeliveries.id })
  return gone.length
}

/** Registers the delivery job with the queue, with the retry policy from the configuration. */
export function registerWebhookDelivery(): void {
  const { attempts, retrySeconds, timeoutSeconds } = useConfig().webhooks
  registerJob<{ deliveryId: string }>({
    name: WEBHOOK_JOB, handler: deliver, retryLimit: attempts - 1, retryDelay: retrySeconds,
    // a try lasts at most the timeout; one still "running" well after it died with its process.
    // A receiver that never answers holds a worker for the timeout on every try: 4 keep others flowing meanwhile.
    expireInSeconds: timeoutSeconds + 5, concurrency: 4,
  })
}
