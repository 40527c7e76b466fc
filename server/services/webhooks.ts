import { randomBytes } from 'node:crypto'
import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { WebhookDeliveryStatus, WebhookEvent } from '#shared/constants'
import type { CreateWebhookBody } from '#shared/schemas/webhooks'
import type { CreatedWebhook, WebhookDeliveryView, WebhookView } from '#shared/types/webhooks'
import { useDb, schema } from '../db'
import { iso, isoOrNull, rowsOf } from '../db/sql'
import { useConfig } from '../utils/config'
import { notFound, unprocessable } from '../utils/errors'
import { ReceiverRefused, resolveReceiver } from '../utils/receiver-address'
import { encryptSecret } from './llm/secret'
import { LOCK } from './users'
import { authorize } from './policy'
import { requireProject } from './projects'
import { inScope, type Scope } from './scope'

/**
 * A project's webhooks: create (the signing secret is shown once, stored sealed), list with their recent
 * deliveries, delete. Events are written by ./webhook-events.ts and sent by ./webhook-delivery.ts.
 */

const { webhooks, users } = schema

export const WEBHOOK_SECRET_PURPOSE = 'webhook-secret'
const RECENT_DELIVERIES = 20

interface DeliveryRow {
  id: string
  webhook_id: string
  event: WebhookEvent
  status: WebhookDeliveryStatus
  attempts: number
  last_status_code: number | null
  last_error: string | null
  created_at: string | Date
  delivered_at: string | Date | null
}

/**
 * Whether the person who added a webhook (`w`: a webhooks row, as SQL) could add it now: an active account, an admin or
 * a member of its project who is not a viewer. A webhook sends nothing once that ends: one added by someone later
 * removed from the project, deactivated or deleted is a feed of the project's data they no longer may read (its
 * settings say so, and another member adds it again).
 */
export const creatorMayManage = (w: SQL) => sql`exists (select 1 from users u where u.id = ${w}.created_by
  and left(u.password_hash, 1) <> ${LOCK} and (u.role = 'admin' or (u.role = 'member'
    and exists (select 1 from project_memberships m where m.user_id = u.id and m.project_id = ${w}.project_id))))`

/** Why a webhook sends nothing (see creatorMayManage), in its settings and on the deliveries it did not send. */
export const CREATOR_GONE = 'Not sent: the person who added this webhook no longer has access to the project (removed, made a viewer, deactivated or deleted). Delete it, and add it again if it is still wanted.'

/** The server secret (NUXT_SESSION_PASSWORD) that seals webhook secrets at rest. */
export function serverSecret(): string {
  return useRuntimeConfig().session?.password || ''
}

/** Scheme, host and first path part only: the rest of a receiver URL (a Slack hook's token) is not shown again. */
function shownUrl(url: string): string {
  const u = new URL(url)
  const [first, ...rest] = u.pathname.split('/').filter(Boolean)
  return `${u.origin}${first ? `/${first}` : ''}${rest.length || u.search ? '/…' : ''}`
}

/** Adds a webhook to a project; refuses (422) a receiver on a private or loopback address that is not allowed. */
export async function createWebhook(scope: Scope, projectSlug: string, body: CreateWebhookBody): Promise<CreatedWebhook> {
  const project = await requireProject(scope, projectSlug)
  authorize(scope, 'manage_webhooks')
  try {
    await resolveReceiver(new URL(body.url).hostname, useConfig().webhooks.allowedHosts)
  }
  catch (err) {
    if (err instanceof ReceiverRefused) throw unprocessable(err.message, 'receiver_refused')
    throw err
  }
  const secret = `whsec_${randomBytes(24).toString('base64url')}`
  const db = await useDb()
  const [row] = await db.insert(webhooks).values({
    projectId: project.id, url: body.url, events: body.events, format: body.format,
    secretSealed: encryptSecret(secret, serverSecret(), WEBHOOK_SECRET_PURPOSE), createdBy: scope.userId,
  }).returning()
  const [creator] = await db.select({ name: users.name }).from(users).where(eq(users.id, scope.userId))
  return {
    id: row!.id, url: row!.url, events: row!.events, format: row!.format, createdBy: creator?.name ?? null,
    createdAt: row!.createdAt.toISOString(), secret,
  }
}

/** The project's webhooks, oldest first, each with its newest deliveries. */
export async function listWebhooks(scope: Scope, projectSlug: string): Promise<WebhookView[]> {
  const project = await requireProject(scope, projectSlug)
  const db = await useDb()
  const rows = await db.select({ w: webhooks, by: users.name, sends: sql<boolean>`${creatorMayManage(sql`webhooks`)}` })
    .from(webhooks).leftJoin(users, eq(users.id, webhooks.createdBy))
    .where(and(eq(webhooks.projectId, project.id), inScope(scope, webhooks.projectId))).orderBy(webhooks.createdAt, webhooks.id)
  if (!rows.length) return []
  const recent = rowsOf<DeliveryRow>(await db.execute(sql`
    select d.* from webhooks w cross join lateral (
      select id, webhook_id, event, status, attempts, last_status_code, last_error, created_at, delivered_at from webhook_deliveries
      where webhook_id = w.id order by created_at desc, id desc limit ${RECENT_DELIVERIES}) d
    where w.project_id = ${project.id}::uuid order by d.created_at desc, d.id desc`))
  return rows.map(({ w, by, sends }) => ({
    id: w.id, url: shownUrl(w.url), events: w.events, format: w.format, createdBy: by, createdAt: w.createdAt.toISOString(),
    paused: sends ? null : CREATOR_GONE,
    recentDeliveries: recent.filter(d => d.webhook_id === w.id).map((d): WebhookDeliveryView => ({
      id: d.id, event: d.event, status: d.status, statusCode: d.last_status_code, attempts: d.attempts, error: d.last_error,
      createdAt: iso(d.created_at), deliveredAt: isoOrNull(d.delivered_at),
    })),
  }))
}

/** Deletes a webhook and its deliveries (404 outside the caller's projects). */
export async function deleteWebhook(scope: Scope, projectSlug: string, webhookId: string): Promise<void> {
  const project = await requireProject(scope, projectSlug)
  authorize(scope, 'manage_webhooks')
  const db = await useDb()
  const gone = await db.delete(webhooks)
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.projectId, project.id), inScope(scope, webhooks.projectId)))
    .returning({ id: webhooks.id })
  if (!gone.length) throw notFound(`No webhook ${webhookId} in project "${projectSlug}".`, 'webhook_not_found')
}
