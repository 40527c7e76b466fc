import { projectParamsSchema } from '#shared/schemas/reads'
import { listWebhooks } from '../../../../services/webhooks'
import { validParams } from '../../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['webhooks'], summary: 'The project\'s webhooks (never their secrets) with their 20 newest deliveries.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  return listWebhooks(scope, projectSlug)
})
