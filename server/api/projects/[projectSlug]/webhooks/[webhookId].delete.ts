import { projectParamsSchema } from '#shared/schemas/reads'
import { webhookParamsSchema } from '#shared/schemas/webhooks'
import { deleteWebhook } from '../../../../services/webhooks'
import { validParams } from '../../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['webhooks'], summary: 'Delete a webhook and its deliveries. Members and admins only.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug, webhookId } = await validParams(event, projectParamsSchema.extend(webhookParamsSchema.shape))
  await deleteWebhook(scope, projectSlug, webhookId)
  setResponseStatus(event, 204)
  return null
})
