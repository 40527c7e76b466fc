import { createApiKeyBodySchema } from '#shared/schemas/auth'
import { createApiKey } from '../../services/api-keys'
import { validator } from '../../utils/validate'

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const body = await readValidatedBody(event, validator(createApiKeyBodySchema))
  setResponseStatus(event, 201)
  setResponseHeader(event, 'cache-control', 'no-store')
  return createApiKey(scope, body)
})
