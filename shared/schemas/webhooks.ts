import { z } from 'zod'
import { WEBHOOK_EVENTS, WEBHOOK_FORMATS } from '../constants'
import { uuidSchema } from './common'

const EVENTS = WEBHOOK_EVENTS.join(', ')

/** `POST /api/projects/{slug}/webhooks`: where to send which events, as signed JSON or as a Slack message. */
export const createWebhookBodySchema = z.object({
  url: z.string('Give the receiver\'s URL: {"url": "https://…"}.').trim()
    .max(2000, 'A receiver URL is at most 2,000 characters.')
    .refine((s) => {
      try {
        return ['http:', 'https:'].includes(new URL(s).protocol)
      }
      catch {
        return false
      }
    }, 'The receiver URL is an http(s) URL, e.g. https://example.com/hooks/proofdeck.'),
  events: z.array(z.enum(WEBHOOK_EVENTS, `Events are some of: ${EVENTS}.`), `Give the events as a list, some of: ${EVENTS}.`)
    .min(1, `Choose at least one event: ${EVENTS}.`)
    .transform(list => [...new Set(list)]),
  format: z.enum(WEBHOOK_FORMATS, 'The format is "json" (signed) or "slack" (an incoming-webhook message).').default('json'),
})
export type CreateWebhookBody = z.infer<typeof createWebhookBodySchema>

export const webhookParamsSchema = z.object({ webhookId: uuidSchema('A webhook id is a UUID.') })
