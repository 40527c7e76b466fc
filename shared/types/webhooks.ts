import type { WebhookDeliveryStatus, WebhookEvent, WebhookFormat } from '../constants'

/** One try-until-done of one event to one webhook (the id is the receiver's X-Proofdeck-Delivery). */
export interface WebhookDeliveryView {
  id: string
  event: WebhookEvent
  status: WebhookDeliveryStatus
  /** The receiver's last HTTP status, null when it never answered. */
  statusCode: number | null
  attempts: number
  /** Why the last try failed, one sentence; null after a success. */
  error: string | null
  createdAt: string
  deliveredAt: string | null
}

/** A project's webhook. Its secret is never shown again after creation; the URL's path is cut after its first part. */
export interface WebhookView {
  id: string
  url: string
  events: WebhookEvent[]
  format: WebhookFormat
  createdBy: string | null
  createdAt: string
  /** Why the webhook sends nothing (the person who added it lost access to the project), or null while it sends. */
  paused: string | null
  /** The newest 20. */
  recentDeliveries: WebhookDeliveryView[]
}

/** The answer to creating a webhook: the signing secret appears here only. */
export interface CreatedWebhook extends Omit<WebhookView, 'recentDeliveries' | 'paused'> {
  secret: string
}
