import { projectParamsSchema } from '#shared/schemas/reads'
import { createWebhookBodySchema } from '#shared/schemas/webhooks'
import { createWebhook } from '../../../../services/webhooks'
import { validBody, validParams } from '../../../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['webhooks'],
    summary: 'Add a webhook to a project',
    description: 'Body {url, events, format: "json"|"slack"}. Answers 201 with the signing secret, shown this once. Members and admins only; a receiver on a private address not in PROOFDECK_WEBHOOK_ALLOWED_HOSTS is refused (422).',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const body = await validBody(event, createWebhookBodySchema)
  setResponseStatus(event, 201)
  setResponseHeader(event, 'cache-control', 'no-store')
  return createWebhook(scope, projectSlug, body)
})
