import { createApiKeyBodySchema } from '#shared/schemas/auth'
import { createApiKey } from '../../services/api-keys'
import { validBody } from '../../utils/validate'

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const body = await validBody(event, createApiKeyBodySchema)
  setResponseStatus(event, 201)
  setResponseHeader(event, 'cache-control', 'no-store')
  return createApiKey(scope, body)
})
